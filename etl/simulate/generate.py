"""Derive the export files of each dataset from the simulated world and write them."""
from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import chain
from pathlib import Path

from etl.contract import DATASETS
from etl.simulate import registers
from etl.simulate.cases import Case, as_of, simulate_cases, update_time
from etl.simulate.messy import bad_files, plant_bad_rows, plant_personal_data, variations
from etl.simulate.world import PROFILES, World, build_world
from etl.simulate.writers import Export, FileStyle, write

# Quarterly exports and the moment each was taken (Q1 covers March only).
QUARTERS = (("2023Q1", datetime(2023, 4, 1, 2, 0), (3,)), ("2023Q2", datetime(2023, 7, 1, 2, 0), (4, 5, 6)),
            ("2023Q3", datetime(2023, 10, 1, 2, 0), (7, 8, 9)), ("2023Q4", datetime(2024, 1, 2, 2, 0), (10, 11, 12)))

CASE_STYLES = {
    "2023Q1": FileStyle("xlsx", title_rows=("铁岭市人民调解案件统计表", "导出时间:2023-04-01 02:00")),
    "2023Q2": FileStyle("csv", "gb18030", ("铁岭市人民调解案件统计表",), date_style="slash", county_form="short"),
    "2023Q3": FileStyle("csv", "utf-8-sig", ("铁岭市人民调解案件统计表", "导出时间:2023-10-01 02:00", "单位:件"),
                        date_style="cn", township_short=True, shuffle=True),
    "2023Q4": FileStyle("xlsx", title_rows=("铁岭市人民调解案件统计表",), county_form="bureau", note_sheet="说明"),
}
REPORT_TOTALS = ("受理案件数", "调解成功数")
REPORT_STYLES = {
    "2023Q1": FileStyle("csv", "gb18030", ("人民调解统计月报",), date_style="iso", total_row=REPORT_TOTALS),
    "2023Q2": FileStyle("xlsx", title_rows=("人民调解统计月报", "填报单位:铁岭市司法局"), total_row=REPORT_TOTALS,
                        county_form="short", township_short=True),
    "2023Q3": FileStyle("csv", "utf-8-sig", ("人民调解统计月报",), total_row=REPORT_TOTALS, shuffle=True),
    "2023Q4": FileStyle("xlsx", title_rows=("人民调解统计月报",), total_row=REPORT_TOTALS, county_form="bureau"),
}


def _case_row(world: World, c: Case, entered_at: datetime, style: FileStyle) -> dict:
    org = world.orgs[c.org]
    county = world.counties[c.county]
    village = world.villages[c.village][0] if c.village else None
    return {
        "案件编号": c.case_id, "所属区县": county, "所属乡镇(街道)": world.townships[c.township][0],
        "所属村(社区)": village, "调解组织名称": org.name, "调解组织类型": org.type, "调解员编号": c.mediator,
        "调解员姓名": world.mediators[c.mediator].name, "纠纷类型": c.dispute, "纠纷来源": c.source,
        "当事人姓名": c.party_names, "当事人身份证号": c.party_ids,
        "涉及人数": c.people, "涉及金额(元)": c.amount, "受理日期": c.accepted, "调解日期": c.mediated,
        "调解结果": c.outcome, "协议形式": c.agreement, "履行情况": c.performance, "化解层级": c.level,
        "是否信访案件": c.petition, "是否移交公安": c.police, "录入时间": entered_at,
    }


def case_exports(world: World, cases: list[Case]) -> Iterator[Export]:
    """One export per quarter: the cases created or changed since the previous export, as they stood then.

    A generator: a quarter's rows are built only when its export is asked for, so at a large --scale
    only one quarter's rows are held at a time.
    """
    rng = world.rng
    by_quarter: dict[str, list[tuple[Case, datetime]]] = defaultdict(list)
    previous = datetime.min
    for quarter, moment, _ in QUARTERS:
        for c in cases:
            if not c.entered:
                continue
            created_now = previous < c.entered_at <= moment
            updated_at = update_time(c) if c.mediated and c.mediated >= c.entered_at.date() else None
            updated_now = updated_at is not None and previous < updated_at <= moment
            if updated_now:
                by_quarter[quarter].append((as_of(c, moment), updated_at))
            elif created_now:
                by_quarter[quarter].append((as_of(c, c.entered_at), c.entered_at))
        previous = moment
    header = [col.name for col in DATASETS["mediation_case"].columns]
    for quarter, _, _ in QUARTERS:
        style = CASE_STYLES[quarter]
        rows = [_case_row(world, c, at, style) for c, at in by_quarter.pop(quarter, ())]
        # ~1% of rows exported twice in the same file (identical rows: valid per the contract)
        rows += [dict(r) for r in rng.sample(rows, k=len(rows) // 100)] if rows else []
        rows.sort(key=lambda r: (r["录入时间"], r["案件编号"]))
        yield Export(f"人民调解案件_{quarter}.{'xlsx' if style.format == 'xlsx' else 'csv'}",
                     "mediation_case", "人民调解案件", header, rows, style)


def report_exports(world: World, cases: list[Case]) -> tuple[list[Export], Counter]:
    """Monthly statistical reports per township: the cases each really accepted (entered or not)."""
    accepted: Counter = Counter()
    succeeded: Counter = Counter()
    for c in cases:
        key = (c.county, c.township, c.accepted.month)
        accepted[key] += 1
        succeeded[key] += c.outcome == "调解成功"
    exports, reported = [], Counter()
    header = [col.name for col in DATASETS["monthly_case_report"].columns]
    for quarter, _, months in QUARTERS:
        style = REPORT_STYLES[quarter]
        rows = []
        for county in sorted(world.counties):
            factor = PROFILES[county].report_factor
            for township in sorted(world.townships_by_county[county]):
                for month in months:
                    n = round(accepted[(county, township, month)] * factor)
                    ok = min(n, round(succeeded[(county, township, month)] * factor))
                    reported[county] += n
                    label = f"2023年{month}月" if style.format == "csv" and style.encoding == "gb18030" \
                        else f"2023-{month:02d}"
                    rows.append({"所属区县": world.counties[county],
                                 "所属乡镇(街道)": world.townships[township][0],
                                 "统计月份": label, "受理案件数": n, "调解成功数": ok})
        exports.append(Export(f"人民调解统计月报_{quarter}.{'xlsx' if style.format == 'xlsx' else 'csv'}",
                              "monthly_case_report", "人民调解统计月报", header, rows, style))
    return exports, reported


def _export(name: str, dataset: str, rows: list[dict], style: FileStyle) -> Export:
    ds = DATASETS[dataset]
    ext = "xlsx" if style.format == "xlsx" else "csv"
    return Export(f"{name}.{ext}", dataset, ds.prefix, [c.name for c in ds.columns], rows, style)


def _title(text: str, *more: str) -> tuple[str, ...]:
    return (text, *more)


def other_exports(world: World, cases: list[Case], scale: float) -> list[Export]:
    """The ten datasets besides cases and monthly reports, one or a few files each."""
    orgs = registers.org_rows(world)
    mid_year = [r for r in orgs if r["成立日期"] <= datetime(2023, 6, 30).date()]
    tasks, persons = registers.resettlement_rows(world, scale)
    h1_cut = datetime(2023, 6, 30).date()
    tasks_h1 = [{**t, **({"反馈日期": None, "核查状态": "未核查", "核查结果": None}
                          if t["反馈日期"] and t["反馈日期"] > h1_cut else {})}
                for t in tasks if t["下发日期"] <= h1_cut]
    tasks_h2 = [t for t in tasks if t["下发日期"] > h1_cut or (t["反馈日期"] and t["反馈日期"] > h1_cut)]
    month_ends = tuple(datetime(2023, m + 1, 1).date() - timedelta(days=1) for m in range(3, 12)) + \
        (datetime(2023, 12, 31).date(),)
    quarters = {q: months for q, _, months in QUARTERS}
    risk_styles = {"2023Q1": FileStyle("csv", "utf-8-sig", _title("基层社会治理矛盾纠纷风险预警报表")),
                   "2023Q2": FileStyle("xlsx", title_rows=_title("基层社会治理矛盾纠纷风险预警报表", "单位:件")),
                   "2023Q3": FileStyle("xlsx", title_rows=_title("基层社会治理矛盾纠纷风险预警报表"),
                                       township_short=True),
                   "2023Q4": FileStyle("csv", "gb18030", _title("基层社会治理矛盾纠纷风险预警报表"),
                                       date_style="slash")}
    return [
        _export("调解组织_2023H1", "mediation_org", mid_year,
                FileStyle("csv", "gb18030", _title("人民调解组织信息表"), date_style="slash")),
        _export("调解组织_2023年度", "mediation_org", orgs, FileStyle("xlsx", title_rows=_title("人民调解组织信息表"))),
        _export("人民调解员_2023", "mediator", registers.mediator_rows(world),
                FileStyle("xlsx", title_rows=_title("人民调解员信息表", "导出时间:2023-12-31 02:00"))),
        _export("司法所_2023", "judicial_office", registers.judicial_office_rows(world),
                FileStyle("csv", "utf-8", _title("星级司法所创建情况"), date_style="cn")),
        *(_export(f"矛盾纠纷风险预警月报_{q}", "risk_report", registers.risk_report_rows(world, cases, months),
                  risk_styles[q]) for q, months in quarters.items()),
        _export("服刑人员信息核查_2023H1", "inmate_verification", tasks_h1,
                FileStyle("xlsx", title_rows=_title("服刑人员信息核查任务"))),
        _export("服刑人员信息核查_2023H2", "inmate_verification", tasks_h2,
                FileStyle("csv", "gb18030", _title("服刑人员信息核查任务"), county_form="short")),
        _export("刑满释放人员_2023", "released_person", persons,
                FileStyle("csv", "gb18030", _title("刑满释放人员信息"), date_style="iso")),
        _export("慧评理注册_2023", "app_registration", registers.app_registration_rows(world, month_ends),
                FileStyle("xlsx", title_rows=_title("慧评理小程序注册情况统计"))),
        _export("工作报送台账", "county_submission", registers.submission_rows(world),
                FileStyle("xlsx", title_rows=_title("专项行动工作报送台账"))),
        _export("调处化解中心台账", "resolution_center", registers.centre_rows(world),
                FileStyle("xlsx", title_rows=_title("矛盾纠纷调处化解中心建设台账"))),
        _export("个人极端案事件_2023H1", "extreme_incident", [], FileStyle("csv", "utf-8-sig")),
        _export("个人极端案事件_2023", "extreme_incident", registers.incident_rows(world),
                FileStyle("xlsx", title_rows=_title("个人极端案(事)件台账"))),
    ]


RECEIVED = datetime(2024, 1, 2, 2, 0).timestamp()  # files "arrive" a second apart, in the order written


def generate(out_dir: Path, seed: int = 2023, scale: float = 1.0, messy: bool = False) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = build_world(seed)
    cases = simulate_cases(world, scale)
    entered = Counter(c.county for c in cases if c.entered)
    report_files, reported = report_exports(world, cases)

    def others() -> Iterator[Export]:   # after the case exports: they draw from the world's generator first
        yield from other_exports(world, cases, scale)

    exports: Iterator[Export] | list[Export] = chain(case_exports(world, cases), report_files, others())
    write_rng = random.Random(seed + 1)
    planted: dict = {}
    if messy:  # the variations and planted rows need every export at hand (small scales only)
        exports = list(exports)
        mess_rng = random.Random(seed + 2)
        planted["variations"] = variations(exports, mess_rng)
        planted["bad_rows"] = plant_bad_rows(exports, mess_rng)
        planted["personal_data"], bad = plant_personal_data(exports, mess_rng, planted["bad_rows"])
        planted["bad_rows"] += bad
    files, written = [], []
    for export in exports:
        path = write(export, out_dir, write_rng)   # a period beyond one worksheet is written as CSV
        written.append(path)
        as_csv = path.suffix == ".csv"
        files.append({"file": path.name, "dataset": export.dataset, "format": "csv" if as_csv else "xlsx",
                      "encoding": export.encoding if not as_csv or export.style.format == "csv" else "utf-8-sig",
                      "rows": len(export.rows)})
    if messy:
        extra, planted["bad_files"] = bad_files(exports)
        for name, data in extra:
            (out_dir / name).write_bytes(data)
            written.append(out_dir / name)
        copy = out_dir / "人民调解案件_2023Q1 - 副本.xlsx"
        copy.write_bytes((out_dir / "人民调解案件_2023Q1.xlsx").read_bytes())
        written.append(copy)
    for i, path in enumerate(written):
        os.utime(path, (RECEIVED + i, RECEIVED + i))
    real = Counter(c.county for c in cases)
    summary = {
        "seed": seed, "scale": scale, "messy": messy, "files": files, **planted,
        "cases_total": len(cases), "cases_entered": sum(entered.values()),
        "counties": {world.counties[c]: {"county_code": c, "cases_real": real[c], "cases_entered": entered[c],
                                         "cases_reported": reported[c],
                                         "entry_rate": round(entered[c] / reported[c], 4) if reported[c] else None}
                     for c in sorted(world.counties)},
    }
    (out_dir / ".simulate-manifest.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1),
                                                      encoding="utf-8")
    return summary
