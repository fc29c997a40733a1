"""Mediation cases as they really happened, and the versions the quarterly exports show of them."""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from etl import reference
from etl.simulate.world import HABITS, PROFILES, World

CAMPAIGN_START, CAMPAIGN_END = date(2023, 3, 1), date(2023, 12, 31)
# Spring farming season and the weeks before the Spring Festival are busy; August is quiet.
MONTH_WEIGHT = {3: 1.0, 4: 1.15, 5: 1.12, 6: 0.95, 7: 0.9, 8: 0.8, 9: 0.95, 10: 1.0, 11: 1.02, 12: 1.18}
DISPUTE_WEIGHT = {  # share of cases in published monthly reports (%)
    "邻里纠纷": 30, "婚姻家庭纠纷": 19, "损害赔偿纠纷": 8, "房屋宅基地纠纷": 7, "合同纠纷": 6, "山林土地纠纷": 5,
    "生产经营纠纷": 3, "拖欠农民工工资纠纷": 2, "其他劳动争议纠纷": 1, "道路交通事故纠纷": 3, "物业纠纷": 3,
    "消费纠纷": 1.5, "电子商务纠纷": 0.5, "医疗纠纷": 1.5, "征地拆迁纠纷": 1.5, "环境污染纠纷": 1, "教育纠纷": 0.8,
    "其他纠纷": 3,
}
SOURCES = (("排查发现", 44), ("当事人申请", 38), ("主动调解", 8), ("法院委托移送", 3), ("公安移送", 4),
           ("信访部门移送", 2), ("其他部门移送", 1))
BASE_CASES_PER_YEAR = 17_600   # real cases at scale 1; ~93% of them are entered in the system
MAX_MEDIATION_DAYS = 30        # a mediation ends at most 30 days after 受理日期 (else it is 调解中)


@dataclass(frozen=True, slots=True)
class Case:
    case_id: str
    county: str
    township: str
    village: str | None
    org: str
    mediator: str
    dispute: str                 # the name written in the export (a listed alias now and then)
    source: str
    party_names: str             # the listed parties' names joined by 、 (one string: light at large scales)
    party_ids: str               # their identity numbers, in the same order, joined by 、
    people: int
    amount: float | None
    accepted: date
    mediated: date | None        # when the mediation ended (None: still going at year end)
    outcome: str                 # final outcome (调解中 when not ended by year end)
    agreement: str | None
    performance: str | None
    level: str
    petition: str
    police: str
    entered_at: datetime         # first entered in the system
    entered: bool                # False: a real case the county never entered (it still counts in reports)


def _weighted(rng, pairs):
    items, weights = zip(*pairs)
    return rng.choices(items, weights=weights)[0]


def _dispute_weights(county: str) -> dict[str, float]:
    rural = PROFILES[county].rural
    w = dict(DISPUTE_WEIGHT)
    w["山林土地纠纷"] *= 0.02 + 1.5 * rural ** 1.5  # ~5% overall: 7% in the rural counties, near zero in the districts
    w["征地拆迁纠纷"] *= 0.5 + rural
    w["物业纠纷"] *= 3.2 - 2.9 * rural
    w["消费纠纷"] *= 1.6 - rural
    return w


def _aliases() -> dict[str, list[str]]:
    out = {}
    for name, aliases in reference.dispute_types().select("name", "aliases").iter_rows():
        out[name] = [a for a in (aliases or "").split("|") if a]
    return out


def _placement(world: World, county: str) -> tuple[str, str | None, str, str]:
    """township, village, org, 化解层级 of one case."""
    rng = world.rng
    # bigger townships (more villages and communities) see more disputes
    township = rng.choices(world.townships_by_county[county], cum_weights=world.township_cum_weights[county])[0]
    villages = world.villages_by_township.get(township)
    r = rng.random()
    if r < 0.75 and villages:
        village = rng.choice(villages)
        point, committee = world.village_orgs[village]
        return township, village, point if rng.random() < 0.62 else committee, "村(社区)"
    if r < 0.955 or not world.county_orgs[county]:
        return township, None, rng.choice(world.township_orgs[township]), "乡镇(街道)"
    org = rng.choice(world.county_orgs[county])
    return township, None, org, "市" if rng.random() < 0.1 else "县(市、区)"


def simulate_cases(world: World, scale: float) -> list[Case]:
    rng = world.rng
    aliases = _aliases()
    cases: list[Case] = []
    weight_sum = sum(MONTH_WEIGHT.values())
    for county in sorted(world.counties):
        profile = PROFILES[county]
        yearly = BASE_CASES_PER_YEAR * scale * (world.population[county] * profile.cases_per_10k) / sum(
            world.population[c] * PROFILES[c].cases_per_10k for c in world.counties)
        disputes = list(_dispute_weights(county).items())
        seq = 0
        for month, mw in MONTH_WEIGHT.items():
            n = int(round(yearly * mw / weight_sum * rng.uniform(0.93, 1.07)))
            days = (date(2023, month + 1, 1) if month < 12 else date(2024, 1, 1)) - date(2023, month, 1)
            for _ in range(n):
                seq += 1
                cases.append(_one_case(world, county, month, days.days, seq, disputes, aliases, profile))
    return cases


def _one_case(world, county, month, days, seq, disputes, aliases, profile) -> Case:
    rng = world.rng
    township, village, org, level = _placement(world, county)
    full_time = [m for m in world.orgs[org].mediators if world.mediators[m].full_time]
    if full_time and world.orgs[org].type == "村(居)民评理说事点" and rng.random() < HABITS[county].point_pref:
        mediator = full_time[0]
    else:
        mediator = rng.choice(world.orgs[org].mediators)
    dispute = _weighted(rng, disputes)
    if aliases.get(dispute) and rng.random() < 0.05:
        dispute = rng.choice(aliases[dispute])
    r = rng.random()
    people = 2 if r < 0.8 else rng.randint(3, 4) if r < 0.97 else rng.randint(5, 30)
    listed = people if people <= 4 else rng.randint(2, 4)   # a group dispute lists its representatives
    party_names = "、".join(world.name() for _ in range(listed))
    party_ids = "、".join(world.id18(county) for _ in range(listed))
    accepted = date(2023, month, rng.randint(1, days))
    duration = min(int(rng.expovariate(1 / 6)), MAX_MEDIATION_DAYS)
    mediated = accepted + timedelta(days=duration)
    if mediated > CAMPAIGN_END:
        mediated, outcome = None, "调解中"
    else:
        outcome = _weighted(rng, (("调解成功", 96), ("调解不成功", 2.5), ("终止调解", 1.5)))
    success = outcome == "调解成功"
    entered_at = datetime.combine(accepted + timedelta(days=min(int(rng.expovariate(1 / 2)), 10)),
                                  time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59)))
    if entered_at.date() > CAMPAIGN_END:
        entered_at = datetime.combine(CAMPAIGN_END, time(17, 0))
    amount = None
    if rng.random() < 0.4:
        amount = round(math.exp(rng.gauss(8.3, 1.1)), 2)
    return Case(
        case_id=f"(2023)辽{county[2:]}民调字第{seq:05d}号", county=county, township=township, village=village,
        org=org, mediator=mediator, dispute=dispute, source=_weighted(rng, SOURCES), party_names=party_names,
        party_ids=party_ids, people=people,
        amount=amount, accepted=accepted, mediated=mediated, outcome=outcome,
        agreement=_weighted(rng, (("书面协议", 70), ("口头协议", 30))) if success else None,
        performance=_weighted(rng, (("已履行", 82), ("履行中", 10), ("部分履行", 5), ("未履行", 3))) if success else None,
        level=level, petition="是" if rng.random() < 0.03 else "否", police="是" if rng.random() < 0.01 else "否",
        entered_at=entered_at, entered=rng.random() < profile.entry_rate)


def as_of(case: Case, moment: datetime) -> Case:
    """The case as the system shows it at an export moment: still 调解中 if mediation had not ended."""
    if case.mediated is not None and datetime.combine(case.mediated, time(18, 0)) <= moment:
        return case
    return replace(case, mediated=None, outcome="调解中", agreement=None, performance=None)


def update_time(case: Case) -> datetime:
    """When the final result was entered: one to three days after the mediation ended, in office hours.

    Derived from the case number (crc32: stable across processes, unlike hash()), so it needs no draw
    from the world's generator and a case always has the same update time."""
    assert case.mediated is not None
    h = zlib.crc32(case.case_id.encode())
    return datetime.combine(case.mediated + timedelta(days=1 + h % 3), time(8 + h // 3 % 9, h // 27 % 60))
