"""The filters shared by every page, and their form in the URL.

?county=211224,211282&township=211224101&type=02&org=村(居)民评理说事点&from=2023-03&to=2023-12&asof=2023-06-20

Each page's queries say which filters apply to their data (a risk report has no dispute type);
`Filters.sql` adds only the clauses whose column is given, and `not_applied` names the rest so
the page can say so. `Filters.cut` is the same choice for the campaign's metrics (warehouse.metrics).

The period's months and its as-of date are one clock for every page: the as-of date is the day chosen
(`asof`), or else the last day of the period's last month — kept, by the pages, no later than the latest
date in the data (dashboard.metrics.as_of). The campaign's months come from the rubric in force.
"""
from __future__ import annotations

import calendar
import dataclasses
from dataclasses import dataclass, field
from datetime import date

from warehouse.metrics import Cut
from warehouse.rubric import Rubric, rubric_in_force

# filter field → (URL parameter, label shown to the user)
DIMENSIONS = {
    "counties": ("county", "区县"),
    "townships": ("township", "乡镇(街道)"),
    "dispute_types": ("type", "纠纷类型"),
    "org_types": ("org", "组织类型"),
}
# every parameter a link may carry → its name for the user: the filters, then the pages' own
PARAM_LABELS = {"county": "区县", "township": "乡镇(街道)", "type": "纠纷类型", "org": "组织类型", "from": "起始月份",
                "to": "结束月份", "asof": "截至日期", "map": "地图着色指标", "view": "显示方式", "data": "数据批次"}
LIST_PARAMS = {key for key, _ in DIMENSIONS.values()}   # several values, comma-separated
PAGE_PARAMS = ("map", "view")                           # the pages' own choices, kept beside the filters
STREAMLIT_PARAMS = {"embed", "embed_options"}           # Streamlit's own; not ours to judge


def collapse_params(given: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    """One value per parameter from a link's query string (each key with all its values, as the browser sent them),
    and the problems, each naming the parameter. Repeated values collapse (county=1,1&county=2 → 1,2; asof=D&asof=D
    → D); a single-valued parameter given twice with different values, and an unknown parameter, are refused."""
    params, problems = {}, []
    for key, values in given.items():
        if key in STREAMLIT_PARAMS:
            continue
        if key not in PARAM_LABELS:
            problems.append(f"参数“{key}”无法识别")
            continue
        label = PARAM_LABELS[key]
        if key in LIST_PARAMS:
            merged = list(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))
            if merged:
                params[key] = ",".join(merged)
            continue
        distinct = list(dict.fromkeys(v.strip() for v in values))
        if len(distinct) > 1:
            problems.append(f"{label}出现多次且取值不同:{'、'.join(distinct)}")
        elif distinct and distinct[0]:
            params[key] = distinct[0]
    return params, problems


# filter field → the record column of the campaign's metrics it cuts
CUT_COLUMNS = {"counties": "county_code", "townships": "township_code", "dispute_types": "dispute_category_code",
               "org_types": "org_type"}


def campaign_months(rubric: Rubric | None = None) -> list[date]:
    """The first day of each month of the campaign (of the rubric in force unless given)."""
    return (rubric or rubric_in_force()).campaign_months()


def month_label(d: date) -> str:
    return f"{d.year}年{d.month}月"


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def _parse_month(text: str | None, months: list[date]) -> date | None:
    try:
        y, m = (int(p) for p in (text or "").split("-"))
        d = date(y, m, 1)
    except ValueError:
        return None
    return d if d in months else None


def _parse_day(text: str | None, rubric: Rubric) -> date | None:
    try:
        d = date.fromisoformat(text or "")
    except ValueError:
        return None
    return d if rubric.campaign_start <= d <= rubric.campaign_end else None


@dataclass(frozen=True)
class Filters:
    counties: tuple[str, ...] = ()          # county codes; empty means all seven
    start: date | None = None               # first month, inclusive (None: the campaign's first)
    end: date | None = None                 # last month, inclusive (None: the campaign's last)
    townships: tuple[str, ...] = ()         # township codes; empty means all
    dispute_types: tuple[str, ...] = ()     # dispute category codes (top level of the catalogue, "02" 邻里纠纷)
    org_types: tuple[str, ...] = ()         # 调解组织类型 as in the contract
    asof: date | None = None                # a day chosen as the as-of date (in the last month); None: its last day
    rejected: tuple[str, ...] = field(default=(), compare=False)  # URL values refused, for the page to say so

    def __post_init__(self) -> None:
        months = campaign_months()
        object.__setattr__(self, "start", self.start or months[0])
        object.__setattr__(self, "end", self.end or months[-1])

    def sql(self, county_col: str = "county_code", month_col: str | None = "month", *,
            township_col: str | None = None, dispute_col: str | None = None,
            org_type_col: str | None = None) -> tuple[str, dict]:
        """A WHERE clause (without the keyword) and its parameters; always safe to AND onto.

        County and month apply by default; township, dispute category and organisation type only
        where the caller names the column, because not every table has them.
        """
        clauses, params = ["TRUE"], {}
        for values, col, name in ((self.counties, county_col, "counties"), (self.townships, township_col, "townships"),
                                  (self.dispute_types, dispute_col, "dispute_types"),
                                  (self.org_types, org_type_col, "org_types")):
            if values and col:
                clauses.append(f"{col} IN (SELECT unnest(${name}))")
                params[name] = list(values)
        if month_col:
            clauses.append(f"{month_col} BETWEEN $start AND $end")
            params.update(start=self.start, end=self.end)
        return " AND ".join(clauses), params

    def cut(self, *fields: str, months: bool = True) -> Cut:
        """The choice as a cut of the campaign's metrics: the county always, the other fields named (default all),
        and the period's months unless `months` is False (a value cumulated since the campaign began)."""
        chosen = fields or tuple(CUT_COLUMNS)
        return Cut(**{column: getattr(self, f) for f, column in CUT_COLUMNS.items() if f == "counties" or f in chosen},
                   months=(self.start, self.end) if months else None)

    def not_applied(self, *applied: str) -> list[str]:
        """Labels of the filters that are set but that a page's data cannot be cut by."""
        return [DIMENSIONS[field][1] for field in ("townships", "dispute_types", "org_types")
                if getattr(self, field) and field not in applied]

    @property
    def last_day(self) -> date:
        """The as-of day of the period: the day chosen, else the last day of its last month."""
        return self.asof or month_end(self.end)

    def to_params(self) -> dict[str, str]:
        params = {}
        for field_name, (key, _) in DIMENSIONS.items():
            if getattr(self, field_name):
                params[key] = ",".join(getattr(self, field_name))
        months = campaign_months()
        if self.start != months[0]:
            params["from"] = self.start.strftime("%Y-%m")
        if self.end != months[-1]:
            params["to"] = self.end.strftime("%Y-%m")
        if self.asof:
            params["asof"] = self.asof.isoformat()
        return params

    @classmethod
    def from_params(cls, params: dict, known_counties: set[str], known: dict[str, set[str]] | None = None,
                    township_county: dict[str, str] | None = None) -> "Filters":
        """Filters from a URL. A value that names nothing known (a county code that does not exist, a month
        outside the campaign, a period that ends before it starts) is dropped and listed in `rejected`, so the
        page can say so instead of silently showing something else; townships outside the chosen counties too."""
        rubric = rubric_in_force()
        months = rubric.campaign_months()
        known = {"counties": known_counties, **(known or {})}
        rejected: list[str] = []

        def values(field_name: str) -> tuple[str, ...]:
            key, label = DIMENSIONS[field_name]
            given = [v for v in (params.get(key) or "").split(",") if v]
            bad = [v for v in given if v not in known.get(field_name, ())]
            rejected.extend(f"{label}“{v}”" for v in bad)
            return tuple(v for v in given if v not in bad)

        counties = values("counties")
        townships = values("townships")
        if counties and township_county:
            outside = [t for t in townships if township_county.get(t) not in counties]
            rejected.extend(f"乡镇(街道)“{t}”(不在所选区县内)" for t in outside)
            townships = tuple(t for t in townships if t not in outside)
        start = end = asof = None
        for key, label in (("from", "起始月份"), ("to", "结束月份")):
            if params.get(key):
                month = _parse_month(params[key], months)
                if month is None:
                    rejected.append(f"{label}“{params[key]}”")
                start, end = (month, end) if key == "from" else (start, month)
        if params.get("asof"):
            asof = _parse_day(params["asof"], rubric)
            if asof is None:
                rejected.append(f"截至日期“{params['asof']}”")
            else:
                end = asof.replace(day=1)  # the as-of day lies in the period's last month
        if start and end and end < start:
            rejected.append(f"期间“{start:%Y-%m} 至 {end:%Y-%m}”(结束早于开始)")
            start = end = asof = None
        return cls(counties, start, end, townships, values("dispute_types"), values("org_types"), asof,
                   tuple(rejected))

    def pinned(self, as_of: date) -> dict[str, str]:
        """The link parameters that show this choice at `as_of` whatever the data's latest date becomes: every filter,
        and the as-of date written out (a link without it would follow tomorrow's load to a later date)."""
        return dataclasses.replace(self, asof=as_of, end=as_of.replace(day=1), rejected=()).to_params()

    def period_label(self) -> str:
        label = f"{month_label(self.start)}至{month_label(self.end)}"
        return label + (f"(截至{self.asof.month}月{self.asof.day}日)" if self.asof else "")
