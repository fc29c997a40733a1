"""Year-end scoring of the seven counties, exactly as /work/shared/spec/scoring.md defines it.

Each indicator and deduction is one SQL file in `warehouse/sql/scoring/` that lists the records it counts; the
score is those records summed per county (`warehouse.metrics.totals`), the drill-down is the records themselves
(`warehouse.trace`), and every page's figure is the same records cut and summed at its own grain — one definition
of every number. The files run on demand against the published warehouse, parameterised by the as-of date and the
rubric in force (`warehouse.rubric.rubric_in_force()`: RUBRIC_PATH, or the shipped `warehouse/rubric.toml`), so
any as-of date and any rubric score without a reload.

This module assembles the result: points (weight × min(1, value ÷ target); #6 weight × value), the special cases
of a zero denominator and of values above 1, rounding to 2 decimals, the deductions, the total floored at 0,
competition ranking (1, 2, 2, 4) and the 通报 flag with its reasons. Arithmetic is exact (fractions), rounded half up.

    card = score("warehouse.duckdb", as_of=date(2023, 12, 31))
    card.to_json()   # {"as_of", "load", "rubric", "counties": [...]} as printed by `python -m warehouse score`
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import duckdb
import polars as pl

from warehouse import metrics
from warehouse.metrics import (DEDUCTION_KEYS, INDICATOR_KEYS, PARTS, Cut, ScoringError, connect,  # noqa: F401
                               run_sql, sql_text)
from warehouse.rubric import IndicatorRule, Rubric, rubric_in_force

# A zero denominator gives 0 points and a data-gap mark for these; full points (不适用) for the others.
ZERO_DENOMINATOR_IS_GAP = ("entry_rate", "app_registration_rate")
NOT_APPLICABLE, DATA_GAP, DATA_PROBLEM = "不适用", "数据缺失", "数据异常"
BEIJING = timedelta(hours=8)  # the warehouse records load times in UTC; people read Beijing time


def sql_params(rubric: Rubric, as_of: date) -> dict:
    """Every value the scoring SQL may name ($name), from the as-of date and the rubric."""
    return metrics.params(rubric, as_of)


def default_as_of(con: duckdb.DuckDBPyConnection, rubric: Rubric | None = None) -> date:
    """The latest event date in the data within the campaign of the rubric (in force, unless given)."""
    return metrics.latest_data_date(con, rubric or rubric_in_force())


def check_as_of(as_of: date | str | None, rubric: Rubric | None = None) -> date | None:
    return metrics.check_as_of(as_of, rubric or rubric_in_force())


def latest_load(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The ETL run the warehouse was published by: meta.load_run's latest run, its finish in Beijing time."""
    try:
        rows = con.execute("SELECT run_id, finished_at FROM meta.load_run "
                           "ORDER BY finished_at DESC NULLS LAST, run_id DESC LIMIT 1").fetchall()
    except duckdb.CatalogException:
        return None
    if not rows:
        return None
    run_id, finished = rows[0]
    if isinstance(finished, datetime):
        finished = (finished + BEIJING).isoformat(timespec="seconds") + "+08:00"
    return {"run_id": run_id, "finished_at": finished}


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


def combined(rule: IndicatorRule, results: Iterable[IndicatorResult]) -> IndicatorResult:
    """Several units' results as one unit (the city, or the chosen counties): Σ numerators ÷ Σ denominators, and for
    a parted indicator (#6) the mean of the summed parts — never the mean of the units' rates."""
    results = list(results)
    if rule.key in PARTS:
        parts = {p: (sum(r.parts.get(p, (0, 0))[0] for r in results), sum(r.parts.get(p, (0, 0))[1] for r in results))
                 for p in PARTS[rule.key]}
        return indicator_result(rule, 0, 0, parts)
    return indicator_result(rule, sum((r.numerator for r in results), Fraction(0)),
                            sum(r.denominator for r in results))


def results_by(con: duckdb.DuckDBPyConnection, key: str, rubric: Rubric, as_of: date, by: tuple[str, ...] = (),
               cut: Cut = metrics.EVERYTHING, record_type: str | None = None) -> dict[tuple, IndicatorResult]:
    """Indicator `key`'s result per group `by` (a tuple of the group's values; () for one group over everything)
    within `cut`, from the same records as the score. Raises metrics.NotCuttable for a cut the value cannot make."""
    rule = rubric.indicators[key]
    frame = metrics.totals(con, key, metrics.params(rubric, as_of), by, cut, record_type)
    out: dict[tuple, IndicatorResult] = {}
    groups: dict[tuple, dict] = {}
    for row in frame.iter_rows(named=True):
        groups.setdefault(tuple(row[c] for c in by), {})[row.get("part")] = (row["numerator"], row["denominator"])
    if not by and not groups:
        groups[()] = {}
    for group, sums in groups.items():
        if key in PARTS:
            out[group] = indicator_result(rule, 0, 0, {p: sums.get(p, (0, 0)) for p in PARTS[key]})
        else:
            out[group] = indicator_result(rule, *sums.get(None, (0, 0)))
    return out


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
    """Score every county at `as_of` (default: the latest date in the data) under `rubric` (default: the rubric in
    force). `source` is a warehouse file (opened read-only) or an open connection with the marts."""
    rubric = rubric or rubric_in_force()
    as_of = metrics.check_as_of(as_of, rubric)
    with connect(source) as con:
        as_of = as_of or metrics.latest_data_date(con, rubric)
        values = metrics.params(rubric, as_of)
        counties = con.execute("SELECT county_code, county FROM marts.dim_county ORDER BY county_code").fetchall()
        results = {key: results_by(con, key, rubric, as_of, ("county_code",)) for key in INDICATOR_KEYS}
        counts = {key: dict(metrics.counts(con, key, values, ("county_code",)).iter_rows()) for key in DEDUCTION_KEYS}
        load = latest_load(con)
    result = [county_score(code, name, rubric, results, counts) for code, name in counties]
    rank_counties(result)
    return Scorecard(as_of, load, rubric, result)


def county_score(code: str, name: str, rubric: Rubric, results: dict, counts: dict) -> CountyScore:
    indicators = {}
    for key, rule in rubric.indicators.items():
        # a county with no record at all: its zero numerator and denominator
        indicators[key] = results[key].get((code,)) or indicator_result(
            rule, 0, 0, {p: (0, 0) for p in PARTS[key]} if key in PARTS else None)
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
