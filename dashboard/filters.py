"""The filters shared by every page, and their form in the URL.

?county=211224,211282&township=211224101&type=02&org=村(居)民评理说事点&from=2023-03&to=2023-12

Each page's queries say which filters apply to their data (a risk report has no dispute type);
`Filters.sql` adds only the clauses whose column is given, and `not_applied` names the rest so
the page can say so.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

CAMPAIGN_START = date(2023, 3, 1)
CAMPAIGN_END = date(2023, 12, 1)   # the last campaign month, as its first day

# filter field → (URL parameter, label shown to the user)
DIMENSIONS = {
    "counties": ("county", "区县"),
    "townships": ("township", "乡镇(街道)"),
    "dispute_types": ("type", "纠纷类型"),
    "org_types": ("org", "组织类型"),
}


def campaign_months() -> list[date]:
    return [date(2023, m, 1) for m in range(CAMPAIGN_START.month, CAMPAIGN_END.month + 1)]


def month_label(d: date) -> str:
    return f"{d.year}年{d.month}月"


def _parse_month(text: str | None, default: date) -> date:
    try:
        y, m = (int(p) for p in (text or "").split("-"))
        d = date(y, m, 1)
    except ValueError:
        return default
    return d if d in campaign_months() else default


@dataclass(frozen=True)
class Filters:
    counties: tuple[str, ...] = ()          # county codes; empty means all seven
    start: date = CAMPAIGN_START            # first month, inclusive
    end: date = CAMPAIGN_END                # last month, inclusive
    townships: tuple[str, ...] = ()         # township codes; empty means all
    dispute_types: tuple[str, ...] = ()     # dispute category codes (top level of the catalogue, "02" 邻里纠纷)
    org_types: tuple[str, ...] = ()         # 调解组织类型 as in the contract

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

    def not_applied(self, *applied: str) -> list[str]:
        """Labels of the filters that are set but that a page's data cannot be cut by."""
        return [DIMENSIONS[field][1] for field in ("townships", "dispute_types", "org_types")
                if getattr(self, field) and field not in applied]

    def to_params(self) -> dict[str, str]:
        params = {}
        for field, (key, _) in DIMENSIONS.items():
            if getattr(self, field):
                params[key] = ",".join(getattr(self, field))
        if self.start != CAMPAIGN_START:
            params["from"] = self.start.strftime("%Y-%m")
        if self.end != CAMPAIGN_END:
            params["to"] = self.end.strftime("%Y-%m")
        return params

    @classmethod
    def from_params(cls, params: dict, known_counties: set[str], known: dict[str, set[str]] | None = None,
                    township_county: dict[str, str] | None = None) -> "Filters":
        """Filters from a URL; unknown values are dropped, townships outside the chosen counties too."""
        known = {"counties": known_counties, **(known or {})}

        def values(field: str) -> tuple[str, ...]:
            key = DIMENSIONS[field][0]
            return tuple(v for v in (params.get(key) or "").split(",") if v in known.get(field, ()))

        counties = values("counties")
        townships = values("townships")
        if counties and township_county:
            townships = tuple(t for t in townships if township_county.get(t) in counties)
        start = _parse_month(params.get("from"), CAMPAIGN_START)
        end = _parse_month(params.get("to"), CAMPAIGN_END)
        if end < start:
            start, end = CAMPAIGN_START, CAMPAIGN_END
        return cls(counties, start, end, townships, values("dispute_types"), values("org_types"))

    @property
    def last_day(self) -> date:
        """The last day of the period's last month."""
        return date(self.end.year, self.end.month, calendar.monthrange(self.end.year, self.end.month)[1])

    def period_label(self) -> str:
        return f"{month_label(self.start)}至{month_label(self.end)}"
