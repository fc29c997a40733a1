"""Write one export file the way the source systems do: title rows, header, data, maybe a 合计 row.

A FileStyle carries the variations a real export shows (format, encoding, date style, place
name forms, column order, extra sheets); values are formatted per style, never made invalid.
"""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from etl import places, reference
from etl.contract import DATASETS

FIXED_CREATED = datetime(2023, 1, 1)  # xlsx metadata: no wall-clock time, so a seed gives identical bytes


@dataclass(frozen=True)
class FileStyle:
    format: str = "xlsx"                 # xlsx | csv
    encoding: str = "utf-8-sig"          # csv only: utf-8-sig | utf-8 | gb18030
    title_rows: tuple[str, ...] = ()
    date_style: str = "excel"            # excel (real dates in xlsx) | iso | slash | cn
    county_form: str = "full"            # full | short | bureau
    township_short: bool = False         # drop 镇/乡/街道 where unambiguous within the county
    shuffle: bool = False                # columns in another order
    note_sheet: str | None = None        # xlsx: a first sheet with a note; data on the sheet named for the dataset
    total_row: tuple[str, ...] = ()      # columns summed in a trailing 合计 row
    total_word: str = "合计"
    total_in: str | None = None          # the column that carries the total word (default: the first not summed)
    header_text: tuple[tuple[str, str], ...] = ()   # column -> header cell as the file writes it


@dataclass
class Export:
    name: str
    dataset: str
    prefix: str
    header: list[str]
    rows: list[dict]
    style: FileStyle

    @property
    def encoding(self) -> str:
        return "xlsx" if self.style.format == "xlsx" else self.style.encoding


def county_text(name: str, form: str) -> str:
    if form == "short" and name != "铁岭县":      # 铁岭 alone would be ambiguous with the city
        return name[:-1]
    if form == "bureau":
        return name + "司法局"
    return name


def township_text(county_code: str, code: str, name: str, short: bool) -> str:
    if not short:
        return name
    stem = places._TOWNSHIP_SUFFIX.sub("", name)
    return stem if stem != name and places.township_aliases().get((county_code, stem)) == code else name


def _date_text(value: date | datetime, style: str) -> str:
    has_time = isinstance(value, datetime)
    if style == "slash":
        text = f"{value.year}/{value.month}/{value.day}"
        return text + (f" {value:%H:%M}" if has_time else "")
    if style == "cn":
        text = f"{value.year}年{value.month}月{value.day}日"
        return text + (f" {value:%H:%M:%S}" if has_time else "")
    return f"{value:%Y-%m-%d %H:%M:%S}" if has_time else f"{value:%Y-%m-%d}"


def _cell_text(value, style: FileStyle) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return _date_text(value, "iso" if style.date_style == "excel" else style.date_style)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _ordered_header(export: Export, rng: random.Random) -> list[str]:
    header = list(export.header)
    if export.style.shuffle:
        rng.shuffle(header)
    return header


def _total(export: Export, header: list[str]) -> list | None:
    if not export.style.total_row:
        return None
    row = [""] * len(header)
    at = header.index(export.style.total_in) if export.style.total_in else \
        next(i for i, h in enumerate(header) if h not in export.style.total_row)
    row[at] = export.style.total_word
    for col in export.style.total_row:
        row[header.index(col)] = sum(r[col] or 0 for r in export.rows)
    return row


def _county_codes() -> dict[str, str]:
    return {name: code for code, name in reference.counties().select("code", "name").iter_rows()}


def with_place_forms(export: Export) -> list[dict]:
    """Rows hold official names; the file writes them in its own forms (昌图, 昌图县司法局, 新台子…)."""
    cols = {c.place: c.name for c in DATASETS[export.dataset].columns if c.place in ("county", "township")}
    codes = _county_codes()
    township_codes = {(t[2], t[1]): t[0] for t in reference.townships().select("code", "name", "county_code").iter_rows()}
    out = []
    for row in export.rows:
        row = dict(row)
        county = row.get(cols.get("county"))
        if county in codes:
            code = codes[county]
            if "township" in cols and row.get(cols["township"]):
                name = row[cols["township"]]
                if (code, name) in township_codes:
                    row[cols["township"]] = township_text(code, township_codes[(code, name)], name,
                                                          export.style.township_short)
            row[cols["county"]] = county_text(county, export.style.county_form)
        out.append(row)
    return out


def _header_cells(export: Export, header: list[str]) -> list[str]:
    texts = dict(export.style.header_text)
    return [texts.get(h, h) for h in header]


def data_row_number(export: Export, index: int) -> int:
    """The row a person sees in Excel for export.rows[index]: after the title rows and the header."""
    return len(export.style.title_rows) + 2 + index


def write(export: Export, out_dir: Path, rng: random.Random) -> Path:
    export = Export(export.name, export.dataset, export.prefix, export.header, with_place_forms(export), export.style)
    header = _ordered_header(export, rng)
    path = out_dir / export.name
    if export.style.format == "csv":
        _write_csv(export, header, path)
    else:
        _write_xlsx(export, header, path)
    return path


def _write_csv(export: Export, header: list[str], path: Path) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    for title in export.style.title_rows:
        w.writerow([title])
    w.writerow(_header_cells(export, header))
    for r in export.rows:
        w.writerow([_cell_text(r[h], export.style) for h in header])
    total = _total(export, header)
    if total:
        w.writerow(total)
    path.write_bytes(buf.getvalue().encode(export.style.encoding))


def _write_xlsx(export: Export, header: list[str], path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": FIXED_CREATED, "author": "辽宁司法行政基层工作信息化管理系统"})
    if export.style.note_sheet:
        note = wb.add_worksheet(export.style.note_sheet)
        note.write(0, 0, f"本工作簿由系统导出,数据见“{export.prefix}”工作表。")
    ws = wb.add_worksheet(export.prefix)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    bold = wb.add_format({"bold": True})
    row = 0
    for title in export.style.title_rows:
        ws.write_string(row, 0, title, bold)
        row += 1
    ws.write_row(row, 0, _header_cells(export, header), bold)
    real_dates = export.style.date_style == "excel"
    for r in export.rows:
        row += 1
        for j, h in enumerate(header):
            v = r[h]
            if v is None:
                continue
            if isinstance(v, (date, datetime)) and real_dates:
                if isinstance(v, datetime):
                    ws.write_datetime(row, j, v, dt_fmt)
                else:
                    ws.write_datetime(row, j, datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(row, j, v)
            else:
                ws.write_string(row, j, _cell_text(v, export.style))
    total = _total(export, header)
    if total:
        ws.write_row(row + 1, 0, total, bold)
    wb.close()
