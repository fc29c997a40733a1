"""Run a dataset's Great Expectations suite on a normalised frame and turn failures into row issues.

GX validates pandas frames (GX through SQLAlchemy on DuckDB is unreliable), one ephemeral
context per ETL process. GX takes ~3 s to import, so it is imported the first time a file is really
validated (_context, and the expectations package's builders): importing this module stays cheap.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date
from functools import cache

import polars as pl

from etl.contract import run_date
from etl.normalise import ISSUE_SCHEMA
from etl.read import ROW
from expectations import row_count_floor, suite_for

logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass
class Validation:
    issues: pl.DataFrame      # _row, column, rule, value, detail (always empty here)
    results: pl.DataFrame     # one row per expectation: expectation, column, rule, success, unexpected_count, sample


RESULT_SCHEMA = {"expectation": pl.String, "column": pl.String, "rule": pl.String, "success": pl.Boolean,
                 "unexpected_count": pl.Int64, "sample": pl.String}


_CONTEXT: list = []                   # the process's one context, made once (etl.load warms it on another thread)
_CONTEXT_LOCK = threading.Lock()


def _context():
    if not _CONTEXT:
        with _CONTEXT_LOCK:
            if not _CONTEXT:
                import great_expectations as gx
                from great_expectations.data_context.types.base import ProgressBarsConfig

                context = gx.get_context(mode="ephemeral")
                context.variables.progress_bars = ProgressBarsConfig(globally=False)
                _CONTEXT.append(context)
    return _CONTEXT[0]


def warm_validation() -> None:
    """Import Great Expectations and make its context now (~3 s), e.g. while the first files are being read."""
    _context()


@cache
def _batch_definition(key: str):
    context = _context()
    source = context.data_sources.add_or_update_pandas(f"{key}_source")
    asset = source.add_dataframe_asset(name=key)
    return asset.add_batch_definition_whole_dataframe(f"{key}_batch")


@cache
def _suite(key: str, today: date):
    # one suite per dataset and run date: the plausible dates move with the date, the rest does not
    return _context().suites.add_or_update(suite_for(key, today))


def _shown(frame: pl.DataFrame, expectation: dict) -> pl.Expr:
    """The offending value as a person reads it; a column pair shows both values."""
    kwargs = expectation["kwargs"]
    if "column_A" in kwargs:
        a, b = kwargs["column_A"], kwargs["column_B"]
        return pl.format("{}={} < {}={}", pl.lit(a), pl.col(a).cast(pl.String), pl.lit(b), pl.col(b).cast(pl.String))
    return pl.col(kwargs["column"]).cast(pl.String)


def _table_result(r, rule: str) -> dict:
    config = r.expectation_config.to_json_dict()
    observed = r.result.get("observed_value")
    sample = r.result.get("partial_unexpected_list") or ([] if observed is None else [observed])
    return {"expectation": config["type"], "column": None, "rule": rule, "success": bool(r.success),
            "unexpected_count": int(r.result.get("unexpected_count") or (0 if r.success else 1)),
            "sample": "、".join(str(v) for v in sample[:5]) or None}


def _raise_if_broken(key: str, config: dict, r) -> None:
    """An expectation that could not run is a bug in the suite, never a bad row: the night stops."""
    if r.exception_info and r.exception_info.get("raised_exception"):
        raise RuntimeError(f"{key}: expectation {config['type']} failed to run: "
                           f"{r.exception_info.get('exception_message')}")


def validate(key: str, frame: pl.DataFrame, previous_rows: int | None = None,
             today: date | None = None) -> Validation:
    """Row rules of the dataset's suite, and the table rule that a load must not collapse.

    previous_rows: data rows of the previous file of the same dataset; a file with far fewer
    is recorded as a failed table expectation (a warning: its rows still load).
    today: the run's date, against which dates are judged plausible (default: today in Beijing).
    """
    batch_definition, suite = _batch_definition(key), _suite(key, today or run_date())
    pdf = frame.drop([c for c, t in frame.schema.items() if isinstance(t, pl.List)]).to_pandas()
    pdf.index = range(len(pdf))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": pdf})
    # the whole suite in GX's cheapest result mode (pass/fail only: about half the time of COMPLETE); the rows that
    # broke a rule are fetched again, in COMPLETE mode, only for the expectations that failed
    result = batch.validate(suite, result_format={"result_format": "BOOLEAN_ONLY"})
    issues, results = [], []
    if previous_rows:
        results.append(_table_result(batch.validate(row_count_floor(previous_rows)), "row_count_collapse"))
    for r in result.results:
        config = r.expectation_config.to_json_dict()
        meta = config.get("meta") or {}
        _raise_if_broken(key, config, r)
        if r.success:
            results.append({"expectation": config["type"], "column": meta.get("column"), "rule": meta.get("rule"),
                            "success": True, "unexpected_count": 0, "sample": None})
            continue
        r = batch.validate(r.expectation_config.to_domain_obj(), result_format={"result_format": "COMPLETE"})
        _raise_if_broken(key, config, r)
        positions = r.result.get("unexpected_index_list") or []
        found = frame[list(positions)].select(
            ROW, pl.lit(meta["column"]).alias("column"), pl.lit(meta["rule"]).alias("rule"),
            _shown(frame, config).alias("value"), pl.lit(None, pl.String).alias("detail"))
        issues.append(found)
        sample = found["value"].drop_nulls().unique(maintain_order=True).head(5).to_list()
        results.append({"expectation": config["type"], "column": meta.get("column"), "rule": meta.get("rule"),
                        "success": bool(r.success), "unexpected_count": int(r.result.get("unexpected_count") or 0),
                        "sample": "、".join(sample) or None})
    return Validation(
        pl.concat([pl.DataFrame(schema=ISSUE_SCHEMA), *(i.cast(ISSUE_SCHEMA) for i in issues)]),
        pl.DataFrame(results, schema=RESULT_SCHEMA))
