"""数据质量: load runs, files, expectation results and quarantine, on a hand-made inbox through the real ETL.

The inbox holds a 人民调解统计月报 CSV with valid and bad rows, a 人民调解案件 CSV with two bad rows and a
PDF the ETL refuses. The truth below is counted by hand from those rows, not by the page's own SQL.
"""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts, quality
from dashboard.downloads import to_csv_bytes, to_xlsx_bytes
from dashboard.quality import QuarantineFilter
from tests.conftest import TEST_KEY, write_csv
from tests.test_normalise import BASE, CASE_HEADER

ENTRY = str(Path(__file__).resolve().parent / "app_entry.py")
PAGE = "../pages/quality.py"  # relative to the AppTest entry script in tests/
KAIYUAN, XIFENG, CHANGTU = "211282", "211223", "211224"
REPORT_FILE, CASE_FILE, PDF_FILE = "人民调解统计月报_2023Q1.csv", "人民调解案件_补录.csv", "说明.pdf"
REPORT_HEADER = ["所属区县", "所属乡镇(街道)", "统计月份", "受理案件数", "调解成功数"]

# Data rows start at file row 2 (row 1 is the header).
REPORT_ROWS = [
    ["昌图县", "昌图镇", "2023-03", "5", "4"],        # 2 valid
    ["开原市", "威远堡镇", "2023-03", "3", "3"],      # 3 valid
    ["开原市", "新城街道", "2023-03", "2", "5"],      # 4 调解成功数 > 受理案件数
    ["开原市", "老城街道", "2023-03", "-1", "0"],     # 5 negative count, and so also 0 > -1: one row, two issues
    ["铁岭市", "红旗街道", "2023-03", "4", "2"],      # 6 the city is not a county: no county resolved
    ["西丰县", "西丰镇", "2023-03", "-2", "3"],       # 7 negative count and 成功 > 受理: one row, two issues
    ["开原市", "开原街道", "2023-03", "3", "9"],      # 8 调解成功数 > 受理案件数
]
CASE_ROWS = [
    {"案件编号": "Q1"},                               # 2 valid (昌图县)
    {"案件编号": "Q2", "所属区县": "铁岭市"},          # 3 the city is not a county
    {"案件编号": "Q3", "调解日期": "2023-03-01"},      # 4 mediated before accepted (昌图县)
]
ROWS_PER_COUNTY = {"开原市": 3, "西丰县": 1, "昌图县": 1, "银州区": 0, "清河区": 0, "铁岭县": 0, "调兵山市": 0,
                   "未识别区县": 2}
ISSUES = 9  # 开原 2+1+1, 西丰 2, 未识别 1+1, 昌图 1


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    from warehouse.publish import run

    root = tmp_path_factory.mktemp("quality")
    inbox = root / "inbox"
    inbox.mkdir()
    write_csv(inbox / REPORT_FILE, [REPORT_HEADER, *REPORT_ROWS])
    write_csv(inbox / CASE_FILE, [CASE_HEADER] + [[{**BASE, **c}[h] for h in CASE_HEADER] for c in CASE_ROWS])
    (inbox / PDF_FILE).write_bytes(b"%PDF-1.4 not an export")
    path = root / "warehouse.duckdb"
    assert run(inbox, path, hmac_key=TEST_KEY).published
    return path


def _direct(path: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _file_seq(path: Path, name: str) -> int:
    return _direct(path, "SELECT file_seq FROM meta.load_file WHERE file_name = ?", [name])[0][0]


# ------------------------------------------------------------------ runs, files, expectations

def test_runs_in_beijing_time(warehouse):
    runs = quality.runs(warehouse)
    (started, finished), = _direct(warehouse, "SELECT started_at, finished_at FROM meta.load_run")
    assert runs.height == 1
    row = runs.row(0, named=True)
    assert row["开始时间(北京时间)"] == started + timedelta(hours=8)
    assert row["完成时间(北京时间)"] == finished + timedelta(hours=8)
    assert (row["文件数"], row["入库文件数"], row["拒收文件数"], row["重复文件数"]) == (3, 2, 1, 0)
    assert (row["读取行数"], row["入库行数"], row["隔离行数"]) == (10, 3, 7)


def test_files_show_chinese_dataset_and_status_refused_first(warehouse):
    files = quality.files(None, warehouse)
    assert files["文件名"][0] == PDF_FILE  # refused files lead the table
    by_name = {r["文件名"]: r for r in files.iter_rows(named=True)}
    pdf = by_name[PDF_FILE]
    assert (pdf["状态"], pdf["数据集"]) == ("拒收", "—") and "不支持的文件类型" in pdf["原因"]
    report = by_name[REPORT_FILE]
    assert (report["数据集"], report["状态"], report["编码"]) == ("人民调解统计月报", "已入库", "UTF-8(带BOM)")
    assert (report["读取行数"], report["入库行数"], report["隔离行数"]) == (7, 2, 5)
    assert by_name[CASE_FILE]["数据集"] == "人民调解案件"
    run_id = quality.runs(warehouse)["批次编号"][0]
    assert quality.files(run_id, warehouse).height == 3 and quality.files("no-such-run", warehouse).is_empty()


def test_expectation_results_rule_text_and_failures(warehouse):
    failed = quality.expectation_results(None, True, warehouse)
    assert set(failed["结果"]) == {"未通过"}
    got = {(r["文件名"], r["列"], r["规则"]): r["不符合行数"] for r in failed.iter_rows(named=True)}
    assert got == {
        (REPORT_FILE, "调解成功数", "数值大于应不超过的列"): 4,   # rows 4, 5, 7, 8
        (REPORT_FILE, "受理案件数", "数值小于下限"): 2,          # rows 5, 7
        (CASE_FILE, "调解日期", "日期先后顺序错误"): 1,          # row 4
    }
    assert set(failed["校验类型"]) <= set(quality.EXPECTATION_TEXT.values())
    everything = quality.expectation_results(None, False, warehouse)
    assert everything.height > failed.height and "通过" in set(everything["结果"])
    assert everything.height == _direct(warehouse, "SELECT count(*) FROM meta.expectation_result")[0][0]
    marts = everything.filter(pl.col("文件名") == quality.TABLE_CHECK)  # the run's key checks on the marts
    assert marts.height and set(marts["结果"]) == {"通过"} and "(整表)" not in set(marts["列"])


def test_summary(warehouse):
    s = quality.summary(warehouse)
    assert (s["runs"], s["files_refused"], s["rows_quarantined"], s["issues"], s["expectations_failed"]) == \
        (1, 1, 7, ISSUES, 3)


# ------------------------------------------------------------------ quarantine

def test_quarantined_rows_per_county(warehouse):
    by_county = quality.quarantine_by_county(QuarantineFilter(), warehouse)
    assert dict(by_county.select("区县", "隔离行数").iter_rows()) == ROWS_PER_COUNTY
    assert by_county["区县"][0] == "开原市" and by_county["区县"][-1] == "未识别区县"  # largest first, unknown last
    assert by_county["隔离行数"].sum() == quality.summary(warehouse)["rows_quarantined"]
    threshold, high = quality.standout(by_county)
    assert high == ["开原市"] and 1 < threshold < 3


def test_quarantine_table_masks_and_labels(warehouse):
    table = quality.quarantine(QuarantineFilter(), warehouse)
    assert table.height == ISSUES
    assert table.columns == ["区县", "文件名", "数据集", "行号", "列", "规则", "值", "说明"]
    assert set(table["说明"]) == {""}  # only an ambiguous place has one (tests/test_places.py)
    assert set(table["规则"]) <= set(quality.RULES.values())
    row5 = table.filter((pl.col("文件名") == REPORT_FILE) & (pl.col("行号") == 5))
    assert set(row5["规则"]) == {"数值小于下限", "数值大于应不超过的列"} and set(row5["区县"]) == {"开原市"}
    city = table.filter(pl.col("规则") == "铁岭市不是区县")
    assert set(city["区县"]) == {"未识别区县"} and city.height == 2


def test_quarantine_table_reads_a_warehouse_from_before_the_detail_column(warehouse, tmp_path):
    old = tmp_path / "old.duckdb"
    old.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(old))
    try:
        con.execute("ALTER TABLE meta.quarantine DROP COLUMN detail")
    finally:
        con.close()
    table = quality.quarantine(QuarantineFilter(), old)
    assert table.height == ISSUES and set(table["说明"]) == {""}


@pytest.mark.parametrize("q,issues,rows", [
    (QuarantineFilter(rules=("not_greater",)), 4, {"开原市": 3, "西丰县": 1}),
    (QuarantineFilter(rules=("city_not_county",)), 2, {"未识别区县": 2}),
    (QuarantineFilter(datasets=("mediation_case",)), 2, {"昌图县": 1, "未识别区县": 1}),
    (QuarantineFilter(counties=(KAIYUAN,)), 4, {"开原市": 3}),
    (QuarantineFilter(counties=(KAIYUAN, XIFENG), rules=("min_value",)), 2, {"开原市": 1, "西丰县": 1}),
])
def test_quarantine_filters(warehouse, q, issues, rows):
    table = quality.quarantine(q, warehouse)
    assert table.height == issues
    by_county = quality.quarantine_by_county(q, warehouse)
    assert {k: v for k, v in by_county.select("区县", "隔离行数").iter_rows() if v} == rows
    if q.counties:  # a chosen county: only those counties, and no 未识别区县
        assert set(by_county["区县"]) == set(rows)


def test_quarantine_file_filter_and_options(warehouse):
    seq = _file_seq(warehouse, CASE_FILE)
    table = quality.quarantine(QuarantineFilter(files=(seq,)), warehouse)
    assert set(table["文件名"]) == {CASE_FILE} and table["行号"].to_list() == [3, 4]
    options = quality.quarantine_options(warehouse)
    assert set(options["files"].values()) == {REPORT_FILE, CASE_FILE}  # the refused PDF has no rows
    assert options["datasets"] == {"mediation_case": "人民调解案件", "monthly_case_report": "人民调解统计月报"}
    assert options["rules"]["not_greater"] == "数值大于应不超过的列"


def test_quarantine_is_read_a_page_at_a_time(warehouse):
    whole = quality.quarantine(QuarantineFilter(), warehouse)
    pages = [quality.quarantine(QuarantineFilter(), warehouse, offset, 4) for offset in (0, 4, 8)]
    assert [p.height for p in pages] == [4, 4, 1] and pl.concat(pages).equals(whole)
    assert quality.quarantine_count(QuarantineFilter(), warehouse) == {"rows": 7, "issues": ISSUES}
    assert quality.quarantine_count(QuarantineFilter(counties=(KAIYUAN,)), warehouse) == {"rows": 3, "issues": 4}


def test_downloads_csv_with_bom_and_xlsx(warehouse):
    table = quality.quarantine(QuarantineFilter(counties=(KAIYUAN,)), warehouse)
    data = to_csv_bytes(table)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(io.BytesIO(data[3:]))
    assert back.columns == table.columns and back.height == 4 and set(back["区县"]) == {"开原市"}
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(table, "铁岭市矛盾纠纷数据隔离明细", "区县:开原市"))).active
    assert ws["A1"].value == "铁岭市矛盾纠纷数据隔离明细" and ws["A4"].value == "区县"
    assert ws.max_row == 4 + table.height


def test_chart_highlights_the_standout_county(warehouse):
    frame = quality.quarantine_by_county(QuarantineFilter(), warehouse)
    fig = quality.quarantine_by_county_chart(frame)
    assert fig.layout.title.text == "各区县隔离数据行数(行)"
    assert fig.layout.yaxis.title.text == "隔离行数(行)" and fig.layout.xaxis.title.text == "区县"
    colour = dict(zip(fig.data[0].x, fig.data[0].marker.color))
    assert colour["开原市"] == charts.RED and colour["未识别区县"] == charts.GREY and colour["昌图县"] == charts.BLUE
    empty = quality.quarantine_by_county_chart(quality.quarantine_by_county(QuarantineFilter(rules=("enum",)),
                                                                            warehouse))
    assert empty.layout.annotations[0].text == "当前筛选条件下没有隔离数据"


# ------------------------------------------------------------------ the page

@pytest.fixture
def page(warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _quarantine_table(at):
    return next(d.value for d in at.dataframe if "行号" in d.value.columns)


def _summary_line(at):
    return next(m.value for m in at.main.markdown if m.value.startswith("符合条件的隔离数据"))


def test_page_shows_the_warehouse_numbers(page, warehouse):
    at = page
    assert at.title[0].value == "数据质量"
    assert _metric(at, "隔离数据") == "7 行" and _metric(at, "拒收文件") == "1 个"
    assert _metric(at, "入库批次") == "1 次" and _metric(at, "未通过的校验") == "3 项"
    assert any(PDF_FILE in e.value for e in at.error)  # refused files stand out
    assert {m.label: m.placeholder for m in at.main.multiselect} == {
        "文件": "全部文件(可多选)", "数据集": "全部数据集(可多选)", "规则": "全部规则(可多选)"}
    assert _quarantine_table(at).shape[0] == ISSUES
    assert _summary_line(at) == f"符合条件的隔离数据 **7 行**,共 **{ISSUES} 条问题**(一行可违反多条规则)。"
    assert any("开原市" in c.value and "红色" in c.value for c in at.main.caption)
    assert [b.label for b in at.get("download_button")] == ["下载 Excel(XLSX)", "下载 CSV"]


def test_page_filters_follow_the_warehouse(page, warehouse):
    at = page
    at.multiselect(key="q_rules").set_value(["not_greater"]).run()
    assert not at.exception
    expected = quality.quarantine(QuarantineFilter(rules=("not_greater",)), warehouse)
    shown = _quarantine_table(at)
    assert shown.shape[0] == expected.height == 4
    assert set(shown["规则"]) == {"数值大于应不超过的列"}
    assert _summary_line(at).startswith("符合条件的隔离数据 **4 行**")

    at.sidebar.multiselect[0].set_value([KAIYUAN]).run()  # the app's county filter applies too
    assert not at.exception
    shown = _quarantine_table(at)
    (rows, issues), = _direct(warehouse, """
        SELECT count(DISTINCT (file_seq, row_number)), count(*) FROM meta.quarantine
        WHERE rule = 'not_greater' AND county_code = ?""", [KAIYUAN])
    assert (rows, issues) == (3, 3) and shown.shape[0] == issues and set(shown["区县"]) == {"开原市"}
    assert _summary_line(at).startswith(f"符合条件的隔离数据 **{rows} 行**")

    at.multiselect(key="q_datasets").set_value(["mediation_case"]).run()  # no case row breaks not_greater
    assert not at.exception
    assert any(i.value == "当前筛选条件下没有隔离数据。" for i in at.info)
    assert not any("行号" in d.value.columns for d in at.dataframe)


def test_page_pages_the_quarantine_and_bounds_its_download(warehouse, monkeypatch):
    monkeypatch.setattr(quality, "PAGE_SIZE", 4)
    monkeypatch.setattr(quality, "DOWNLOAD_LIMIT", 5)
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page(PAGE).run()
    assert _quarantine_table(at).shape[0] == 4
    assert _summary_line(at).startswith("符合条件的隔离数据 **7 行**,共 **9 条问题**")   # the total, not the page
    selector = at.number_input(key="q_page")
    assert "共 3 页" in selector.label
    selector.set_value(3).run()
    assert not at.exception and _quarantine_table(at).shape[0] == 1
    assert any(c.value.startswith("第 9–9 条问题,共 9 条") for c in at.main.caption)
    assert any(c.value.startswith("下载包含前 5 条问题(共 9 条)") for c in at.main.caption)
    at.multiselect(key="q_rules").set_value(["city_not_county"]).run()   # 2 issues: one page, back to its start
    assert not at.exception and _quarantine_table(at).shape[0] == 2


def test_quality_page_shows_a_case_history(demo_warehouse, monkeypatch):
    import duckdb
    from streamlit.testing.v1 import AppTest

    from tests.test_app import ENTRY

    con = duckdb.connect(str(demo_warehouse), read_only=True)
    (case_id,), = con.execute("SELECT case_id FROM marts.cases WHERE versions_loaded > 1 LIMIT 1").fetchall()
    con.close()
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/quality.py").run()
    box = next(t for t in at.text_input if t.label == "案件编号")
    assert box.placeholder.startswith("输入完整案件编号")
    box.set_value(case_id).run()
    assert not at.exception
    history = at.dataframe[-1].value
    assert len(history) >= 2 and list(history["当前版本"])[-1]
