"""No download hands Excel a formula (issue 10, item 6: CSV/formula injection, OWASP's rule).

The rule (warehouse.safe_export) on its own; then formula payloads planted in the text of a copy of the demo
warehouse — county, township and organisation names, case and task ids, prison names, mediators, dispute types,
the load's id, quarantined values and file names — and every download of every page made from it: no CSV cell
starts like a formula unless it is a number of a numeric column, the payloads arrive quoted ('=…), numbers stay
numbers, and no XLSX cell is a formula or a link. Every `download_button` in the app must be listed in DOWNLOADS
below (with the function that makes the same bytes), so a new download cannot slip past; and only the writers that
go through warehouse.safe_export write CSV or XLSX at all.
"""
from __future__ import annotations

import ast
import csv
import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Callable

import duckdb
import openpyxl
import polars as pl
import pytest

from dashboard import disputes, metrics, organisations, quality, queries, ranking, risks, verification
from dashboard.downloads import to_csv_bytes, to_xlsx_bytes
from dashboard.filters import Filters
from tests.conftest import ROOT, _built_once
from warehouse import score_export
from warehouse.safe_export import FORMULA_STARTS, QUOTE, csv_bytes, neutralise, neutralise_frame

BOM = b"\xef\xbb\xbf"
PAYLOADS = ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")  # a number as polars writes one, nothing else


# ------------------------------------------------------------------ the rule

@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_text_that_starts_like_a_formula_gets_a_quote(payload):
    assert neutralise(payload) == QUOTE + payload
    assert neutralise("昌图县" + payload) == "昌图县" + payload      # only the first character counts
    assert neutralise("") == "" and neutralise("'=1") == "'=1"    # already a quote in front: text as it is


def test_text_columns_are_neutralised_and_numeric_columns_stay_numbers():
    frame = pl.DataFrame({
        "文本": [*PAYLOADS, "-5", "+3.2", "普通", None],
        "类别": pl.Series([*PAYLOADS, "-5", "+3.2", "普通", None], dtype=pl.Categorical),
        "整数": [-5, 3, -1, 0, 1, 2, -7, 8, 9, None],
        "小数": [-5.5, 3.2, None, 0.0, 1.0, 2.0, -0.25, 8.0, 9.0, 10.0],
        "金额": pl.Series([Decimal("-12.50")] * 10, dtype=pl.Decimal(14, 2)),
        "日期": [date(2023, 3, 1)] * 10,
        "是否": [True, False, None, True, False, True, False, True, False, True],
    })
    out = neutralise_frame(frame)
    expected = [*(QUOTE + p for p in PAYLOADS), "'-5", "'+3.2", "普通", None]  # text is text, even "-5"
    assert out["文本"].to_list() == expected and out["类别"].to_list() == expected
    assert out.drop("文本", "类别").equals(frame.drop("文本", "类别"))
    rows = list(csv.reader(io.StringIO(csv_bytes(frame)[3:].decode("utf-8"), newline="")))
    assert rows[0] == list(frame.columns)
    assert [r[0] for r in rows[1:]] == [e or "" for e in expected]
    assert [r[2] for r in rows[1:]] == ["-5", "3", "-1", "0", "1", "2", "-7", "8", "9", ""]  # numbers, not quoted
    assert [r[3] for r in rows[1:]][:2] == ["-5.5", "3.2"] and rows[1][4] == "-12.50"
    assert rows[1][5:] == ["2023-03-01", "true"]
    # a header that starts like a formula is a text cell too
    assert csv_bytes(pl.DataFrame({"=A1": [1], "-x": ["-y"]})).decode("utf-8-sig").splitlines()[:2] == \
        ["'=A1,'-x", "1,'-y"]


def test_both_layers_write_their_csv_through_the_rule():
    frame = pl.DataFrame({"区县": ["=1+1"], "逾期天数": [-3]})
    assert to_csv_bytes(frame) == csv_bytes(frame) == BOM + "区县,逾期天数\r\n'=1+1,-3\r\n".encode("utf-8")


def test_the_dashboard_xlsx_writes_formulas_title_and_header_as_text():
    frame = pl.DataFrame({PAYLOADS[0]: list(PAYLOADS), "数": [-1, 2, 3, 4, 5, 6]})
    data = to_xlsx_bytes(frame, "@标题", "=副标题")
    assert xlsx_problems(data) == []
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert values[:3] == ["@标题", "=副标题", PAYLOADS[0]] and -1 in values


# ------------------------------------------------------------------ the checks

def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM), "a CSV download starts with the UTF-8 BOM"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def csv_problems(data: bytes, numbers: tuple[str, ...] = ()) -> list[str]:
    """Cells a spreadsheet would run as a formula (a cell that starts like one and is not a plain number), and
    cells of the `numbers` columns (or columns starting with one of them followed by _) that are not numbers."""
    rows = csv_rows(data)
    header, problems = rows[0], []
    for i, row in enumerate(rows):
        for name, cell in zip(header, row):
            if cell.startswith(FORMULA_STARTS) and not (i and NUMBER.fullmatch(cell)):
                problems.append(f"row {i}, column {name!r}: {cell!r} starts like a formula")
            if i and cell and name.startswith(numbers) and not NUMBER.fullmatch(cell):
                problems.append(f"row {i}, column {name!r}: {cell!r} should be a number")
    return problems


def xlsx_problems(data: bytes) -> list[str]:
    """Formula cells (openpyxl's data type, and <f> elements in the sheets' XML) and links, in any sheet."""
    problems = []
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}")
                if cell.hyperlink is not None:
                    problems.append(f"{ws.title}!{cell.coordinate} is a link: {cell.hyperlink.target!r}")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                if re.search(rb"<f[ >/]", z.read(name)):
                    problems.append(f"{name} holds a formula element")
            if "hyperlink" in z.read(name).decode("utf-8", "replace") and name.endswith(".rels"):
                problems.append(f"{name} links somewhere")
    return problems


def payloads_in_csv(data: bytes) -> set[str]:
    cells = [c for row in csv_rows(data)[1:] for c in row]
    return {p for p in PAYLOADS if any(c.startswith(QUOTE + p) for c in cells)}


def payloads_in_xlsx(data: bytes) -> set[str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    # xlsxwriter stores a carriage return as OOXML's escape _x000D_ (Excel shows \r), which openpyxl leaves as is
    return {p for p in PAYLOADS if any(c.startswith((p, p.replace("\r", "_x000D_"))) for c in cells)}


# ------------------------------------------------------------------ every download of every page

def _context(path: Path) -> tuple[Filters, date]:
    """The sidebar's defaults: the whole city over the whole campaign, as of its as-of date."""
    f = Filters()
    return f, metrics.as_of(f, path)


@cache
def _card(path: Path):
    return ranking.scorecard(_context(path)[1], path=path)


def _entry_rates(path: Path) -> pl.DataFrame:
    return queries.entry_rate_by_county(*_context(path), path).drop("区县代码")


def _idle_points(path: Path) -> pl.DataFrame:
    return organisations.inactive_points(*_context(path), path)[1]


def _quarantine(path: Path) -> pl.DataFrame:
    """The quarantine rows the page's download reads: bounded like the page (quality.DOWNLOAD_LIMIT)."""
    return quality.quarantine(quality.QuarantineFilter(), path, 0, quality.DOWNLOAD_LIMIT)


def _audit_trail(path: Path) -> bytes:
    """审计日志's download, from an account store of its own (not the warehouse) whose trail holds the payloads as
    user names, page names, details and client addresses."""
    import os
    import tempfile
    from unittest import mock

    from dashboard import admin
    from dashboard.access import Principal

    with tempfile.TemporaryDirectory() as folder, \
            mock.patch.dict(os.environ, {"ACCOUNTS_PATH": f"{folder}/accounts.sqlite"}):
        for p in PAYLOADS:
            admin.store().audit(Principal(p, "analyst"), "page_view", p, {"筛选": p}, p)
        return admin.audit_csv(admin.AuditFilter(), who=Principal("admin", "admin"))


@cache
def _document(path: Path, kind: str) -> bytes:
    """The 通报 or 简报 both pages offer (the same bytes from the same function): made once per warehouse."""
    return ranking.document_bytes(_card(path), kind, path)


def _trace(path: Path) -> bytes:
    """考评排名's trace download of 昌图县's 录入率 (cases with their organisations' names, where payloads sit)."""
    from dashboard.access import Principal, acting_as
    with acting_as(Principal("t", "analyst")):
        tr = ranking.drill_down("211224", "entry_rate", _context(path)[1], None, path)
        return ranking.trace_workbook(tr, ranking.quarantined("211224", "entry_rate", path))


@dataclass(frozen=True)
class Download:
    kind: str                           # csv | xlsx | docx
    make: Callable[[Path], Any]         # the same bytes the page offers (docx: a tuple, one per button), from the
                                        # warehouse at this path
    numbers: tuple[str, ...] = ()       # CSV columns (or column prefixes) that must hold numbers


# (file, the button's label, its data argument as written there) → how this test makes the same download.
# A download_button added, or given other data, fails test_every_download_button_is_checked until listed here.
DOWNLOADS: dict[tuple[str, str, str], Download] = {
    ("pages/disputes.py", "下载全部(CSV)", "lambda: d.case_list_csv(f, day, scope_choice, county, township, org)"):
        Download("csv", lambda p: disputes.case_list_csv(*_context(p), path=p), ("涉及人数", "涉及金额")),
    ("pages/disputes.py", "下载全部(Excel)",
     "lambda: d.case_list_xlsx(f, day, scope_choice, county, township, org, title)"):
        Download("xlsx", lambda p: disputes.case_list_xlsx(*_context(p), subtitle="人民调解案件明细 · 全市", path=p)),
    ("pages/organisations.py", "下载 CSV", "to_csv_bytes(idle)"):
        Download("csv", lambda p: to_csv_bytes(_idle_points(p))),
    ("pages/overview.py", "下载 Excel(XLSX)", "to_xlsx_bytes(table, '铁岭市人民调解案件录入率', "
     "f'{f.period_label()} · 截至 {as_of:%Y-%m-%d}', percent_columns=('录入率', '目标'))"):
        Download("xlsx", lambda p: to_xlsx_bytes(_entry_rates(p), "铁岭市人民调解案件录入率", "全市",
                                                 percent_columns=("录入率", "目标"))),
    ("pages/overview.py", "下载 CSV", "to_csv_bytes(table)"):
        Download("csv", lambda p: to_csv_bytes(_entry_rates(p)), ("系统录入案件数", "月报受理案件数", "录入率", "目标")),
    ("pages/ranking.py", "下载 Excel(XLSX)", "ranking.xlsx_bytes(card)"):
        Download("xlsx", lambda p: ranking.xlsx_bytes(_card(p))),
    ("pages/ranking.py", "下载 CSV", "ranking.csv_bytes(card)"):
        Download("csv", lambda p: ranking.csv_bytes(_card(p)), ("排名", "总分", "扣分_")),
    ("dashboard/documents.py", "ranking.DOCUMENTS[kind][0]", "lambda kind=kind: ranking.document_bytes(card, kind)"):
        Download("docx", lambda p: tuple(_document(p, kind) for kind in ("notice", "briefing"))),   # both buttons
    ("pages/ranking.py", "下载明细追溯(XLSX)", "lambda: ranking.trace_workbook(tr, held)"):
        Download("xlsx", lambda p: _trace(p)),
    ("pages/risks.py", "下载逾期或未报的月报(CSV)", "to_csv_bytes(late)"):
        Download("csv", lambda p: to_csv_bytes(risks.late_reports(*_context(p), p)), ("逾期天数",)),
    ("pages/verification.py", "下载超期未核查任务(CSV)", "to_csv_bytes(overdue)"):
        Download("csv", lambda p: to_csv_bytes(verification.overdue(*_context(p), p)), ("超期天数",)),
    ("pages/quality.py", "下载 Excel(XLSX)", "lambda: to_xlsx_bytes(_download_rows(), '铁岭市矛盾纠纷数据隔离明细', subtitle)"):
        Download("xlsx", lambda p: to_xlsx_bytes(_quarantine(p), "铁岭市矛盾纠纷数据隔离明细", "全部隔离数据")),
    ("pages/quality.py", "下载 CSV", "lambda: to_csv_bytes(_download_rows())"):
        Download("csv", lambda p: to_csv_bytes(_quarantine(p)), ("行号",)),
    ("pages/audit.py", "下载 CSV", "lambda: admin.audit_csv(flt, me)"):
        Download("csv", _audit_trail),
}


def _app_files() -> list[Path]:
    return sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "dashboard").rglob("*.py"), ROOT / "app.py"])


def download_buttons() -> set[tuple[str, str, str]]:
    """Every download_button call in the app (pages, the dashboard package, app.py): file, label, data — but the
    calls inside dashboard.frame.download_button, the wrapper every page's button goes through, which passes its
    caller's data on unchanged."""
    found = set()
    for path in [p for p in _app_files() if p != ROOT / "dashboard" / "frame.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name != "download_button":
                continue
            args = {**dict(zip(("label", "data"), node.args)), **{k.arg: k.value for k in node.keywords if k.arg}}
            label = args.get("label")
            label = label.value if isinstance(label, ast.Constant) else ast.unparse(label) if label else "?"
            data = ast.unparse(args["data"]) if "data" in args else "?"
            found.add((str(path.relative_to(ROOT)), label, data))
    return found


def test_every_download_goes_through_the_audited_button():
    """No page calls st.download_button (or a column's) itself: dashboard.frame.download_button records each
    download in the audit trail (user, file, filters, rows) and runs a deferred one as its user."""
    direct = [f"{path.relative_to(ROOT)}:{node.lineno}" for path in _app_files() if path != ROOT / "dashboard" / "frame.py"
              for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "download_button"]
    assert not direct, f"download buttons that bypass dashboard.frame.download_button (not audited): {direct}"


def test_every_download_button_is_checked():
    found = download_buttons()
    missing = sorted(found - set(DOWNLOADS))
    assert not missing, "download_button calls not checked for formula injection — add each to DOWNLOADS in " \
        "tests/test_safe_downloads.py with a function that makes the same bytes:\n" + "\n".join(
            f"  {file}: download_button({label!r}, {data})" for file, label, data in missing)
    gone = sorted(set(DOWNLOADS) - found)
    assert not gone, "DOWNLOADS lists buttons no longer in the app (changed or removed): " + "; ".join(map(str, gone))


# calls that write a spreadsheet or CSV file
WRITERS = {"write_csv", "to_csv", "writer", "DictWriter", "write_excel", "to_excel", "Workbook"}


def test_only_the_safe_writers_write_spreadsheets():
    """CSV is written only by warehouse.safe_export.csv_bytes; a workbook is opened only with XLSX_OPTIONS, and a
    writer of one puts text through write_string (never the generic write(), which makes formulas and links), its
    merged cells empty first and filled with write_string."""
    problems = []
    files = [*(ROOT / "pages").glob("*.py"), *(ROOT / "dashboard").glob("*.py"), *(ROOT / "warehouse").rglob("*.py"),
             ROOT / "app.py"]
    for path in sorted(files):
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Attribute, ast.Name)):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            call = f"{where}:{node.lineno} {ast.unparse(node.func)}(…)"
            if name in WRITERS - {"Workbook"} and where != "warehouse/safe_export.py":
                problems.append(f"{call}: write CSV through warehouse.safe_export.csv_bytes")
            elif name == "Workbook" and not (len(node.args) == 2 and ast.unparse(node.args[1]) == "XLSX_OPTIONS"):
                problems.append(f"{call}: open the workbook with warehouse.safe_export.XLSX_OPTIONS")
            elif name == "write" and len(node.args) >= 3:
                problems.append(f"{call}: write text with write_string, numbers with write_number")
            elif name == "merge_range" and not (len(node.args) >= 5 and ast.unparse(node.args[4]) == "''"):
                problems.append(f"{call}: merge the range empty, then write_string into its first cell")
    assert problems == []


def _plant(source: Path) -> Callable[[Path], None]:
    """A copy of the demo warehouse with a payload in front of every value of the text columns that downloads
    show (the same value gets the same payload in every table, so joins on names still hold; sorted values take
    the payloads in turn, so the seven counties carry all six), the load's id, and quarantined rows."""
    columns = ("county", "township", "org_name", "org_id", "case_id", "task_id", "prison_name", "mediator_name_masked",
               "dispute_type", "summary")

    def build(out: Path) -> None:
        path = out / "warehouse.duckdb"
        shutil.copy(source, path)
        con = duckdb.connect(str(path))
        try:
            found = con.execute("""SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'marts'
                                   AND data_type = 'VARCHAR' AND column_name IN (SELECT unnest($c))""",
                                {"c": list(columns)}).fetchall()
            for column in columns:
                tables = [t for t, c in found if c == column]
                values = sorted({v for t in tables for (v,) in con.execute(
                    f"SELECT DISTINCT {column} FROM marts.{t} WHERE {column} IS NOT NULL").fetchall()})
                planted = pl.DataFrame({"old": values, "new": [PAYLOADS[i % len(PAYLOADS)] + v for i, v in enumerate(values)]},
                                       schema={"old": pl.String, "new": pl.String})
                con.register("planted", planted)
                for t in tables:
                    con.execute(f"UPDATE marts.{t} SET {column} = p.new FROM planted p WHERE {column} = p.old")
                con.unregister("planted")
            con.execute(f"UPDATE meta.load_run SET run_id = '{PAYLOADS[3]}' || run_id")
            county = con.execute("SELECT min(county_code) FROM marts.dim_county").fetchone()[0]
            con.executemany("""INSERT INTO meta.quarantine (run_id, file_seq, file_name, sha256, dataset, row_number,
                                   column_name, rule, rule_text, value, county_code, detail)
                               VALUES ('r', 1, ?, 'x', 'mediation_case', ?, ?, ?, '', ?, ?, ?)""",
                            [(p + "导出.csv", i + 3, p + "列", p + "规则", p + "值", county if i % 2 else None, p + "说明")
                             for i, p in enumerate(PAYLOADS)])
        finally:
            con.close()
    return build


@pytest.fixture
def planted(tmp_path_factory, demo_warehouse) -> Path:
    """Built once per run (shared by xdist workers, like the demo warehouse itself); a new file, so the
    dashboard's read-only connection attaches it fresh."""
    return _built_once(tmp_path_factory, "safe_downloads_warehouse", _plant(demo_warehouse)) / "warehouse.duckdb"


@pytest.mark.parametrize("key", list(DOWNLOADS), ids=[f"{f.split('/')[1]}-{k}" for f, k, _ in DOWNLOADS])
def test_a_planted_formula_reaches_a_download_only_as_text(planted, key):
    download = DOWNLOADS[key]
    data = download.make(planted)
    if download.kind == "csv":
        assert csv_problems(data, download.numbers) == []
        reached = payloads_in_csv(data)
    elif download.kind == "docx":   # a Word document runs no formula; it could run a field code (DDE): none is there
        import io
        import zipfile
        reached = set()
        for document in data:        # the notice and the briefing, each checked whole
            body = zipfile.ZipFile(io.BytesIO(document)).read("word/document.xml").decode()
            assert "<w:fldSimple" not in body and "<w:instrText" not in body
            reached |= {p for p in PAYLOADS if p.replace("&", "&amp;").replace("<", "&lt;") in body}
    else:
        assert data.startswith(b"PK") and xlsx_problems(data) == []
        reached = payloads_in_xlsx(data)
    assert reached, f"no planted payload reached {key[:2]}: the check proves nothing"


def test_every_payload_reaches_the_downloads_and_numbers_stay_numbers(planted):
    """The ranked table carries all seven counties (so all six payloads) and negative deductions, unquoted."""
    csv_data = ranking.csv_bytes(_card(planted))
    assert payloads_in_csv(csv_data) == set(PAYLOADS)
    assert payloads_in_xlsx(ranking.xlsx_bytes(_card(planted))) == set(PAYLOADS)
    rows = csv_rows(csv_data)
    deductions = [c for row in rows[1:] for name, c in zip(rows[0], row) if name.startswith("扣分_")]
    assert any(c.startswith("-") and float(c) < 0 for c in deductions), deductions
    # the same table written by the warehouse layer's own export (the command line's download)
    assert score_export.to_csv_bytes(_card(planted)) == csv_data


def test_xlsx_lists_write_numbers_as_numbers_and_dates_as_dates(tmp_path):
    """Amounts (DECIMAL in the warehouse), counts, dates and times are typed cells: SUM and date filters work in
    Excel; text stays text."""
    from datetime import date, datetime
    from decimal import Decimal

    import openpyxl
    frame = pl.DataFrame({"案件编号": ["A1"], "涉及金额(元)": [Decimal("1234.50")], "涉及人数": [3],
                          "受理日期": [date(2023, 3, 5)], "录入时间": [datetime(2023, 3, 9, 10, 0)]})
    path = tmp_path / "list.xlsx"
    path.write_bytes(to_xlsx_bytes(frame, "人民调解案件明细"))
    row = [c for c in openpyxl.load_workbook(path).active.iter_rows(min_row=4, max_row=4)][0]   # title, blank, header
    assert [c.value for c in row] == ["A1", 1234.5, 3, datetime(2023, 3, 5), datetime(2023, 3, 9, 10, 0)]
    assert [c.data_type for c in row] == ["s", "n", "n", "d", "d"]
    assert [c.number_format for c in row[1:]] == ["#,##0.00", "#,##0", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"]
