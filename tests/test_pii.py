"""Identity and mobile numbers in any text are masked at ingest, and so is everything the ETL writes from a file
(quarantined values, file names, extra header cells, expectation samples); numbers that are not personal data stay.

The messy demo's planted numbers and the scan of every warehouse column are in tests/test_messy.py.
"""
from __future__ import annotations

import hashlib
import hmac

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.load import land, receive
from etl.normalise import normalise
from etl.pii import mask_id, mask_id_list, mask_name, mask_names, mask_numbers, mask_numbers_in, mask_phone
from etl.read import read_file
from tests.conftest import TEST_KEY, write_csv
from tests.test_normalise import BASE, CASE_HEADER, VALID_ID


def masked(values: list[str | None]) -> list[str | None]:
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(mask_numbers(pl.col("v")))["v"].to_list()


@pytest.mark.parametrize("text,expected", [
    # identity numbers: 18 digits (last one X or x) or 15, however grouped; the 6-digit region stays
    ("11010519491231002X", "110105************"),
    ("11010519491231002x", "110105************"),
    ("110105 19491231 002X", "110105************"),
    ("110105-19491231-002x", "110105************"),
    ("110105 - 1949 12 31 - 002 X", "110105************"),
    ("110105\u300019491231\u3000002X", "110105************"),        # ideographic spaces
    ("110105—19491231—0021", "110105************"),                   # em dashes
    ("110105491231002", "110105************"),                        # an old 15-digit number
    ("110105 491231 002", "110105************"),
    ("当事人张三身份证号110105194912310021,住址", "当事人张三身份证号110105************,住址"),
    ("ID11010519491231002Xab", "ID110105************ab"),              # letters are no digits: masked
    # mobile numbers: 11 digits from 13… to 19…, however grouped, maybe after +86, 86 or 0086; the first 3 stay
    ("13912345678", "139********"),
    ("电话13912345678。", "电话139********。"),
    ("139 1234 5678", "139********"),
    ("139-1234-5678", "139********"),
    ("+86 139-1234-5678", "+86 139********"),
    ("+8613912345678", "+86139********"),
    ("8613912345678", "86139********"),
    ("0086 13912345678", "0086 139********"),
    ("１３９１２３４５６７８", "１３９********"),                              # typed in full-width digits
    # several in one cell, next to each other
    ("13912345678、13812345678、13712345678", "139********、138********、137********"),
    ("11010519491231002X 13912345678,110105491231002",
     "110105************ 139********,110105************"),
    ("联系人:王科长 +86 186 8281 3640,经办人身份证211223510707224",
     "联系人:王科长 +86 186********,经办人身份证211223************"),
])
def test_numbers_in_text_are_masked(text, expected):
    assert masked([text]) == [expected]
    assert mask_numbers_in(text) == expected


@pytest.mark.parametrize("text", [
    "(2023)辽1224民调字第00012号",            # a case number
    "20230305", "2023-03-05", "2023年3月5日", "2023-03-05 2023-03-08", "20230305-20230308",   # dates
    "1,234,567.89", "1234567.89元", "999999999999.99",                                      # money
    "ORG211224100201P", "ORG211224Z", "211224100201",      # organisation codes, a village code (12 digits)
    "TJ211224-00001", "TJ130102-00001", "HC21122400001", "AZ000123", "JD2023-001",          # other ids
    "6222021234567890123", "1101051949123100211", "11010519491231002", "1101054912310",   # 19, 17, 13 digits
    "139123456789", "1391234567", "12345678901", "10012345678",   # 12 and 10 digits; 11 not starting 13…19
    "024-12345678", "0410-1234567",                                # landlines
    "110105************", "139********", "+86 139********",       # masked already: unchanged
    "邻里宅基地纠纷长期未化解,当事人持刀伤人", "",
])
def test_numbers_that_are_not_personal_data_are_left_alone(text):
    assert masked([text]) == [text]


def test_nulls_stay_null():
    assert masked([None, "13912345678"]) == [None, "139********"]
    assert mask_numbers_in(None) is None


def test_whole_cell_masks_of_personal_data_columns():
    frame = pl.DataFrame({"v": ["110105194912310021", "1.10105194912310E+17", "12345", " 110105 19491231 002X", None]})
    assert frame.select(mask_id(pl.col("v")))["v"].to_list() == [
        "110105************", "1.1010************", "*****", "110105************", None]
    phones = pl.DataFrame({"v": ["12345", "139 1234 5678", None]})
    assert phones.select(mask_phone(pl.col("v")))["v"].to_list() == ["123**", "139********", None]
    lists = pl.DataFrame({"v": [f"{VALID_ID}、110105194912310021", None]})
    assert lists.select(mask_id_list(pl.col("v")))["v"].to_list() == ["110105************、110105************", None]


def _cases(path, *changes: dict):
    return write_csv(path, [CASE_HEADER] + [[{**BASE, **c}[h] for h in CASE_HEADER] for c in changes])


def test_every_text_column_is_masked_before_it_lands(tmp_path):
    n = normalise(read_file(_cases(tmp_path / "人民调解案件.csv",
                                   {"调解组织名称": "昌图镇调委会(联系人13912345678)"},
                                   {"案件编号": "A-13812345678", "调解组织名称": "110105 19491231 002X"},
                                   {"案件编号": "A3", "调解员编号": "M110105491231002"})), TEST_KEY)
    assert n.issues.is_empty()
    assert n.frame["调解组织名称"].to_list() == ["昌图镇调委会(联系人139********)", "110105************",
                                            "昌图镇调委会"]
    assert n.frame["案件编号"].to_list() == ["A1", "A-138********", "A3"]
    assert n.frame["调解员编号"].to_list() == ["M1", "M1", "M110105************"]
    # the keyed hash is hex, never taken for a number
    expected = hmac.new(TEST_KEY, VALID_ID.encode(), hashlib.sha256).hexdigest()
    assert n.frame["当事人身份证号_hmac"].to_list() == [[expected]] * 3


def test_free_text_of_the_ledgers_is_masked(tmp_path):
    path = write_csv(tmp_path / "个人极端案事件.csv", [
        ["事件编号", "所属区县", "发生日期", "是否因排查化解不到位引发", "简要情况"],
        ["JD2023-001", "昌图县", "2023-08-14", "是", "当事人身份证号 110105 19491231 002X,电话 139-1234-5678"]])
    n = normalise(read_file(path), TEST_KEY)
    assert n.frame["简要情况"].to_list() == ["当事人身份证号 110105************,电话 139********"]
    assert n.frame["事件编号"].to_list() == ["JD2023-001"]


def test_quarantined_values_are_masked_whatever_the_rule(tmp_path):
    n = normalise(read_file(_cases(tmp_path / "人民调解案件.csv",
                                   {"所属村(社区)": "139-1234-5678"},                 # unknown_place
                                   {"纠纷类型": "邻里纠纷13912345678"},                 # dispute_type
                                   {"涉及人数": "110105194912310021"},                # out_of_range
                                   {"受理日期": "11010519491231002X"},                # date_format
                                   {"当事人身份证号": "110105194912310022"})), TEST_KEY)  # id18_checksum
    shown = dict(zip(n.issues["column"], n.issues["value"]))
    assert shown == {"所属村(社区)": "139********", "纠纷类型": "邻里纠纷139********", "涉及人数": "110105************",
                     "受理日期": "110105************", "当事人身份证号": "110105************"}


def test_what_the_etl_writes_from_a_file_is_masked(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header = [*CASE_HEADER, "联系人13712345678"]                           # an extra header cell
    write_csv(inbox / "人民调解案件_王科长13912345678.csv", [
        header,
        [*({**BASE, "调解组织名称": "调委会 110105-19491231-002x"}[h] for h in CASE_HEADER), ""],
        [*({**BASE, "案件编号": "A2", "调解组织类型": "110105 19491231 002X"}[h] for h in CASE_HEADER), ""]])
    (inbox / "人民调解案件_11010519491231002X.txt").write_text("?")           # refused, by its name
    con = duckdb.connect()
    try:
        reports = land(con, receive(inbox, tmp_path / "archive"), "run", TEST_KEY)
        assert sorted((r.file, r.status) for r in reports) == [
            ("人民调解案件_110105************.txt", "refused"), ("人民调解案件_王科长139********.csv", "loaded")]
        assert sorted(con.execute("SELECT file_name, extra_columns FROM meta.load_file").fetchall()) == [
            ("人民调解案件_110105************.txt", None), ("人民调解案件_王科长139********.csv", "联系人137********")]
        assert con.execute("SELECT file_name, row_number, column_name, rule, value FROM meta.quarantine").fetchall() == [
            ("人民调解案件_王科长139********.csv", 3, "调解组织类型", "enum", "110105************")]
        assert con.execute("""SELECT sample FROM meta.expectation_result
                              WHERE column_name = '调解组织类型' AND NOT success""").fetchall() == [
            ("110105************",)]
        assert con.execute('SELECT "调解组织名称" FROM landing.mediation_case').fetchall() == [
            ("调委会 110105************",)]
    finally:
        con.close()


def _mask_names_one_by_one(text):
    """mask_names as it was written per value, in Python: the reference the vectorised expression must equal."""
    if text is None:
        return None
    return "、".join(mask_name(n) for n in text.replace(",", "、").replace(",", "、").split("、") if n.strip())


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from("欧阳张三 ,,、\u3000\x1c李司马a"), max_size=12),
                          st.text(max_size=6)), max_size=5))
def test_names_masked_in_one_expression_as_one_by_one(values):
    column = pl.Series(values, dtype=pl.String)
    assert pl.select(mask_names(pl.lit(column))).to_series().to_list() == [_mask_names_one_by_one(v) for v in values]


@settings(max_examples=100, derandomize=True, deadline=None, database=None)
@given(st.binary(min_size=32, max_size=200), st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=5))
def test_identity_hashes_are_rfc_2104_hmac_sha256(key, values):
    from etl.normalise import _hmac_map
    expected = {v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values if v is not None}
    assert _hmac_map(pl.Series(values, dtype=pl.String), key) == expected
