"""Year-end scoring of the seven counties, exactly as /work/shared/spec/scoring.md defines it.

Each indicator and deduction is one SQL file in `warehouse/sql/scoring/` that lists, per county, the records it
counts (`in_numerator`, `in_denominator`, `num_amount`, `den_amount`, plus the columns that identify the record);
the same file feeds the score (summed here per county) and the drill-down (`warehouse.trace`), so every number is
the sum of the records behind it. The files run on demand against the published warehouse, parameterised by the
as-of date and the rubric (`warehouse/rubric.toml`), so any as-of date and any rubric score without a reload.

This module assembles the result: points (weight × min(1, value ÷ target); #6 weight × value), the special cases
of a zero denominator and of values above 1, rounding to 2 decimals, the deductions, the total floored at 0,
competition ranking (1, 2, 2, 4) and the 通报 flag with its reasons. Arithmetic is exact (fractions), rounded half up.

    card = score("warehouse.duckdb", as_of=date(2023, 12, 31))
    card.to_json()   # {"as_of", "load", "rubric", "counties": [...]} as printed by `python -m warehouse score`
"""
from __future__ import annotations

import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import duckdb
import polars as pl

from warehouse.rubric import DEDUCTIONS, INDICATORS, Rubric, default_rubric

SQL_DIR = Path(__file__).resolve().parent / "sql" / "scoring"
CAMPAIGN_START, CAMPAIGN_END = date(2023, 3, 1), date(2023, 12, 31)
INDICATOR_KEYS = tuple(INDICATORS)
DEDUCTION_KEYS = tuple(DEDUCTIONS)
# A zero denominator gives 0 points and a data-gap mark for these; full points (不适用) for the others.
ZERO_DENOMINATOR_IS_GAP = ("entry_rate", "app_registration_rate")
NOT_APPLICABLE, DATA_GAP, DATA_PROBLEM = "不适用", "数据缺失", "数据异常"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


class ScoringError(ValueError):
    pass


# --- connections and SQL ---------------------------------------------------------------------------------------

@contextmanager
def connect(source: str | Path | duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse: the one given, or an in-memory DuckDB that ATTACHes the file READ_ONLY
    (so scoring runs while the dashboard reads, and never changes the file)."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        yield source
        return
    path = Path(source)
    if not path.is_file():
        raise ScoringError(f"数据仓库文件不存在:{path}")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS wh (READ_ONLY)")
        con.execute("USE wh")
        yield con
    finally:
        con.close()


def sql_text(name: str) -> str:
    """The statement of sql/scoring/<name>.sql without its comments (which may mention $names)."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _COMMENT.sub("", text).strip().rstrip(";")


def sql_params(rubric: Rubric, as_of: date) -> dict[str, Any]:
    """Every value the scoring SQL may name ($name), from the as-of date and the rubric."""
    p = {name: value for rule in rubric.indicators.values() for name, value in rule.params.items()}
    p.update(as_of=as_of, period_start=CAMPAIGN_START, campaign_end=CAMPAIGN_END,
             milestone_names=list(rubric.milestones), milestone_dues=list(rubric.milestones.values()))
    return p


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Execute with exactly the parameters the SQL names (DuckDB refuses unused ones)."""
    return con.execute(sql, _used_params(sql, params))


def _used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    used = set(_PARAM.findall(sql))
    missing = used - set(params)
    if missing:
        raise ScoringError(f"SQL 参数未提供:{', '.join(sorted(missing))}")
    return {k: params[k] for k in used}


def run_frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pl.DataFrame:
    """As run_sql, the result as a polars frame."""
    return con.sql(sql, params=_used_params(sql, params)).pl()


def records(con: duckdb.DuckDBPyConnection, key: str, params: dict[str, Any]) -> pl.DataFrame:
    """Every record the indicator or deduction `key` counts, for all counties (see warehouse.trace)."""
    return run_frame(con, f"SELECT * FROM ({sql_text(key)}) ORDER BY county_code, record_type, record_id", params)


def _aggregate(con: duckdb.DuckDBPyConnection, key: str, params: dict[str, Any]) -> dict[tuple[str, str | None], tuple]:
    """(county_code, part) -> (numerator, denominator) summed over the indicator's records."""
    part = "part" if key == "center_build" else "CAST(NULL AS VARCHAR)"
    sql = f"""SELECT county_code, {part} AS part,
                     CAST(coalesce(sum(num_amount) FILTER (WHERE in_numerator), 0) AS BIGINT) AS numerator,
                     CAST(coalesce(sum(den_amount) FILTER (WHERE in_denominator), 0) AS BIGINT) AS denominator
              FROM ({sql_text(key)}) WHERE county_code IS NOT NULL GROUP BY ALL"""
    return {(c, p): (n, d) for c, p, n, d in run_sql(con, sql, params).fetchall()}


def _deduction_counts(con: duckdb.DuckDBPyConnection, key: str, params: dict[str, Any]) -> dict[str, int]:
    sql = f"SELECT county_code, count(*) FROM ({sql_text(key)}) WHERE county_code IS NOT NULL GROUP BY ALL"
    return dict(run_sql(con, sql, params).fetchall())


def default_as_of(con: duckdb.DuckDBPyConnection) -> date:
    """The latest event date in the data not after 2023-12-31 (see default_as_of.sql), kept within the campaign;
    the campaign's last day when the warehouse holds no dated record."""
    [(latest,)] = run_sql(con, sql_text("default_as_of"), {"campaign_end": CAMPAIGN_END}).fetchall()
    if latest is None:
        return CAMPAIGN_END
    return max(CAMPAIGN_START, min(CAMPAIGN_END, latest))


def latest_load(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The ETL run the warehouse was published by: meta.load_run's latest run."""
    try:
        rows = con.execute("SELECT run_id, finished_at FROM meta.load_run "
                           "ORDER BY finished_at DESC NULLS LAST, run_id DESC LIMIT 1").fetchall()
    except duckdb.CatalogException:
        return None
    if not rows:
        return None
    row = rows[0]
    finished = row[1].isoformat(timespec="seconds") if isinstance(row[1], datetime) else row[1]
    return {"run_id": row[0], "finished_at": finished}


def check_as_of(as_of: date | str | None) -> date | None:
    if as_of is None:
        return None
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            raise ScoringError(f"截至日期格式应为 YYYY-MM-DD:{as_of!r}") from None
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if not CAMPAIGN_START <= as_of <= CAMPAIGN_END:
        raise ScoringError(f"截至日期 {as_of} 不在专项行动期间({CAMPAIGN_START} 至 {CAMPAIGN_END})内")
    return as_of


# --- points ----------------------------------------------------------------------------------------------------

def round2(x: Fraction) -> Fraction:
    """Round half up to 2 decimals (points are never negative)."""
    return Fraction(math.floor(x * 100 + Fraction(1, 2)), 100)


def _num(x: Fraction) -> float | int:
    """A 2-decimal amount for output: an int when whole, else a float (never -0.0)."""
    return int(x) if x.denominator == 1 else float(x)


def _pct(x: Fraction, below: Fraction | None = None) -> str:
    """A percentage rounded half up to 2 decimals (trailing zeros dropped); with `below`, as many more decimals
    (up to 6) as it takes for a value below `below` not to show as equal to it (9.9975% → 9.9975%, not 10%)."""
    for places in range(2, 7):
        scaled = math.floor(Fraction(x) * 100 * 10 ** places + Fraction(1, 2))
        if below is None or Fraction(scaled, 10 ** places) < below * 100 or places == 6:
            break
    text = f"{scaled // 10 ** places}.{scaled % 10 ** places:0{places}d}".rstrip("0").rstrip(".")
    return text + "%"


@dataclass
class IndicatorResult:
    key: str
    name: str
    numerator: Fraction
    denominator: int
    value: Fraction | None
    target: Fraction
    weight: Fraction
    plan_target: bool
    points: Fraction
    met: bool | None
    mark: str | None
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def below_target(self) -> bool:
        # an empty value (不适用 / 数据缺失) and a value above 1 are not below target
        return self.value is not None and self.value <= 1 and self.value < self.target

    def to_json(self) -> dict:
        out = {"name": self.name,
               "value": None if self.value is None else float(self.value),
               "numerator": _num(self.numerator), "denominator": self.denominator,
               "target": float(self.target), "weight": _num(self.weight), "points": _num(self.points),
               "met": self.met, "mark": self.mark, "plan_target": self.plan_target}
        if self.parts:
            out["parts"] = {p: {"numerator": n, "denominator": d, "value": (n / d if d else None)}
                            for p, (n, d) in self.parts.items()}
        return out

    def reason(self) -> str:
        if self.parts:
            (cn, cd), (tn, td) = self.parts["county"], self.parts["township"]
            detail = f"县级中心 {cn}/{cd},乡镇中心 {tn}/{td}"
        else:
            detail = f"{_num(self.numerator)}/{self.denominator}"
        return f"{self.name} {_pct(self.value, self.target)}({detail})低于目标 {_pct(self.target)}"


def indicator_result(rule, numerator: int | Fraction, denominator: int,
                     parts: dict[str, tuple[int, int]] | None = None) -> IndicatorResult:
    """Value, points, met and mark of one indicator of one county from its numerator and denominator."""
    weight, target = rule.weight_q, rule.target_q
    if parts:  # #6: the mean of the county half and the township half; points = weight × value
        halves = [Fraction(n, d) for n, d in parts.values() if d]
        value = sum(halves, Fraction(0)) / len(halves) if halves else None
        numerator, denominator = sum(halves, Fraction(0)), len(halves)
    else:
        value = Fraction(numerator, denominator) if denominator else None
    if value is None:
        gap = rule.key in ZERO_DENOMINATOR_IS_GAP
        return IndicatorResult(rule.key, rule.name, Fraction(numerator), denominator, None, target, weight,
                               rule.plan_target, Fraction(0) if gap else round2(weight), None,
                               DATA_GAP if gap else NOT_APPLICABLE, dict(parts or {}))
    if parts:
        raw = weight * min(value, Fraction(1))
    elif target == 0:
        raw = weight
    else:
        raw = weight * min(Fraction(1), value / target)
    return IndicatorResult(rule.key, rule.name, Fraction(numerator), denominator, value, target, weight,
                           rule.plan_target, round2(raw), value >= target,
                           DATA_PROBLEM if value > 1 else None, dict(parts or {}))


# --- the scorecard ---------------------------------------------------------------------------------------------

@dataclass
class CountyScore:
    county_code: str
    county: str
    indicators: dict[str, IndicatorResult]
    deduction_counts: dict[str, int]
    deductions: dict[str, Fraction]          # points taken off, ≥ 0
    indicator_points: Fraction = Fraction(0)
    total: Fraction = Fraction(0)
    rank: int = 0
    notice_reasons: list[str] = field(default_factory=list)

    @property
    def notice(self) -> bool:
        return bool(self.notice_reasons)

    def to_json(self) -> dict:
        return {
            "county_code": self.county_code, "county": self.county, "rank": self.rank, "total": _num(self.total),
            "notice": self.notice, "notice_reasons": list(self.notice_reasons),
            "indicators": {k: r.to_json() for k, r in self.indicators.items()},
            "deductions": {k: (-_num(v) if v else 0) for k, v in self.deductions.items()},
            "deduction_counts": dict(self.deduction_counts),
            "indicator_points": _num(self.indicator_points),
        }


@dataclass
class Scorecard:
    as_of: date
    load: dict | None
    rubric: Rubric
    counties: list[CountyScore]            # in rank order (ties by county code)

    def county(self, code_or_name: str) -> CountyScore:
        for c in self.counties:
            if code_or_name in (c.county_code, c.county):
                return c
        raise KeyError(code_or_name)

    def to_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "load": self.load, "rubric": self.rubric.source,
                "counties": [c.to_json() for c in self.counties]}

    def to_frame(self) -> pl.DataFrame:
        """One row per county × indicator (long form, English columns), in rank order."""
        rows = []
        for c in self.counties:
            for r in c.indicators.values():
                rows.append({"rank": c.rank, "county_code": c.county_code, "county": c.county, "indicator": r.key,
                             "name": r.name, "value": None if r.value is None else float(r.value),
                             "numerator": float(r.numerator), "denominator": r.denominator,
                             "target": float(r.target), "weight": float(r.weight), "points": float(r.points),
                             "met": r.met, "mark": r.mark})
        return pl.DataFrame(rows, schema={"rank": pl.Int64, "county_code": pl.Utf8, "county": pl.Utf8,
                                          "indicator": pl.Utf8, "name": pl.Utf8, "value": pl.Float64,
                                          "numerator": pl.Float64, "denominator": pl.Int64, "target": pl.Float64,
                                          "weight": pl.Float64, "points": pl.Float64, "met": pl.Boolean,
                                          "mark": pl.Utf8})


def score(source: str | Path | duckdb.DuckDBPyConnection, as_of: date | str | None = None,
          rubric: Rubric | None = None) -> Scorecard:
    """Score every county at `as_of` (default: the latest date in the data) under `rubric` (default: the shipped
    rubric.toml). `source` is a warehouse file (opened read-only) or an open connection with the marts."""
    rubric = rubric or default_rubric()
    as_of = check_as_of(as_of)
    with connect(source) as con:
        as_of = as_of or default_as_of(con)
        params = sql_params(rubric, as_of)
        counties = con.execute("SELECT county_code, county FROM marts.dim_county ORDER BY county_code").fetchall()
        sums = {key: _aggregate(con, key, params) for key in INDICATOR_KEYS}
        counts = {key: _deduction_counts(con, key, params) for key in DEDUCTION_KEYS}
        load = latest_load(con)
    result = [county_score(code, name, rubric, sums, counts) for code, name in counties]
    rank_counties(result)
    return Scorecard(as_of, load, rubric, result)


def county_score(code: str, name: str, rubric: Rubric, sums: dict, counts: dict) -> CountyScore:
    indicators = {}
    for key, rule in rubric.indicators.items():
        if key == "center_build":
            parts = {p: sums[key].get((code, p), (0, 0)) for p in ("county", "township")}
            indicators[key] = indicator_result(rule, 0, 0, parts)
        else:
            n, d = sums[key].get((code, None), (0, 0))
            indicators[key] = indicator_result(rule, n, d)
    deduction_counts, deductions = {}, {}
    for key, rule in rubric.deductions.items():
        n = counts[key].get(code, 0)
        amount = Fraction(str(rule.points)) * n
        if rule.cap is not None:
            amount = min(amount, Fraction(str(rule.cap)))
        deduction_counts[key], deductions[key] = n, amount
    subtotal = sum((r.points for r in indicators.values()), Fraction(0))
    total = max(Fraction(0), subtotal - sum(deductions.values(), Fraction(0)))
    reasons = [r.reason() for r in indicators.values() if r.plan_target and r.below_target()]
    for key, amount in deductions.items():
        if amount > 0:
            rule, n = rubric.deductions[key], deduction_counts[key]
            unit = "人" if key == "lost_contact" else "起"
            capped = "(已达上限)" if rule.cap is not None and Fraction(str(rule.points)) * n > amount else ""
            reasons.append(f"{rule.name} {n} {unit},扣 {_num(amount)} 分{capped}")
    return CountyScore(code, name, indicators, deduction_counts, deductions, subtotal, total, 0, reasons)


def rank_counties(counties: list[CountyScore]) -> None:
    """Highest total first; equal totals share a rank and the next rank skips (1, 2, 2, 4). Sorts in place."""
    counties.sort(key=lambda c: (-c.total, c.county_code))
    for c in counties:
        c.rank = 1 + sum(other.total > c.total for other in counties)
