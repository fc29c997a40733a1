"""One test per numbered "Tolerated variation" of the export contract: each form reads as the plain one."""
from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from etl.normalise import normalise
from etl.read import read_file
from tests.conftest import TEST_KEY, write_csv, write_xlsx
from warehouse.publish import run

HEADER = ["所属区县", "所属乡镇(街道)", "统计日期", "累计注册人数"]
ROW = ["昌图县", "昌图镇", "2023-03-31", "120"]
EXPECTED = {"所属区县_code": "211224", "所属乡镇(街道)_code": "211224100", "统计日期": date(2023, 3, 31),
            "累计注册人数": 120}


def _read(path) -> dict:
    n = normalise(read_file(path), TEST_KEY)
    assert n.issues.is_empty(), n.issues
    return n.frame.select(*EXPECTED).row(0, named=True)


@pytest.mark.parametrize("kind", ["utf-8", "utf-8-sig", "gb18030", "xlsx-several-sheets", "xlsx-named-sheet"])
def test_1_encodings_and_workbooks(tmp_path, kind):
    if kind.startswith("xlsx"):
        sheets = {"Sheet1": [HEADER, ROW], "备注": [["x"]]} if kind == "xlsx-several-sheets" else \
            {"封面": [["铁岭市"]], "慧评理注册": [HEADER, ROW]}
        path = write_xlsx(tmp_path / "慧评理注册.xlsx", sheets)
    else:
        path = write_csv(tmp_path / "慧评理注册.csv", [HEADER, ROW], kind)
    assert _read(path) == EXPECTED


def test_2_title_rows_and_a_total_in_a_numeric_serial_column(tmp_path):
    rows = [["慧评理注册情况"], ["导出时间:2023-11-30 02:00"], ["单位:人"], ["序号", *HEADER], ["1", *ROW],
            ["总计", "", "", "", "120"]]
    raw = read_file(write_csv(tmp_path / "慧评理注册.csv", rows))
    assert raw.rows_read == 1 and _read(tmp_path / "慧评理注册.csv") == EXPECTED


def test_3_header_spaces_full_width_brackets_line_breaks_order_and_extra_columns(tmp_path):
    header = ["累计注册人数", " 统计日期\u3000", "所属乡镇（街道）", "所属\n区县", "备注"]
    path = write_csv(tmp_path / "x.csv", [header, ["120", "2023-03-31", "昌图镇", "昌图县", "无"]])
    assert _read(path) == EXPECTED and read_file(path).extra_columns == ["备注"]


@pytest.mark.parametrize("county,township", [("昌图", "昌图镇"), ("昌图县司法局", "昌图"), ("昌图县", "昌图")])
def test_4_place_names_short_or_long(tmp_path, county, township):
    assert _read(write_csv(tmp_path / "慧评理注册.csv", [HEADER, [county, township, *ROW[2:]]])) == EXPECTED


def test_4_the_city_is_never_taken_for_tieling_county(tmp_path):
    n = normalise(read_file(write_csv(tmp_path / "慧评理注册.csv", [HEADER, ["铁岭市", "新台子镇", "2023-03-31", "1"]])),
                  TEST_KEY)
    assert n.issues.select("column", "rule").rows() == [("所属区县", "city_not_county")]


@pytest.mark.parametrize("text", ["2023-03-31", "2023/3/31", "2023.3.31", "2023年3月31日", "20230331", "45016",
                                  "2023-03-31 10:20", "2023-03-31 10:20:30"])
def test_5_date_forms(tmp_path, text):
    assert _read(write_csv(tmp_path / "慧评理注册.csv", [HEADER, [*ROW[:2], text, "120"]])) == EXPECTED


def test_5_excel_dates_and_datetimes(tmp_path):
    import xlsxwriter

    path = tmp_path / "慧评理注册.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, ROW[:2])
    ws.write_datetime(1, 2, datetime(2023, 3, 31, 15, 30), wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}))
    ws.write_number(1, 3, 120)
    wb.close()
    assert _read(path) == EXPECTED


@pytest.mark.parametrize("text", ["120", "１２０", "120.0", " 120 "])
def test_6_numbers_full_width_separators_and_text(tmp_path, text):
    expected = {**EXPECTED, "累计注册人数": 120}
    assert _read(write_csv(tmp_path / "慧评理注册.csv", [HEADER, [*ROW[:3], text]])) == expected


def test_6_money_with_yuan_and_thousands(tmp_path):
    from tests.test_normalise import case_rows

    assert case_rows(tmp_path, {"涉及金额(元)": "1,234.50元"}).frame["涉及金额(元)"].to_list() == [1234.5]


@pytest.mark.parametrize("given,expected", [(" 是", "是"), ("Y", "是"), ("1", "是"), ("N", "否"), ("0", "否"),
                                            ("是\u3000", "是")])
def test_7_enum_forms(tmp_path, given, expected):
    from tests.test_normalise import case_rows

    assert case_rows(tmp_path, {"是否移交公安": given}).frame["是否移交公安"].to_list() == [expected]


def test_7_ticks_and_full_width_enum(tmp_path):
    from tests.test_normalise import case_rows

    n = case_rows(tmp_path, {"是否移交公安": "√", "调解组织类型": "乡镇（街道）调委会"}, {"是否移交公安": ""})
    assert n.frame["是否移交公安"].to_list() == ["是", "否"]
    assert n.frame["调解组织类型"].to_list() == ["乡镇(街道)调委会", "乡镇(街道)调委会"]


@pytest.mark.parametrize("given,rule", [("11010519491231002x", None), ("110105 19491231 002X", None),
                                        ("1.10105194912310E+17", "id18_format"), ("11010519491231002", "id18_format")])
def test_8_identity_number_forms(tmp_path, given, rule):
    from tests.test_normalise import case_rows

    assert case_rows(tmp_path, {"当事人身份证号": given}).issues["rule"].to_list() == ([rule] if rule else [])


def test_9_same_record_twice_in_a_file_and_again_later(tmp_path):
    import duckdb

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "慧评理注册_1.csv", [HEADER, ROW, ROW])
    run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    write_csv(inbox / "慧评理注册_2.csv", [HEADER, [*ROW[:3], "150"]])
    report = run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    assert [(f.rows_read, f.rows_loaded) for f in report.files if f.status == "loaded"] == [(1, 1)]
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM landing.app_registration").fetchall() == [(3,)]  # all copies kept
    con.close()


def test_10_an_empty_export(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "个人极端案事件_2023.csv", [["事件编号", "所属区县", "发生日期", "是否因排查化解不到位引发"]])
    report = run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    assert [(f.status, f.rows_read, f.rows_loaded) for f in report.files] == [("loaded", 0, 0)]


def test_variation_columns_are_typed(tmp_path):
    frame = normalise(read_file(write_csv(tmp_path / "慧评理注册.csv", [HEADER, ROW])), TEST_KEY).frame
    assert frame.schema["统计日期"] == pl.Date and frame.schema["累计注册人数"] == pl.Int64
