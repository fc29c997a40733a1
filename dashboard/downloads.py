"""Table downloads: XLSX (xlsxwriter, numbers as numbers and dates as dates) and CSV in UTF-8 with BOM so Excel shows Chinese.

Neither runs a cell as a formula (warehouse.safe_export): the CSV quotes text that starts like one ('=…), the XLSX
writes every text cell as a string.
"""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import polars as pl

from warehouse.safe_export import XLSX_OPTIONS, csv_bytes


def to_csv_bytes(frame: pl.DataFrame) -> bytes:
    return csv_bytes(frame)


def to_xlsx_bytes(frame: pl.DataFrame, title: str, subtitle: str | None = None,
                  percent_columns: tuple[str, ...] = ()) -> bytes:
    """One table as an XLSX with its title and subtitle (filters, as-of date) above it."""
    return workbook_bytes(title, subtitle, [("数据", frame, percent_columns)])


def workbook_bytes(title: str, subtitle: str | None,
                   sheets: list[tuple[str, pl.DataFrame, tuple[str, ...]]]) -> bytes:
    """Several tables, one sheet each (name, frame, percent columns), every sheet headed by the title and subtitle."""
    buf = io.BytesIO()
    import xlsxwriter

    wb = xlsxwriter.Workbook(buf, XLSX_OPTIONS)
    wb.set_properties({"title": title})
    for name, frame, percent_columns in sheets:
        _sheet(wb, name, frame, title, subtitle, percent_columns)
    wb.close()
    return buf.getvalue()


EXCEL_ROWS = 1_048_576   # a sheet's limit: xlsxwriter returns -1 past it instead of raising


def text_width(text: str) -> int:
    """Columns a text takes in Excel: a Chinese character (or full-width sign) is two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet(wb, sheet: str, frame: pl.DataFrame, title: str, subtitle: str | None,
           percent_columns: tuple[str, ...]) -> None:
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    pct = wb.add_format({"num_format": "0.0%", "border": 1})
    num = wb.add_format({"num_format": "#,##0", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00", "border": 1})
    day = wb.add_format({"num_format": "yyyy-mm-dd", "border": 1})
    moment = wb.add_format({"num_format": "yyyy-mm-dd hh:mm", "border": 1})
    txt = wb.add_format({"border": 1})
    ws.write_string(0, 0, title, bold)
    first = 1
    if subtitle:
        ws.write_string(1, 0, subtitle)
        first = 2
    header_row = first + 1
    if header_row + frame.height >= EXCEL_ROWS:
        raise ValueError(f"表格有 {frame.height:,} 行,超过 Excel 工作表的上限 {EXCEL_ROWS:,} 行;请缩小筛选范围或下载 CSV")
    for j, name in enumerate(frame.columns):
        ws.write_string(header_row, j, name, head)
        width = max([text_width(name) + 2] + [text_width(str(v)) + 2 for v in frame[name].head(200).to_list()
                                              if v is not None])
        ws.set_column(j, j, min(max(width, 8), 50))
    for i, row in enumerate(frame.iter_rows(), start=header_row + 1):
        for j, (name, value) in enumerate(zip(frame.columns, row)):
            if value is None or value != value:    # a gap (None, NaN) is an empty cell, never "None" or "nan"
                ws.write_blank(i, j, None, txt)
            elif isinstance(value, bool):
                ws.write_string(i, j, "是" if value else "否", txt)
            elif name in percent_columns:
                ws.write_number(i, j, float(value), pct)
            elif isinstance(value, (int, float, Decimal)):
                # amounts (DECIMAL in the warehouse) and counts as numbers, so that SUM works in Excel
                ws.write_number(i, j, float(value), num if isinstance(value, int) else money)
            elif isinstance(value, datetime):
                ws.write_datetime(i, j, value, moment)
            elif isinstance(value, date):
                ws.write_datetime(i, j, datetime(value.year, value.month, value.day), day)
            else:
                ws.write_string(i, j, str(value), txt)
    ws.freeze_panes(header_row + 1, 0)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
