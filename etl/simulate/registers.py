"""Rows of the datasets other than cases: organisations, mediators, offices, reports, resettlement, ledgers.

Each function returns rows keyed by contract column names, place columns holding official
names (the writer applies each file's name forms). Every county's Habits shows in its rows.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from etl.simulate.cases import CAMPAIGN_END, Case
from etl.simulate.world import HABITS, World

# The deadlines the counties were given by the plan (铁司发〔2023〕002号): the simulated counties act on these,
# early or late, whatever the bureau's rubric later scores against.
PLAN_DEADLINES = {
    "工作专班及落实举措": date(2023, 3, 18), "司法所创建计划": date(2023, 3, 20), "星级司法所佐证材料": date(2023, 6, 20),
    "县级调处化解中心建成": date(2023, 6, 20), "乡镇中心挂牌运行": date(2023, 9, 20), "专项行动书面总结": date(2023, 12, 15),
}

PRISONS = ("辽宁省沈阳第一监狱", "辽宁省铁岭监狱", "辽宁省凌源第二监狱", "辽宁省大连监狱", "辽宁省女子监狱", "辽宁省抚顺监狱")
CRIMES = ("盗窃罪", "故意伤害罪", "诈骗罪", "危险驾驶罪", "寻衅滋事罪", "交通肇事罪", "开设赌场罪", "非法拘禁罪")


def _places(world: World, county: str, township: str | None) -> dict:
    return {"所属区县": world.counties[county], "所属乡镇(街道)": world.townships[township][0] if township else None}


def _day(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def org_rows(world: World) -> list[dict]:
    rows = []
    for org in world.orgs.values():
        full = sum(world.mediators[m].full_time for m in org.mediators)
        opened = org.founded + timedelta(days=world.rng.randint(0, 60))
        rows.append({"组织编码": org.code, "组织名称": org.name, "组织类型": org.type, **_places(world, org.county,
                     org.township), "所属村(社区)": world.villages[org.village][0] if org.village else None,
                     "成立日期": org.founded, "是否挂牌运行": "是", "挂牌日期": opened,
                     "专职调解员数": full, "兼职调解员数": len(org.mediators) - full})
    return rows


def mediator_rows(world: World) -> list[dict]:
    rng, rows = world.rng, []
    for m in world.mediators.values():
        org = world.orgs[m.org]
        trained = rng.random() < HABITS[org.county].training
        rows.append({"调解员编号": m.id, "姓名": m.name, "性别": m.sex, "身份证号": m.id18, "联系电话": m.phone,
                     "所属组织编码": m.org, "专兼职": "专职" if m.full_time else "兼职",
                     "是否评理说事员": "是" if org.type == "村(居)民评理说事点" else "否",
                     "岗前培训日期": _day(rng, date(2015, 1, 1), date(2022, 12, 31)),
                     "年度培训日期": _day(rng, date(2023, 3, 1), date(2023, 11, 30)) if trained
                     else (_day(rng, date(2022, 3, 1), date(2022, 11, 30)) if rng.random() < 0.6 else None)})
    return rows


def judicial_office_rows(world: World) -> list[dict]:
    rng, rows = world.rng, []
    for township, (name, county) in sorted(world.townships.items()):
        late = rng.random() < HABITS[county].star_late
        star = rng.choice((1, 2, 2, 3, 3, 4))
        plan = _day(rng, date(2023, 3, 6), date(2023, 3, 20))
        proof = _day(rng, date(2023, 5, 20), date(2023, 6, 20))
        if late:
            if rng.random() < 0.5:
                plan = _day(rng, date(2023, 3, 21), date(2023, 4, 20))
            else:
                proof = _day(rng, date(2023, 6, 21), date(2023, 8, 31)) if rng.random() < 0.7 else None
        rows.append({"司法所名称": f"{world.counties[county]}{name}司法所", **_places(world, county, township),
                     "现有星级": star, "申报星级": min(5, star + 1), "创建计划报送日期": plan,
                     "佐证材料报送日期": proof, "验收结果": rng.choice(("通过", "通过", "待验收", "未通过"))
                     if proof else "待验收"})
    return rows


def risk_report_rows(world: World, cases: list[Case], months: tuple[int, ...]) -> list[dict]:
    rng, rows = world.rng, []
    found: dict[tuple[str, int], int] = {}
    for c in cases:
        if c.source == "排查发现":
            found[(c.township, c.accepted.month)] = found.get((c.township, c.accepted.month), 0) + 1
    for township, (_, county) in sorted(world.townships.items()):
        for month in months:
            n = found.get((township, month), 0)
            high, mid = rng.randint(0, 1) if n > 3 else 0, rng.randint(0, max(1, n // 4))
            low = max(0, n - high - mid)
            due = date(2023 + month // 12, month % 12 + 1, 5)
            sent = _day(rng, due - timedelta(days=4), due)
            if rng.random() < HABITS[county].risk_late:
                sent = due + timedelta(days=rng.randint(1, 12))
            resolved = max(0, n - rng.randint(0, 2))
            row = {**_places(world, county, township), "统计月份": f"2023-{month:02d}",
                         "排查次数": rng.randint(2, 8), "排查发现纠纷数": n, "高风险隐患数": high, "中风险隐患数": mid,
                         "低风险隐患数": low, "已化解数": resolved, "稳控中数": n - resolved,
                         "移交公安数": 1 if high and rng.random() < 0.3 else 0,
                         "上报党委政府数": 1 if high and rng.random() < 0.5 else 0, "报送日期": sent}
            # a county that is often late now and then sends nothing at all; decided by its own seeded draw so
            # the world's random stream (and every other dataset) stays as it was
            if random.Random(f"risk-missing-{township}-{month}").random() < HABITS[county].risk_late / 5:
                continue
            rows.append(row)
    return rows


def app_registration_rows(world: World, dates: tuple[date, ...]) -> list[dict]:
    """Cumulative registrations per township on each date, never falling, reaching the county's rate."""
    rng, rows = world.rng, []
    for county, towns in sorted(world.townships_by_county.items()):
        target = world.population[county] * HABITS[county].app_rate
        shares = [rng.uniform(0.5, 1.5) for _ in towns]
        total_share = sum(shares)
        for township, share in zip(sorted(towns), shares):
            final = target * share / total_share
            count = 0
            for i, d in enumerate(dates, 1):
                count = max(count, int(final * (i / len(dates)) ** 0.8))
                rows.append({**_places(world, county, township), "统计日期": d, "累计注册人数": count})
    return rows


def submission_rows(world: World) -> list[dict]:
    rng, rows = world.rng, []
    for county in sorted(world.counties):
        habits = HABITS[county]
        for item, due in PLAN_DEADLINES.items():
            if item in habits.milestones_missing:
                continue
            done = due + timedelta(days=rng.randint(3, 20)) if item in habits.milestones_late else \
                due - timedelta(days=rng.randint(0, 6))
            if item == "县级调处化解中心建成":
                done = habits.county_centre_built
            stamp = datetime.combine(done, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))))
            rows.append({"所属区县": world.counties[county], "报送事项": item, "完成日期": stamp,
                         "备注": "逾期报送" if done > due else None})
    return rows


def centre_rows(world: World) -> list[dict]:
    rng, rows = world.rng, []
    for county in sorted(world.counties):
        habits = HABITS[county]
        built = habits.county_centre_built
        rows.append({"中心名称": f"{world.counties[county]}社会矛盾纠纷调处化解中心", "层级": "县级",
                     **_places(world, county, None), "建成日期": built,
                     "挂牌运行日期": built + timedelta(days=rng.randint(0, 10)), "专职人民调解员数": rng.randint(3, 6)})
        for township in sorted(world.townships_by_county[county]):
            if rng.random() < 0.03:
                continue  # no centre yet
            opened = _day(rng, date(2023, 5, 1), date(2023, 9, 20))
            if rng.random() < habits.township_centre_late:
                opened = _day(rng, date(2023, 9, 21), date(2023, 12, 10))
            staff = 1 if rng.random() < habits.centre_short_staff else rng.randint(2, 4)
            rows.append({"中心名称": f"{world.counties[county]}{world.townships[township][0]}矛盾纠纷调处化解中心",
                         "层级": "乡镇级", **_places(world, county, township),
                         "建成日期": opened - timedelta(days=rng.randint(5, 30)), "挂牌运行日期": opened,
                         "专职人民调解员数": staff})
    return rows


def incident_rows(world: World) -> list[dict]:
    """Two incidents: one from poor dispute work (西丰县), one by a released person in 帮教期 (开原市)."""
    return [
        {"事件编号": "JD2023-001", **_places(world, "211223", world.townships_by_county["211223"][3]),
         "发生日期": date(2023, 8, 14), "是否因排查化解不到位引发": "是", "是否刑释解矫人员帮教期内": "否",
         "简要情况": "邻里宅基地纠纷长期未化解,当事人持刀伤人"},
        {"事件编号": "JD2023-002", **_places(world, "211282", world.townships_by_county["211282"][5]),
         "发生日期": date(2023, 10, 3), "是否因排查化解不到位引发": "否", "是否刑释解矫人员帮教期内": "是",
         "简要情况": "刑满释放人员酒后纵火"},
    ]


def resettlement_rows(world: World, scale: float) -> tuple[list[dict], list[dict]]:
    """Verification tasks and released persons sharing people (the same identity numbers)."""
    rng = world.rng
    tasks, persons = [], []
    total_pop = sum(world.population.values())
    seq = 0
    for county in sorted(world.counties):
        habits = HABITS[county]
        towns = world.townships_by_county[county]
        n_tasks = max(3, round(700 * scale * world.population[county] / total_pop))
        for _ in range(n_tasks):
            seq += 1
            person, township = (world.name(), world.id18(county)), rng.choice(towns)
            issued = _day(rng, date(2023, 3, 1), date(2023, 12, 20))
            release = issued + timedelta(days=rng.randint(30, 400))
            feedback = issued + timedelta(days=max(1, int(rng.expovariate(1 / habits.verify_days))))
            verified = rng.random() >= habits.verify_miss and feedback <= CAMPAIGN_END
            result = None
            if verified:
                result = "核查成功" if rng.random() < habits.verify_success else \
                    rng.choice(("查无此人", "信息不符", "人户分离"))
            tasks.append({"核查编号": f"HC{county}{seq:05d}", "监狱名称": rng.choice(PRISONS),
                          "服刑人员姓名": person[0], "身份证号": person[1], "户籍地区县": world.counties[county],
                          "户籍地乡镇(街道)": world.townships[township][0], "下发日期": issued,
                          "反馈日期": feedback if verified else None, "核查状态": "已核查" if verified else "未核查",
                          "核查结果": result, "预计释放日期": release})
            if release <= CAMPAIGN_END:
                persons.append(_person(world, county, township, person, release, habits))
        # people released before the campaign, still within their five-year 帮教期
        for _ in range(max(2, round(1.3 * n_tasks))):
            township = rng.choice(towns)
            release = _day(rng, date(2019, 1, 1), date(2023, 2, 28))
            persons.append(_person(world, county, township, (world.name(), world.id18(county)), release, habits))
        lost = [p for p in persons if p["户籍地区县"] == world.counties[county]]
        for p in rng.sample(lost, k=min(habits.lost_contact, len(lost))):
            p["帮教情况"] = rng.choice(("脱管", "漏管"))
    for i, p in enumerate(persons, 1):
        p["人员编号"] = f"AZ{i:06d}"
    return tasks, persons


def _person(world: World, county: str, township: str, person: tuple[str, str], release: date, habits) -> dict:
    rng = world.rng
    key = rng.random() < 0.09
    handover = "必接必送" if (key and rng.random() < habits.key_handover) or (not key and rng.random() < 0.3) \
        else rng.choice(("自行报到", "未衔接")) if key else "自行报到"
    return {"人员编号": "", "姓名": person[0], "身份证号": person[1], "性别": "男" if int(person[1][16]) % 2 else "女",
            "罪名类别": rng.choice(CRIMES), "释放日期": release, "户籍地区县": world.counties[county],
            "户籍地乡镇(街道)": world.townships[township][0], "衔接方式": handover,
            "衔接日期": release if handover != "未衔接" else None, "是否重点帮教对象": "是" if key else "否",
            "安置情况": rng.choice(("已安置", "已安置", "已安置", "未安置", "无需安置")),
            "帮教情况": "解除帮教" if release < date(2019, 6, 1) else "帮教中",
            "风险等级": "高" if key else rng.choice(("中", "低", "低")), "是否人户分离": "是" if rng.random() < 0.06 else "否"}
