"""Great Expectations suites, one per dataset, written as code from the export contract.

`suite_for(key, today)` returns the dataset's suite on the run's date: the column rules every
dataset shares (required, enum, range, plausible dates, column pairs, conditional rules) plus
what the dataset's own module in this package adds. Each expectation carries meta {"rule", "column"} so a failed
row is quarantined under the contract's rule name.

`mart_of(key)` names the mart holding the dataset's latest versions and its key columns (the dataset's
module's MART); warehouse/publish.py checks those keys in SQL. Great Expectations takes ~3 s to import,
so this package imports it only inside the functions that build expectations: importing the package, or a
dataset's module, must stay free of it (a dataset module's `extra_expectations` imports GX itself).
"""
from __future__ import annotations

import importlib
import os
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from etl.contract import DATASETS, Column, Dataset, plausible_dates, run_date

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # intranet: no telemetry

if TYPE_CHECKING:
    import great_expectations as gx


def frame_column(c: Column) -> str | None:
    """The normalised frame's column that carries a contract column (PII arrives hashed or masked)."""
    if c.type in ("name", "name_list"):
        return c.name + "_mask"
    if c.type in ("id18", "id18_list"):
        return c.name + "_hmac"
    if c.type == "phone":
        return None
    return c.name


def _meta(rule: str, column: str) -> dict:
    return {"rule": rule, "column": column}


DATE_TYPES = ("date", "datetime", "month")


def contract_expectations(ds: Dataset, today: date) -> list:
    """The contract's row rules as expectations; a date's plausible range is judged on the run's date `today`."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column as Col

    out = []
    for c in ds.columns:
        col = frame_column(c)
        if col is None:
            continue
        if c.required:
            out.append(gxe.ExpectColumnValuesToNotBeNull(column=col, meta=_meta("required", c.name)))
        if c.type == "enum":
            out.append(gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(c.enum), meta=_meta("enum", c.name)))
        if c.min is not None:
            out.append(gxe.ExpectColumnValuesToBeBetween(column=col, min_value=c.min, meta=_meta("min_value", c.name)))
        if c.max is not None:
            out.append(gxe.ExpectColumnValuesToBeBetween(column=col, max_value=c.max, meta=_meta("max_value", c.name)))
        if c.type in DATE_TYPES:
            # bounds as datetimes spanning whole days: pandas holds every date column as timestamps, and a timestamp
            # does not compare with a date
            earliest, latest = plausible_dates(c, today)
            out.append(gxe.ExpectColumnValuesToBeBetween(
                column=col, min_value=earliest and datetime.combine(earliest, time.min),
                max_value=datetime.combine(latest, time.max), meta=_meta("implausible_date", c.name)))
    for earlier, later in ds.date_order:
        out.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing",
            meta=_meta("date_order", later)))
    for small, large in ds.not_greater:
        out.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=large, column_B=small, or_equal=True, ignore_row_if="either_value_is_missing",
            meta=_meta("not_greater", small)))
    for col, when, values in ds.required_when:
        out.append(gxe.ExpectColumnValuesToNotBeNull(
            column=col, row_condition=Col(when).is_in(list(values)), meta=_meta("required_when", col)))
    for col, when, values in ds.empty_when:
        out.append(gxe.ExpectColumnValuesToBeNull(
            column=col, row_condition=Col(when).is_in(list(values)), meta=_meta("empty_when", col)))
    return out


COLLAPSE_FLOOR = 0.5  # a file with under half the rows of the previous one of its dataset is suspicious


def row_count_floor(previous_rows: int) -> gx.expectations.Expectation:
    """Table level: the load must not collapse against the previous load of the same dataset."""
    import great_expectations.expectations as gxe

    return gxe.ExpectTableRowCountToBeBetween(min_value=int(previous_rows * COLLAPSE_FLOOR),
                                              meta={"rule": "row_count_collapse"})


def mart_of(key: str) -> tuple[str, list[str]] | None:
    """The mart holding the dataset's latest versions and its key columns (from the dataset's module)."""
    module = _module(key)
    return getattr(module, "MART", None)


def _module(key: str):
    try:
        return importlib.import_module(f"expectations.{key}")
    except ModuleNotFoundError:
        return None


def suite_for(key: str, today: date | None = None) -> gx.ExpectationSuite:
    """The dataset's suite on the run's date (default: today in Beijing)."""
    import great_expectations as gx

    ds = DATASETS[key]
    suite = gx.ExpectationSuite(name=key)
    for expectation in contract_expectations(ds, today or run_date()):
        suite.add_expectation(expectation)
    for expectation in getattr(_module(key), "extra_expectations", lambda: [])():
        suite.add_expectation(expectation)
    return suite
