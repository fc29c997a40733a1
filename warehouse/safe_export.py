"""Spreadsheet-safe downloads: no text the product writes is run by Excel as a formula (CSV/formula injection).

The one rule, OWASP's: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a
single quote in front (`'=HYPERLINK(…)`), so Excel, WPS and LibreOffice show it as text and never evaluate it. Only
columns of a numeric type are exempt — their -5 or +3.2 is a number and stays one; text is always neutralised, even
text that looks like a number ("-5" in a text column becomes '-5). The header row is text and follows the same rule.

`csv_bytes(frame)` is the one way the product writes a CSV (the dashboard's table downloads and the ranked score
table): UTF-8 with BOM, CRLF line ends, every text cell and header neutralised.

XLSX needs no quote: a cell written with xlsxwriter's `write_string` is a string cell that Excel never evaluates,
whereas `write()` turns a string starting with `=` into a formula (and one starting with http:// into a link).
Writers put every text cell through `write_string`, and open their workbook with `XLSX_OPTIONS`, which also turns
those two conversions off for any generic `write()` or `merge_range()` left.
"""
from __future__ import annotations

import polars as pl

# what makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
XLSX_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}


def neutralise(text: str) -> str:
    """The text as a spreadsheet shows it, never evaluates it: a quote in front when it starts like a formula."""
    return QUOTE + text if text.startswith(FORMULA_STARTS) else text


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column (String, Categorical, Enum) with its values neutralised, and the column names too;
    numeric, date, time and boolean columns are left as they are."""
    text = [name for name, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical, pl.Enum)]
    if text:
        frame = frame.with_columns(_neutralised(pl.col(name).cast(pl.String)).alias(name) for name in text)
    renamed = {name: neutralise(name) for name in frame.columns if neutralise(name) != name}
    return frame.rename(renamed) if renamed else frame


def _neutralised(col: pl.Expr) -> pl.Expr:
    """`neutralise` as a column expression (the same FORMULA_STARTS), nulls left null."""
    dangerous = pl.any_horizontal(*(col.str.starts_with(c) for c in FORMULA_STARTS))
    return pl.when(dangerous).then(pl.lit(QUOTE) + col).otherwise(col)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as CSV that Excel opens with Chinese intact and no cell run as a formula: UTF-8 with BOM (so Excel
    reads it as UTF-8), CRLF line ends (what Excel writes itself), text neutralised."""
    return b"\xef\xbb\xbf" + neutralise_frame(frame).write_csv(line_terminator="\r\n").encode("utf-8")
