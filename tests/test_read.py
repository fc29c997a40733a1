"""Reading export files: formats, encodings, dataset detection, headers, title and total rows, refusals."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.read import FileRefused, read_file
from tests.conftest import write_csv, write_xlsx

REPORT_HEADER = ["所属区县", "所属乡镇(街道)", "统计月份", "受理案件数", "调解成功数"]
REPORT_ROWS = [["昌图县", "昌图镇", "2023-03", "12", "11"], ["开原市", "威远堡镇", "2023年4月", "7", "7"]]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    path = write_csv(tmp_path / "人民调解统计月报_1.csv", [REPORT_HEADER, *REPORT_ROWS], encoding)
    raw = read_file(path)
    assert raw.encoding == encoding
    assert raw.dataset.key == "monthly_case_report"
    assert raw.frame["所属区县"].to_list() == ["昌图县", "开原市"]


def test_title_rows_and_trailing_total_are_not_data(tmp_path):
    rows = [["铁岭市人民调解统计月报"], ["导出时间:2023-11-30 02:00"], ["单位:件"], REPORT_HEADER, *REPORT_ROWS,
            ["合计", "", "", "19", "18"]]
    raw = read_file(write_csv(tmp_path / "人民调解统计月报.csv", rows))
    assert raw.rows_read == 2
    assert raw.frame["_row"].to_list() == [5, 6]  # the row numbers a person sees in Excel


def test_total_word_in_a_numeric_column_and_blank_lines(tmp_path):
    rows = [["序号", *REPORT_HEADER], ["1", *REPORT_ROWS[0]], [], ["2", *REPORT_ROWS[1]], ["总计", "", "", "", "19", "18"]]
    raw = read_file(write_csv(tmp_path / "人民调解统计月报.csv", rows))
    assert raw.rows_read == 2
    assert raw.extra_columns == ["序号"]


def test_messy_headers_in_any_order(tmp_path):
    header = ["调解成功数", " 所属乡镇（街道） ", "所属\n区县", "统计月份", "受理案件数", "备注说明"]
    rows = [header, ["11", "昌图镇", "昌图县", "2023-03", "12", "x"]]
    raw = read_file(write_csv(tmp_path / "人民调解统计月报.csv", rows))
    assert raw.frame.row(0, named=True) == {"_row": 2, "所属区县": "昌图县", "所属乡镇(街道)": "昌图镇",
                                             "统计月份": "2023-03", "受理案件数": "12", "调解成功数": "11"}
    assert raw.extra_columns == ["备注说明"]


def test_dataset_from_header_when_name_is_unhelpful(tmp_path):
    raw = read_file(write_csv(tmp_path / "export(3).csv", [REPORT_HEADER, *REPORT_ROWS]))
    assert raw.dataset.key == "monthly_case_report"


def test_xlsx_uses_the_sheet_named_for_the_dataset(tmp_path):
    path = write_xlsx(tmp_path / "人民调解统计月报.xlsx",
                      {"说明": [["本表由基层平台导出"]], "人民调解统计月报": [["标题"], REPORT_HEADER, *REPORT_ROWS]})
    raw = read_file(path)
    assert (raw.encoding, raw.sheet, raw.rows_read) == ("xlsx", "人民调解统计月报", 2)
    assert raw.frame["_row"].to_list() == [3, 4]


def test_xlsx_data_on_first_sheet_by_default(tmp_path):
    path = write_xlsx(tmp_path / "人民调解统计月报.xlsx", {"Sheet1": [REPORT_HEADER, *REPORT_ROWS], "Sheet2": [["x"]]})
    assert read_file(path).sheet == "Sheet1"


def test_empty_export_has_no_rows(tmp_path):
    assert read_file(write_csv(tmp_path / "人民调解统计月报.csv", [REPORT_HEADER])).rows_read == 0


@pytest.mark.parametrize("name,content,reason", [
    ("人民调解统计月报.xlsx", b"this is not a workbook", "不是Excel文件"),
    ("人民调解统计月报.pdf", b"%PDF-1.4", "不支持的文件类型"),
    ("人民调解统计月报.csv", "所属区县,统计月份,受理案件数,调解成功数\n昌图县,2023-03,1,1\n".encode(), "缺少必填列:所属乡镇\\(街道\\)"),
    ("未知.csv", "姓名,年龄\n张三,3\n".encode(), "找不到"),
    ("人民调解统计月报.csv", b"\x00\x01\x02binary", "二进制"),
])
def test_unreadable_files_are_refused_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileRefused, match=reason):
        read_file(path)


MEDIATOR_NO_FULL_TIME = "调解员编号,姓名,所属组织编码\nTJ1,张三,ORG1\n".encode()  # 专兼职 is required


@pytest.mark.parametrize("name,content,dataset", [
    ("人民调解员_2023.csv", MEDIATOR_NO_FULL_TIME, "mediator"),             # by its name
    ("导出.csv", MEDIATOR_NO_FULL_TIME, "mediator"),                        # by its header
    ("人民调解案件_x.xlsx", "<html><body><table><tr><td>系统错误</td></tr></table></body></html>".encode(),
     "mediation_case"),                                                     # not a workbook: by its name
    ("人民调解案件_x.pdf", b"%PDF-1.4", "mediation_case"),
    ("人民调解案件_x.csv", "姓名,年龄\n张三,3\n".encode(), "mediation_case"),  # its name, not its header
    ("数据导出(1).csv", "编号,名称,数量\n1,某某,3\n".encode(), None),          # nothing recognised
    ("说明.pdf", b"%PDF-1.4", None),
])
def test_a_refused_file_still_names_its_dataset(tmp_path, name, content, dataset):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileRefused) as refused:
        read_file(path)
    assert refused.value.dataset == dataset


# --- encodings and headers that must not be guessed -----------------------------------------------------------------

@pytest.mark.parametrize("encoding,name", [("utf-16", "utf-16-le"), ("utf-16-be", "utf-16-be")])
def test_utf16_with_a_byte_order_mark_is_read_as_text(tmp_path, encoding, name):
    path = tmp_path / "人民调解统计月报.csv"
    text = "\r\n".join(",".join(r) for r in [REPORT_HEADER, *REPORT_ROWS])
    # Python's utf-16 writes a little-endian mark; a big-endian file gets its mark written by hand
    path.write_bytes(text.encode("utf-16") if encoding == "utf-16" else "\ufeff".encode("utf-16-be") +
                     text.encode("utf-16-be"))
    raw = read_file(path)
    assert raw.encoding == name and raw.rows_read == 2
    assert raw.frame["所属区县"].to_list() == ["昌图县", "开原市"]


ENCODINGS_NAMED = "UTF-8、UTF-8 BOM、UTF-16 BOM、GB18030"


@pytest.mark.parametrize("content,reason", [
    ("所属区县,统计月份\n昌图县,".encode() + b"\xff\xfe\xfd\n", "无法识别文件编码"),  # neither UTF-8 nor GB18030
    ("所属区县\n".encode("utf-16-le"), "二进制内容"),                                 # UTF-16 without its mark
    (b"\xff\xfe\x00\x00" + "所属区县\n".encode("utf-32-le"), "二进制内容"),           # UTF-32: not taken for UTF-16
    (b"\xff\xfe" + "所属区县".encode("utf-16-le") + b"\x00\xd8", "UTF-16 LE"),       # a broken surrogate after the mark
    (b"\xef\xbb\xbf" + "所属区县,".encode() + b"\xff\n", "UTF-8 BOM"),
])
def test_undecodable_bytes_are_refused_naming_the_encodings_tried(tmp_path, content, reason):
    path = tmp_path / "人民调解统计月报.csv"
    path.write_bytes(content)
    with pytest.raises(FileRefused, match=reason) as refused:
        read_file(path)
    assert ENCODINGS_NAMED in str(refused.value)


@pytest.mark.parametrize("second", ["所属区县 ", "所属\n区县", "所属区县　"])
def test_a_contract_column_named_twice_is_refused_naming_it(tmp_path, second):
    header = [*REPORT_HEADER, second]
    rows = [header, [*REPORT_ROWS[0], "开原市"]]
    for path in (write_csv(tmp_path / "人民调解统计月报.csv", rows),
                 write_xlsx(tmp_path / "人民调解统计月报.xlsx", {"Sheet1": [["标题"], *rows]})):
        with pytest.raises(FileRefused, match="“所属区县”出现了两次") as refused:
            read_file(path)
        assert "第 A 列和第 F 列" in str(refused.value) and refused.value.dataset == "monthly_case_report"


def test_an_extra_column_named_twice_is_still_ignored(tmp_path):
    raw = read_file(write_csv(tmp_path / "人民调解统计月报.csv",
                              [[*REPORT_HEADER, "备注", "备注"], [*REPORT_ROWS[0], "a", "b"]]))
    assert raw.extra_columns == ["备注", "备注"] and raw.rows_read == 1


# --- CSV cells are read by polars (columnar) where the file is well quoted, by the csv module otherwise: the same
# cells either way, whatever the text -----------------------------------------------------------------------------

def _by_csv_module(text: str):
    import csv
    import io

    from etl.read import _grid_from_rows
    return _grid_from_rows(list(csv.reader(io.StringIO(text, newline=""))))


_ANY_CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(st.lists(st.lists(_ANY_CELL, min_size=1, max_size=5), min_size=1, max_size=8))
def test_csv_cells_as_written_by_any_writer(rows):
    import csv
    import io

    from etl.read import _csv_grid
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    assert _csv_grid(buf.getvalue().encode())[0].equals(_by_csv_module(buf.getvalue()))


@settings(max_examples=200, derandomize=True, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from('ab ,"\r\n\t甲\x1c'), max_size=30))
def test_csv_cells_of_any_text_even_badly_quoted(text):
    from etl.read import _csv_grid
    assert _csv_grid(text.encode())[0].equals(_by_csv_module(text))


def test_a_row_of_python_whitespace_only_is_blank(tmp_path):
    """A row whose cells hold only whitespace by Python's rule (\\x1c is one, Rust's trim keeps it) carries no data."""
    rows = [REPORT_HEADER, REPORT_ROWS[0], ["\x1c", " \u3000", "", "", ""], REPORT_ROWS[1]]
    raw = read_file(write_csv(tmp_path / "人民调解统计月报.csv", rows))
    assert raw.frame["_row"].to_list() == [2, 4]
