"""Write one export file the way the source systems do: title rows, header, data, maybe a 合计 row.

A FileStyle carries the variations a real export shows (format, encoding, date style, place
name forms, column order, extra sheets); values are formatted per style, never made invalid.
"""
from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
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
    township_form: str = "name"          # name | office (…街道办事处) | county (昌图县泉头镇)
    village_form: str = "official"       # official | short (二公台村, 小康社区) | committee (二公台村委会, 小康居委会)
                                         # | township (蔡牛镇二公台村, 蔡牛二公台村)
    place_spaces: bool = False           # full-width and stray spaces around and inside place names
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


def township_text(county_code: str, code: str, name: str, short: bool, form: str = "name") -> str:
    """The township as the file writes it; a form the ETL would not resolve to the same township is not used
    (a short name shared by two townships would make a valid row ambiguous)."""
    if form == "office" and name.endswith("街道"):
        text = name + "办事处"
    elif form == "county":
        text = {v: k for k, v in _county_codes().items()}[county_code] + name
    elif short:
        text = _TOWNSHIP_SUFFIX.sub("", name)
    else:
        return name
    return text if places.resolve_one("township", county_code, text)[0] == code else name


_TOWNSHIP_SUFFIX = re.compile(r"(满族乡|民族乡|街道|镇|乡)$")
# 二公台村村民委员会 → 二公台村: the 村 of the name is kept, the committee ending goes
_VILLAGE_ENDINGS = (("村村民委员会", "村"), ("村民委员会", "村"), ("社区居民委员会", "社区"), ("社区居委会", "社区"),
                    ("居民委员会", "社区"), ("居委会", "社区"))
_COMMITTEE = {"村": "村委会", "社区": "居委会"}


def village_text(township_code: str, code: str, name: str, form: str, row_index: int) -> str:
    """The village as the file writes it: short (二公台村), as a committee (二公台村委会), or after its township
    (蔡牛镇二公台村, 蔡牛二公台村, alternating by row). Never a form the ETL would not resolve to this village:
    a bare stem (泉头) could be 泉头社区 or 泉头村民委员会."""
    if form == "official":
        return name
    short, kind = name, None
    for ending, k in _VILLAGE_ENDINGS:
        if name.endswith(ending):
            short, kind = name[: -len(ending)] + k, k
            break
    township = _township_names()[township_code]
    if form == "committee" and kind:
        text = short.removesuffix(kind) + _COMMITTEE[kind]
    elif form == "township":
        prefix = township if row_index % 2 == 0 else _TOWNSHIP_SUFFIX.sub("", township) or township
        text = prefix + short
    else:
        text = short
    return text if places.resolve_one("village", township_code, text)[0] == code else name


def spaced(text: str, row_index: int) -> str:
    """Stray spaces as clerks type them, varying by row: a trailing ideographic space, a leading space, a space
    inside the name, or none."""
    kind = row_index % 4
    if kind == 0:
        return text + "\u3000"
    if kind == 1:
        return " " + text
    if kind == 2 and len(text) > 1:
        return text[:1] + " " + text[1:]
    return text


@cache
def _township_names() -> dict[str, str]:
    return dict(reference.townships().select("code", "name").iter_rows())


@cache
def _village_codes() -> dict[tuple[str, str], str]:
    return {(t, n): c for c, n, t in reference.villages().select("code", "name", "township_code").iter_rows()}


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
    """Rows hold official names; the file writes them in its own forms (昌图, 昌图县司法局, 新台子, 二公台村…)."""
    style = export.style
    cols = {c.place: c.name for c in DATASETS[export.dataset].columns if c.place}
    codes = _county_codes()
    township_codes = {(t[2], t[1]): t[0] for t in reference.townships().select("code", "name", "county_code").iter_rows()}
    out = []
    for i, row in enumerate(export.rows):
        row = dict(row)
        county = row.get(cols.get("county"))
        if county in codes:
            code = codes[county]
            if "township" in cols and row.get(cols["township"]):
                name = row[cols["township"]]
                if (code, name) in township_codes:
                    township = township_codes[(code, name)]
                    village = row.get(cols.get("village", ""))
                    if village and (township, village) in _village_codes():
                        row[cols["village"]] = village_text(township, _village_codes()[(township, village)], village,
                                                            style.village_form, i)
                    row[cols["township"]] = township_text(code, township, name, style.township_short,
                                                          style.township_form)
            row[cols["county"]] = county_text(county, style.county_form)
        if style.place_spaces:
            for c in cols.values():
                if isinstance(row.get(c), str):
                    row[c] = spaced(row[c], i)
        out.append(row)
    return out


def _header_cells(export: Export, header: list[str]) -> list[str]:
    texts = dict(export.style.header_text)
    return [texts.get(h, h) for h in header]


def data_row_number(export: Export, index: int) -> int:
    """The row a person sees in Excel for export.rows[index]: after the title rows and the header."""
    return len(export.style.title_rows) + 2 + index


XLSX_MAX_ROWS = 1_048_576   # rows of one Excel worksheet


def sheet_rows(export: Export) -> int:
    return len(export.style.title_rows) + 1 + len(export.rows) + (1 if export.style.total_row else 0)


def write(export: Export, out_dir: Path, rng: random.Random) -> Path:
    """Write the export; returns the file written. A period too large for one worksheet (a national year) is written
    as UTF-8 CSV under the same name with .csv, as the source systems do, never cut at Excel's row limit."""
    style = export.style
    if style.format == "xlsx" and sheet_rows(export) > XLSX_MAX_ROWS:
        style = replace(style, format="csv", encoding="utf-8-sig", note_sheet=None)
        export = Export(str(Path(export.name).with_suffix(".csv")), export.dataset, export.prefix, export.header,
                        export.rows, style)
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


class _Checked:
    """A worksheet whose writes raise instead of returning xlsxwriter's error codes (-1: beyond the sheet's rows or
    columns, -2: a string too long), which it otherwise returns silently."""

    def __init__(self, sheet, name: str):
        self.sheet, self.name = sheet, name

    def __getattr__(self, method: str):
        write = getattr(self.sheet, method)

        def checked(*args, **kwargs):
            code = write(*args, **kwargs)
            if isinstance(code, int) and code < 0:
                raise ValueError(f"{self.name}: xlsxwriter {method}{args[:2]} returned {code}")
            return code
        setattr(self, method, checked)   # looked up once per method, not per cell
        return checked


def _write_xlsx(export: Export, header: list[str], path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": FIXED_CREATED, "author": "辽宁司法行政基层工作信息化管理系统"})
    if export.style.note_sheet:
        note = wb.add_worksheet(export.style.note_sheet)
        note.write(0, 0, f"本工作簿由系统导出,数据见“{export.prefix}”工作表。")
    ws = _Checked(wb.add_worksheet(export.prefix), export.name)
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
