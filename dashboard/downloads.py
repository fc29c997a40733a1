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
    buf = io.BytesIO()
    import xlsxwriter

    wb = xlsxwriter.Workbook(buf, XLSX_OPTIONS)
    wb.set_properties({"title": title})
    ws = wb.add_worksheet("数据")
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
    for j, name in enumerate(frame.columns):
        ws.write_string(header_row, j, name, head)
        width = max([len(name) * 2] + [len(str(v)) + 2 for v in frame[name].head(200).to_list()])
        ws.set_column(j, j, min(max(width, 8), 40))
    for i, row in enumerate(frame.iter_rows(), start=header_row + 1):
        for j, (name, value) in enumerate(zip(frame.columns, row)):
            if value is None:
                ws.write_blank(i, j, None, txt)
            elif name in percent_columns:
                ws.write_number(i, j, float(value), pct)
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
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
    wb.close()
    return buf.getvalue()
