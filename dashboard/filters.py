"""The filters shared by every page, and their form in the URL (?county=211224,211282&from=2023-03&to=2023-12)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CAMPAIGN_START = date(2023, 3, 1)
CAMPAIGN_END = date(2023, 12, 1)   # the last campaign month, as its first day


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

    def sql(self, county_col: str = "county_code", month_col: str | None = "month") -> tuple[str, dict]:
        """A WHERE clause (without the keyword) and its parameters; always safe to AND onto."""
        clauses, params = ["TRUE"], {}
        if self.counties:
            clauses.append(f"{county_col} IN (SELECT unnest($counties))")
            params["counties"] = list(self.counties)
        if month_col:
            clauses.append(f"{month_col} BETWEEN $start AND $end")
            params.update(start=self.start, end=self.end)
        return " AND ".join(clauses), params

    def to_params(self) -> dict[str, str]:
        params = {}
        if self.counties:
            params["county"] = ",".join(self.counties)
        if self.start != CAMPAIGN_START:
            params["from"] = self.start.strftime("%Y-%m")
        if self.end != CAMPAIGN_END:
            params["to"] = self.end.strftime("%Y-%m")
        return params

    @classmethod
    def from_params(cls, params: dict, known_counties: set[str]) -> "Filters":
        counties = tuple(c for c in (params.get("county") or "").split(",") if c in known_counties)
        start = _parse_month(params.get("from"), CAMPAIGN_START)
        end = _parse_month(params.get("to"), CAMPAIGN_END)
        if end < start:
            start, end = CAMPAIGN_START, CAMPAIGN_END
        return cls(counties, start, end)

    def period_label(self) -> str:
        return f"{month_label(self.start)}至{month_label(self.end)}"
