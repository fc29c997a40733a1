"""Read one export file into a table of text cells: format and encoding, dataset, header, data rows.

Every cell is read as text (a 合计 may stand in a numeric column); typing happens in normalise.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from etl.contract import DATASETS, Dataset

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


def _csv_rows(data: bytes) -> tuple[list[list[str | None]], str]:
    text, encoding = decode_csv(data)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    rows = [[cell if cell != "" else None for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    return rows, encoding


def _excel_rows(path: Path, data: bytes, by_name: Dataset | None) -> tuple[list[list[str | None]], str, str]:
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
    rows = [list(r) for r in frame.iter_rows()]
    return rows, ("xls" if is_xls else "xlsx"), sheet


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
        rows, encoding = _csv_rows(data)
    else:
        rows, encoding, sheet = _excel_rows(path, data, by_name)
    if not rows:
        raise FileRefused("文件为空,没有表头")
    header_at, dataset = _find_header(rows, [by_name] if by_name else list(DATASETS.values()))

    index = _HEADER_INDEX[dataset.key]
    positions: dict[str, int] = {}
    extras: list[str] = []
    for pos, cell in enumerate(rows[header_at]):
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

    body = [(header_at + 1 + i + 1, r) for i, r in enumerate(rows[header_at + 1:])]
    body = [(n, r) for n, r in body if any(c is not None and c.strip() for c in r)]  # blank lines carry no data
    while body and _is_total(body[-1][1]):
        body.pop()
    columns = {name: [r[pos] if pos < len(r) else None for _, r in body] for name, pos in positions.items()}
    frame = pl.DataFrame({ROW: [n for n, _ in body], **columns},
                         schema={ROW: pl.Int64, **{name: pl.String for name in columns}})
    return RawTable(dataset, frame, encoding, sheet, extras)
