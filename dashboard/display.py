"""Tables as a person reads them: no `None`, `nan`, `True` or English code in a cell. No Streamlit here.

Streamlit draws a missing value as the word "None" and a boolean as a tick box; a bureau reader sees "—" and
是/否 instead. Columns without gaps keep their type (numbers stay numbers, dates stay dates: sortable, and the page's
column formats apply); a column with gaps becomes text, formatted as the typed column would have been.
"""
from __future__ import annotations

import polars as pl

MISSING = "—"
YES_NO = {True: "是", False: "否"}
# record values that are codes in the warehouse (center_build's two parts)
CODE_TEXT = {"part": {"county": "县级中心", "township": "乡镇(街道)中心"}}


def _as_text(column: pl.Series) -> pl.Expr:
    name, dtype = column.name, column.dtype
    col = pl.col(name)
    if dtype == pl.Boolean:
        text = col.replace_strict(YES_NO, return_dtype=pl.String)
    elif dtype == pl.Date:
        text = col.dt.strftime("%Y-%m-%d")
    elif dtype.base_type() == pl.Datetime:
        text = col.dt.strftime("%Y-%m-%d %H:%M")
    elif dtype.is_integer():
        text = col.map_elements(lambda v: f"{v:,}", return_dtype=pl.String)
    elif dtype.is_float() or dtype.base_type() == pl.Decimal:
        text = col.cast(pl.Float64).map_elements(lambda v: f"{v:,.2f}".rstrip("0").rstrip("."), return_dtype=pl.String)
    else:
        text = col.cast(pl.String)
    return text.fill_null(MISSING).alias(name)


def readable(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame for display: booleans as 是/否, coded values in Chinese, gaps (null, NaN) as —."""
    frame = frame.with_columns(
        [pl.col(c).fill_nan(None) for c, t in frame.schema.items() if t.is_float()]
        + [pl.col(c).replace_strict(m, default=pl.col(c), return_dtype=pl.String)
           for c, m in CODE_TEXT.items() if c in frame.columns])
    changed = [_as_text(frame[c]) for c, t in frame.schema.items()
               if t == pl.Boolean or (t != pl.Null and frame[c].null_count()) or t == pl.Null]
    return frame.with_columns(changed) if changed else frame


def with_config(frame: pl.DataFrame, config: dict) -> tuple[pl.DataFrame, dict]:
    """readable(frame) and the page's column formats, less those of columns that became text (a date or number
    format on a text column would show the gaps again)."""
    shown = readable(frame)
    kept = {name: c for name, c in config.items()
            if name not in frame.columns or shown.schema[name] == frame.schema[name]}
    return shown, kept
