"""The simulated world: counties with their own habits, organisations, mediators, people."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from etl import reference

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜"
            "戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
COMPOUND = ("欧阳", "司马", "上官", "诸葛", "东方", "慕容")
# GB 11643-1999: weights of the first 17 digits, and the check character for (weighted sum mod 11)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# Residents born elsewhere keep the region code of their birthplace: nearby districts of Liaoning and Jilin.
OTHER_REGIONS = ("210102", "210103", "210104", "210105", "210106", "210111", "210402", "210403", "210404",
                 "210502", "210602", "211002", "211302", "211402", "220102", "220104", "220302", "220381")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞宇浩凯俊峰建国志文斌海波辉琳晶雪颖慧玲丹"


@dataclass(frozen=True)
class CountyProfile:
    """How a county behaves: the share of its real cases it enters in the system, and its reports."""
    entry_rate: float          # probability a real case is entered in the grassroots system
    report_factor: float       # monthly reports count this share of the real cases (≠1: a data problem)
    rural: float               # 0 urban … 1 rural: drives land and property disputes
    cases_per_10k: float       # cases a year per 10,000 residents


@dataclass(frozen=True)
class Habits:
    """A county's strengths and weaknesses, one knob per scoring indicator."""
    point_full_time: float        # share of 评理说事点 with a full-time mediator
    point_pref: float             # chance a point's case is mediated by its full-time mediator
    verify_days: float            # mean days from 下发 to 反馈 of a verification task
    verify_miss: float            # share of tasks never verified
    verify_success: float         # share of verified tasks verified successfully
    app_rate: float               # 慧评理 registrations ÷ census population at year end
    county_centre_built: date     # 县级调处化解中心 建成日期 (due 06-20)
    township_centre_late: float   # share of township centres opened after 09-20
    centre_short_staff: float     # share of township centres with fewer than 2 full-time mediators
    star_late: float              # share of judicial offices late with plan or materials
    key_handover: float           # share of key released persons handed over 必接必送
    lost_contact: int             # released persons 脱管/漏管
    risk_late: float              # share of risk reports sent after the 5th of the next month
    training: float               # share of mediators with a 2023 annual training
    milestones_late: tuple[str, ...] = ()
    milestones_missing: tuple[str, ...] = ()


HABITS = {
    "211202": Habits(0.95, 0.70, 12, 0.02, 0.93, 0.13, date(2023, 5, 28), 0.00, 0.00, 0.00, 0.96, 1, 0.02, 0.97),
    "211204": Habits(0.90, 0.60, 15, 0.03, 0.95, 0.11, date(2023, 6, 15), 0.00, 0.50, 0.00, 1.00, 0, 0.00, 0.90),
    "211221": Habits(0.80, 0.55, 20, 0.05, 0.91, 0.08, date(2023, 6, 20), 0.10, 0.10, 0.10, 0.90, 2, 0.05, 0.85,
                     milestones_late=("工作专班及落实举措",)),
    "211223": Habits(0.70, 0.45, 35, 0.15, 0.86, 0.06, date(2023, 7, 15), 0.30, 0.20, 0.25, 0.80, 4, 0.15, 0.70,
                     milestones_missing=("专项行动书面总结",)),
    "211224": Habits(0.85, 0.60, 25, 0.08, 0.92, 0.10, date(2023, 6, 10), 0.05, 0.05, 0.05, 0.95, 3, 0.08, 0.92),
    "211281": Habits(0.90, 0.65, 10, 0.02, 0.97, 0.15, date(2023, 5, 20), 0.00, 0.00, 0.00, 1.00, 0, 0.03, 1.00),
    "211282": Habits(0.75, 0.50, 28, 0.10, 0.88, 0.09, date(2023, 6, 18), 0.15, 0.10, 0.15, 0.85, 6, 0.10, 0.80,
                     milestones_late=("星级司法所佐证材料",)),
}

PROFILES = {
    "211202": CountyProfile(0.95, 1.00, 0.0, 72),   # 银州区
    "211204": CountyProfile(0.97, 1.00, 0.1, 80),   # 清河区
    "211221": CountyProfile(0.92, 1.00, 0.9, 68),   # 铁岭县
    "211223": CountyProfile(0.80, 1.00, 1.0, 66),   # 西丰县: enters only ~80% of its cases
    "211224": CountyProfile(0.93, 1.00, 1.0, 62),   # 昌图县
    "211281": CountyProfile(1.00, 0.88, 0.5, 70),   # 调兵山市: reports fewer than it enters (>100%)
    "211282": CountyProfile(0.91, 1.00, 0.8, 70),   # 开原市
}


@dataclass
class Org:
    code: str
    name: str
    type: str
    county: str
    township: str | None
    village: str | None
    level: str                  # 化解层级 its cases are held at
    founded: date | None = None
    mediators: list[str] = field(default_factory=list)


@dataclass
class Mediator:
    id: str
    name: str
    org: str
    full_time: bool
    sex: str = "男"
    id18: str = ""
    phone: str = ""


@dataclass
class World:
    rng: random.Random
    counties: dict[str, str]                    # code -> name
    townships: dict[str, tuple[str, str]]       # code -> (name, county code)
    villages: dict[str, tuple[str, str]]        # code -> (name, township code)
    villages_by_township: dict[str, list[str]]
    townships_by_county: dict[str, list[str]]
    population: dict[str, int]
    township_cum_weights: dict[str, list[int]] = field(default_factory=dict)   # by township size, per county
    orgs: dict[str, Org] = field(default_factory=dict)
    mediators: dict[str, Mediator] = field(default_factory=dict)
    village_orgs: dict[str, list[str]] = field(default_factory=dict)    # village code -> org codes
    township_orgs: dict[str, list[str]] = field(default_factory=dict)
    county_orgs: dict[str, list[str]] = field(default_factory=dict)

    def name(self) -> str:
        rng = self.rng
        surname = rng.choice(COMPOUND) if rng.random() < 0.01 else rng.choice(SURNAMES)
        return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def id18(self, county: str, born_from: int = 1940, born_to: int = 2003) -> str:
        """A valid resident identity number: mostly the county's own region code, now and then a birthplace
        elsewhere; birth date between the given years; GB 11643 check character."""
        rng = self.rng
        region = county if rng.random() < 0.94 else rng.choice(OTHER_REGIONS)
        year, month, day = rng.randint(born_from, born_to), rng.randint(1, 12), rng.randint(1, 28)
        return with_check(f"{region}{year}{month:02d}{day:02d}{rng.randint(0, 999):03d}")


def with_check(body: str) -> str:
    """The 17 digits followed by their GB 11643 check character."""
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


def build_world(seed: int) -> World:
    rng = random.Random(seed)
    counties = dict(reference.counties().select("code", "name").iter_rows())
    townships = {c: (n, k) for c, n, k in reference.townships().select("code", "name", "county_code").iter_rows()}
    villages = {c: (n, t) for c, n, t in reference.villages().select("code", "name", "township_code").iter_rows()}
    by_township: dict[str, list[str]] = {}
    for code, (_, township) in villages.items():
        by_township.setdefault(township, []).append(code)
    by_county: dict[str, list[str]] = {}
    for code, (_, county) in townships.items():
        by_county.setdefault(county, []).append(code)
    world = World(rng, counties, townships, villages, by_township, by_county,
                  dict(reference.population().select("code", "population").iter_rows()))
    for county, codes in by_county.items():
        weights = [4 + len(by_township.get(t, ())) for t in codes]
        world.township_cum_weights[county] = [sum(weights[: i + 1]) for i in range(len(weights))]
    _organisations(world)
    return world


def _add_org(world: World, org: Org, full_time: int, part_time: int) -> None:
    rng = world.rng
    if org.founded is None:
        org.founded = date(rng.randint(2012, 2022), rng.randint(1, 12), rng.randint(1, 28))
    world.orgs[org.code] = org
    for i in range(full_time + part_time):
        mid = f"TJ{org.county}-{len(world.mediators) + 1:05d}"
        person = world.id18(org.county, 1953, 1998)
        world.mediators[mid] = Mediator(mid, world.name(), org.code, i < full_time,
                                        "男" if int(person[16]) % 2 else "女", person,
                                        f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}")
        org.mediators.append(mid)


def _organisations(world: World) -> None:
    rng = world.rng
    for county, cname in world.counties.items():
        world.county_orgs[county] = []
        seat = sorted(world.townships_by_county[county])[0]  # county-level bodies sit in the county seat
        centre = Org(f"ORG{county}Z", f"{cname}社会矛盾纠纷调处化解中心", "矛盾纠纷调处化解中心", county, seat, None,
                     "县(市、区)")
        _add_org(world, centre, 4, 2)
        world.county_orgs[county].append(centre.code)
        for i, trade in enumerate(("医疗纠纷", "道路交通事故", "劳动争议")):
            org = Org(f"ORG{county}H{i}", f"{cname}{trade}人民调解委员会", "行业性专业性调委会", county, seat, None,
                      "县(市、区)")
            _add_org(world, org, 1, 2)
            world.county_orgs[county].append(org.code)
        for township in world.townships_by_county[county]:
            tname = world.townships[township][0]
            org = Org(f"ORG{township}T", f"{tname}人民调解委员会", "乡镇(街道)调委会", county, township, None,
                      "乡镇(街道)")
            _add_org(world, org, 2, 3)
            world.township_orgs[township] = [org.code]
            if rng.random() < 0.12:
                studio = Org(f"ORG{township}G", f"{tname}{world.name()}个人调解工作室", "个人品牌调解工作室",
                             county, township, None, "乡镇(街道)")
                _add_org(world, studio, 1, 0)
                world.township_orgs[township].append(studio.code)
            for village in world.villages_by_township.get(township, []):
                vname = world.villages[village][0]
                short = vname.removesuffix("村民委员会").removesuffix("居民委员会")
                # a few points were set up during the campaign: they count from the month after
                founded = date(2023, rng.randint(3, 9), rng.randint(1, 28)) if rng.random() < 0.08 else None
                point = Org(f"ORG{village}P", f"{short}村(居)民评理说事点", "村(居)民评理说事点", county, township,
                            village, "村(社区)", founded)
                _add_org(world, point, 1 if rng.random() < HABITS[county].point_full_time else 0, 1)
                committee = Org(f"ORG{village}C", f"{short}人民调解委员会", "村(居)调委会", county, township,
                                village, "村(社区)")
                _add_org(world, committee, 0, 2)
                world.village_orgs[village] = [point.code, committee.code]
