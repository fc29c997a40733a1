"""Read one export file into a table of text cells: format and encoding, dataset, header, data rows.

Every cell is read as text (a 合计 may stand in a numeric column); typing happens in normalise.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from etl.contract import DATASETS, Dataset
from etl.pii import PY_WHITESPACE

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv"}
MAX_TITLE_ROWS = 3
TOTAL_WORDS = {"合计", "总计"}
ROW = "_row"  # 1-based row number in the file, as a person sees it in Excel
# The csv module refuses a field over 131,072 characters ("field larger than field limit"), which would refuse the
# whole file for one pasted document in one cell. Every field is read whatever its length; the normaliser then
# quarantines a cell longer than its column accepts (too_long), and the rest of the file loads.
CSV_FIELD_LIMIT = 2**31 - 1   # the most a C long holds on every platform
ENCODINGS_TRIED = "UTF-8、UTF-8 BOM、UTF-16 BOM、GB18030"

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, mapped to their ASCII forms.
FULLWIDTH = {chr(0xFF01 + i): chr(0x21 + i) for i in range(94)} | {"\u3000": " "}
_FULLWIDTH_TABLE = str.maketrans(FULLWIDTH)
_SPACE = re.compile(r"\s+")


class FileRefused(Exception):
    """The whole file cannot be loaded; the message says why, in Chinese, for the load report.

    dataset: the dataset key when the file name or the header told it (a 人民调解员 export missing a
    column is still a 人民调解员 export), so the load report can say which data did not arrive.
    """

    def __init__(self, message: str, dataset: str | None = None):
        super().__init__(message)
        self.dataset = dataset


@dataclass
class RawTable:
    dataset: Dataset
    frame: pl.DataFrame          # contract columns present in the file (all text) plus _row
    encoding: str                # xlsx | xls | utf-8-sig | utf-16-le | utf-16-be | utf-8 | gb18030
    sheet: str | None
    extra_columns: list[str]     # header cells the contract does not name (ignored)

    @property
    def rows_read(self) -> int:
        return self.frame.height


def header_key(cell: object) -> str:
    """A header cell compared to the contract: full-width folded, all whitespace removed."""
    return _SPACE.sub("", str(cell or "").translate(_FULLWIDTH_TABLE))


_HEADER_INDEX = {ds.key: {header_key(c.name): c.name for c in ds.columns} for ds in DATASETS.values()}


def dataset_from_name(file_name: str) -> Dataset | None:
    name = header_key(Path(file_name).stem)
    matches = [ds for ds in DATASETS.values() if name.startswith(ds.prefix)]
    return max(matches, key=lambda d: len(d.prefix)) if matches else None


# UTF-16 text (Excel's "Unicode text" export) starts with a byte-order mark, which names its byte order. UTF-32's
# marks begin like UTF-16's: they are not taken for UTF-16 (no export system writes UTF-32; it is refused below).
UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"))


def decode_csv(data: bytes) -> tuple[str, str]:
    """utf-16 (by its byte-order mark) → utf-8-sig → utf-8 → gb18030, in that order (polars reads UTF-8 only)."""
    for bom, codec, label in UTF16_BOMS:
        if data.startswith(bom) and not data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return _decode(data[len(bom):], codec, label, len(bom)), codec
    if b"\x00" in data[:65536]:
        # NUL bytes in a file without a UTF-16 mark: UTF-16 without one, UTF-32 or a binary file, never an export
        raise FileRefused(f"文件含有二进制内容(NUL 字节),不是CSV文本文件(已尝试的编码:{ENCODINGS_TRIED});"
                          "UTF-16 文本须带字节顺序标记(BOM)")
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8):], "utf-8", "UTF-8 BOM", len(codecs.BOM_UTF8)), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise FileRefused(f"无法识别文件编码(已尝试 {ENCODINGS_TRIED}):第 {exc.start + 1} 字节起"
                          f"按 GB18030 也无法解码") from exc


def _decode(data: bytes, codec: str, label: str, offset: int) -> str:
    """Text after a byte-order mark: the mark names the encoding, so a byte that does not decode refuses the file."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise FileRefused(f"文件以 {label} 标记开头,但第 {exc.start + offset + 1} 字节起无法按 {label} 解码"
                          f"(已尝试的编码:{ENCODINGS_TRIED})") from exc


# a blank row is blank by Python's rule (etl.pii.PY_WHITESPACE), as it was when rows were Python lists
CSV_HEAD_ROWS = 64   # records parsed by the csv module to learn a CSV's width before polars reads the whole file


def _csv_grid(data: bytes) -> tuple[pl.DataFrame, str]:
    """A CSV as a frame of text columns c0, c1, … (one row per record, empty cells null), read by polars' CSV reader:
    columnar, without a Python object per cell. The width is the widest of the first records; a later record with
    more fields, or lone CR line ends (which polars does not take for line ends), fall back to the csv module."""
    text, encoding = decode_csv(data)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    head = list(itertools.islice(csv.reader(io.StringIO(text, newline="")), CSV_HEAD_ROWS))
    width = max((len(r) for r in head), default=0)
    if width == 0:
        return pl.DataFrame(), encoding
    if text.count("\r") == text.count("\r\n") and ('"' not in text or _well_quoted(text)):
        try:
            # our own header line names the columns: polars takes its width from the first line, which may be a
            # title row of one cell
            names = [f"c{i}" for i in range(width)]
            grid = pl.read_csv((",".join(names) + "\n" + text).encode("utf-8"), has_header=True, quote_char='"',
                               schema={c: pl.String for c in names}, raise_if_empty=False,
                               truncate_ragged_lines=False)
            return _nulls_for_empty(grid), encoding
        except pl.exceptions.ComputeError:
            pass   # a record wider than the head: the csv module reads it
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return _grid_from_rows(rows), encoding


# One record as RFC 4180 writes it: fields either quoted (a quote inside doubled) or free of quotes, commas and line
# ends. Where every record is written so, polars and the csv module read the same cells; a stray quote (5"寸, "ab"c)
# is read differently by the two, so such a file is read by the csv module, as it always was.
_RECORD = re.compile(r'(?:"(?:[^"]|"")*"|[^,"\r\n]*)(?:,(?:"(?:[^"]|"")*"|[^,"\r\n]*))*(?:\r?\n|\Z)')


def _well_quoted(text: str) -> bool:
    pos, end, match = 0, len(text), _RECORD.match
    while pos < end:
        found = match(text, pos)
        if found is None or found.end() == pos:
            return False
        pos = found.end()
    return True


def _grid_from_rows(rows: list[list[str]]) -> pl.DataFrame:
    width = max((len(r) for r in rows), default=0)
    columns = {f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(width)}
    return _nulls_for_empty(pl.DataFrame(columns, schema={c: pl.String for c in columns}))


def _nulls_for_empty(grid: pl.DataFrame) -> pl.DataFrame:
    """An empty cell ("" or a quoted "") is no value."""
    return grid.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in grid.columns)


def _excel_grid(path: Path, data: bytes, by_name: Dataset | None) -> tuple[pl.DataFrame, str, str]:
    is_xls = data.startswith(b"\xd0\xcf\x11\xe0")
    if not (data.startswith(b"PK") or is_xls):
        raise FileRefused(f"扩展名为{path.suffix}但不是Excel文件")
    try:
        reader = fastexcel.read_excel(data)
        names = list(reader.sheet_names)
        # The data is on the first sheet unless a sheet carries a dataset's Chinese name.
        wanted = [by_name.prefix] if by_name else [d.prefix for d in DATASETS.values()]
        sheet = next((n for n in names if header_key(n) in wanted), names[0])
        frame = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except FileRefused:
        raise
    except Exception as exc:  # calamine raises several error types for broken workbooks
        raise FileRefused(f"Excel文件无法读取:{exc}") from exc
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    return _nulls_for_empty(frame.cast({c: pl.String for c in frame.columns})), ("xls" if is_xls else "xlsx"), sheet


def _find_header(rows: list[list[str | None]], candidates: list[Dataset]) -> tuple[int, Dataset]:
    best: tuple[int, int, Dataset] | None = None  # (matches, row index, dataset)
    for i, row in enumerate(rows[: MAX_TITLE_ROWS + 1]):
        keys = {header_key(c) for c in row if c is not None}
        for ds in candidates:
            matches = len(keys & _HEADER_INDEX[ds.key].keys())
            required = {header_key(c) for c in ds.required}
            # A header row names at least half of the dataset's required columns.
            if matches and len(keys & required) * 2 >= len(required) and (best is None or matches > best[0]):
                best = (matches, i, ds)
    if best is None:
        what = candidates[0].prefix if len(candidates) == 1 else "任何已知数据集"
        raise FileRefused(f"前{MAX_TITLE_ROWS + 1}行中找不到{what}的表头")
    return best[1], best[2]


def _column_letter(pos: int) -> str:
    """A 0-based column position as Excel names it: 0 → A, 26 → AA."""
    letters = ""
    pos += 1
    while pos:
        pos, rest = divmod(pos - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _is_total(row: list[str | None]) -> bool:
    return any(c is not None and header_key(c) in TOTAL_WORDS for c in row)


def read_file(path: Path, data: bytes | None = None) -> RawTable:
    """Read an export into text cells; raises FileRefused with the reason when it cannot be loaded, naming
    the dataset whenever the file name or the header recognised it."""
    path = Path(path)
    by_name = dataset_from_name(path.name)
    try:
        return _read(path, path.read_bytes() if data is None else data, by_name)
    except FileRefused as exc:
        if exc.dataset is None and by_name is not None:
            exc.dataset = by_name.key
        raise


def _read(path: Path, data: bytes, by_name: Dataset | None) -> RawTable:
    suffix = path.suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES:
        raise FileRefused(f"不支持的文件类型“{path.suffix or '无扩展名'}”,只接受 .xlsx、.xls、.csv")
    sheet = None
    if suffix == ".csv":
        grid, encoding = _csv_grid(data)
    else:
        grid, encoding, sheet = _excel_grid(path, data, by_name)
    if grid.height == 0 or grid.width == 0:
        raise FileRefused("文件为空,没有表头")
    head = [list(r) for r in grid.head(MAX_TITLE_ROWS + 1).iter_rows()]   # only the rows a header may be on
    header_at, dataset = _find_header(head, [by_name] if by_name else list(DATASETS.values()))

    index = _HEADER_INDEX[dataset.key]
    positions: dict[str, int] = {}
    extras: list[str] = []
    for pos, cell in enumerate(head[header_at]):
        name = index.get(header_key(cell))
        if name and name in positions:
            # two columns claim the same contract column (所属区县 and 所属区县 ): which holds the data is a guess
            raise FileRefused(f"表头中“{name}”出现了两次(第 {_column_letter(positions[name])} 列和第 "
                              f"{_column_letter(pos)} 列,表头第 {header_at + 1} 行),无法确定用哪一列", dataset.key)
        if name:
            positions[name] = pos
        elif cell is not None:
            extras.append(str(cell))
    missing = [c for c in dataset.required if c not in positions]
    if missing:
        raise FileRefused(f"缺少必填列:{'、'.join(missing)}", dataset.key)  # the header said which dataset

    # the data rows with the row number a person sees in Excel; blank lines carry no data
    body = grid.slice(header_at + 1).with_row_index(ROW, offset=header_at + 2).cast({ROW: pl.Int64})
    body = body.filter(pl.any_horizontal(pl.col(c).str.strip_chars(PY_WHITESPACE).str.len_chars() > 0
                                         for c in grid.columns).fill_null(False))
    while body.height and _is_total(list(body.row(body.height - 1))[1:]):   # trailing 合计 rows: a few at most
        body = body.slice(0, body.height - 1)
    frame = body.select(ROW, *(pl.col(f"c{pos}").alias(name) for name, pos in positions.items()))
    return RawTable(dataset, frame, encoding, sheet, extras)
