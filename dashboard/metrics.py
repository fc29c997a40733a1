"""The campaign's metrics for the pages: the scoring's records (warehouse.metrics), cut by the sidebar's filters and
summed at the grain a page shows. Every rate a page shows that is also a scoring indicator, or a component of one,
comes from here — so a card, a chart, a table, 考评排名 and the score cannot disagree. No Streamlit here.

Values come as frames with Chinese-free columns the pages rename: the group columns, then numerator, denominator,
value (None when the denominator is 0), target, met (None when not applicable) and mark (不适用 / 数据缺失 / 数据异常).
A filter the metric's value cannot be cut by (the paper monthly report has no dispute type) raises
warehouse.metrics.NotCuttable; `refused()` names such filters beforehand so a page can say so.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from dashboard import db
from dashboard.filters import Filters
from warehouse import metrics, scoring
from warehouse.metrics import NotCuttable  # noqa: F401  (pages catch it from here)
from warehouse.rubric import rubric_in_force

RESULT_SCHEMA = {"numerator": pl.Float64, "denominator": pl.Int64, "value": pl.Float64, "target": pl.Float64,
                 "met": pl.Boolean, "mark": pl.String}


def county_names(path: Path | None = None) -> pl.DataFrame:
    """county_code, 区县: to name the counties of a result."""
    return db.query("SELECT county_code, county AS 区县 FROM marts.dim_county ORDER BY county_code", path=path)


def latest_data_date(path: Path | None = None) -> date:
    """The latest event date in the data, within the campaign of the rubric in force."""
    with db.connection(path) as con:
        return metrics.latest_data_date(con, rubric_in_force())


def as_of(f: Filters, path: Path | None = None) -> date:
    """The as-of date of every page: the day chosen in the sidebar; otherwise the last day of the period, or the
    latest date in the data when that is earlier (a period running past the data is counted up to the data)."""
    if f.asof:
        return f.asof
    return min(f.last_day, latest_data_date(path))


def refused(key: str, f: Filters, record_type: str | None = None, fields: tuple[str, ...] = ()) -> list[str]:
    """Labels of the sidebar filters (those in `fields`; all when empty) the value of `key` cannot be cut by."""
    return f.cut(*fields).refused(key, record_type)


def results(key: str, f: Filters, day: date, by: tuple[str, ...] = (), *, months: bool = True,
            record_type: str | None = None, fields: tuple[str, ...] = (), path: Path | None = None) -> pl.DataFrame:
    """Indicator `key` (or its component `record_type`) at `day`, within the sidebar's filters, per group `by`
    (record columns: county_code, township_code, month …), one row per group that has records.

    `fields` names the filters the page applies (Filters field names; all when empty) — a page that says it is not
    cut by dispute type leaves that filter out; a filter applied that the value cannot be cut by raises NotCuttable.
    With `months=False` the value is cumulated since the campaign began, as the score is."""
    rubric = rubric_in_force()
    with db.connection(path) as con:
        found = scoring.results_by(con, key, rubric, day, by, f.cut(*fields, months=months), record_type)
    rows = [{**dict(zip(by, group)), "numerator": float(r.numerator), "denominator": r.denominator,
             "value": None if r.value is None else float(r.value), "target": float(r.target), "met": r.met,
             "mark": r.mark} for group, r in found.items()]
    frame = pl.DataFrame(rows, schema={**{c: pl.Date if c == "month" else pl.String for c in by}, **RESULT_SCHEMA})
    return frame.sort(list(by), nulls_last=True) if by else frame


def side_by_side(left: pl.DataFrame, right: pl.DataFrame, by: tuple[str, ...]) -> pl.DataFrame:
    """Two results of the same groups as one frame (joined on the group columns; one row each when there are none).
    A group only the left one has keeps empty right columns."""
    if not by:
        return pl.concat([left, right], how="horizontal")
    return left.join(right, on=list(by), how="left", nulls_equal=True)


def result(key: str, f: Filters, day: date, *, months: bool = True, record_type: str | None = None,
           fields: tuple[str, ...] = (), path: Path | None = None) -> dict:
    """The one value of `key` over everything the filters choose: numerator, denominator, value, target, met, mark."""
    return results(key, f, day, months=months, record_type=record_type, fields=fields, path=path).row(0, named=True)


def records(key: str, f: Filters, day: date, *, months: bool = True, record_type: str | None = None,
            fields: tuple[str, ...] = (), order: str = "county_code, record_type, record_id",
            path: Path | None = None) -> pl.DataFrame:
    """The records indicator or deduction `key` counts at `day` within the filters in `fields` (all when empty): a
    list is always cut by county, township and period, by dispute and organisation type where its records carry
    them."""
    rubric = rubric_in_force()
    with db.connection(path) as con:
        return metrics.records(con, key, metrics.params(rubric, day), f.cut(*fields, months=months), order,
                               record_type)


def counts(key: str, f: Filters, day: date, by: tuple[str, ...] = (), *, months: bool = True,
           fields: tuple[str, ...] = (), path: Path | None = None) -> pl.DataFrame:
    """Records of deduction `key` at `day` within the filters in `fields`, per group `by` (column `count`)."""
    rubric = rubric_in_force()
    with db.connection(path) as con:
        return metrics.counts(con, key, metrics.params(rubric, day), by, f.cut(*fields, months=months))
