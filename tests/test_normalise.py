"""Typing cells: every tolerated date, number, enum, place and identity-number form; PII handling."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from etl.normalise import normalise
from etl.pii import mask_name
from etl.read import read_file
from tests.conftest import TEST_KEY, write_csv

CASE_HEADER = ["案件编号", "所属区县", "所属乡镇(街道)", "所属村(社区)", "调解组织名称", "调解组织类型", "调解员编号",
               "调解员姓名", "纠纷类型", "纠纷来源", "当事人姓名", "当事人身份证号", "涉及人数", "涉及金额(元)",
               "受理日期", "调解日期", "调解结果", "协议形式", "履行情况", "化解层级", "是否信访案件", "是否移交公安",
               "录入时间"]
VALID_ID = "11010519491231002X"  # the GB 11643 example number
BASE = dict(zip(CASE_HEADER, ["A1", "昌图县", "昌图镇", "", "昌图镇调委会", "乡镇(街道)调委会", "M1", "王小明",
                              "邻里纠纷", "排查发现", "张三", VALID_ID, "2", "", "2023-03-05", "2023-03-08", "调解成功",
                              "书面协议", "已履行", "乡镇(街道)", "否", "否", "2023-03-09 10:00:00"]))


def case_rows(tmp_path, *changes: dict, encoding="utf-8-sig"):
    rows = [CASE_HEADER] + [[{**BASE, **c}[h] for h in CASE_HEADER] for c in changes]
    return normalise(read_file(write_csv(tmp_path / "人民调解案件.csv", rows, encoding)), TEST_KEY)


@pytest.mark.parametrize("text,expected", [
    ("2023-03-05", date(2023, 3, 5)), ("2023/3/5", date(2023, 3, 5)), ("2023.3.5", date(2023, 3, 5)),
    ("2023年3月5日", date(2023, 3, 5)), ("20230305", date(2023, 3, 5)), ("44990", date(2023, 3, 5)),
    ("2023-03-05 14:30:00", date(2023, 3, 5)), ("２０２３－０３－０５", date(2023, 3, 5)), (" 2023-3-5 ", date(2023, 3, 5)),
])
def test_every_date_form(tmp_path, text, expected):
    n = case_rows(tmp_path, {"受理日期": text, "调解日期": "", "调解结果": "调解中", "协议形式": "", "履行情况": ""})
    assert n.issues.is_empty()
    assert n.frame["受理日期"].to_list() == [expected]


@pytest.mark.parametrize("text,expected", [
    ("2023-03-09 10:00:00", datetime(2023, 3, 9, 10, 0)), ("2023-03-09 10:00", datetime(2023, 3, 9, 10, 0)),
    ("2023/3/9 8:05:09", datetime(2023, 3, 9, 8, 5, 9)), ("44994.5", datetime(2023, 3, 9, 12, 0)),
    ("2023年3月9日 10:00", datetime(2023, 3, 9, 10, 0)),
])
def test_datetimes_with_or_without_seconds(tmp_path, text, expected):
    assert case_rows(tmp_path, {"录入时间": text}).frame["录入时间"].to_list() == [expected]


@pytest.mark.parametrize("text", ["2023-02-30", "2023-13-01", "昨天", "3/5/2023"])
def test_unreadable_dates_are_issues_not_guesses(tmp_path, text):
    n = case_rows(tmp_path, {"受理日期": text})
    assert n.issues.select("column", "rule", "value").row(0) == ("受理日期", "date_format", text)


@pytest.mark.parametrize("text,expected", [("1,200", 1200.0), ("１２００元", 1200.0), ("1200.50", 1200.5),
                                           ("3,456.78元", 3456.78), ("", None)])
def test_money_forms(tmp_path, text, expected):
    n = case_rows(tmp_path, {"涉及金额(元)": text})
    assert n.issues.is_empty() and n.frame["涉及金额(元)"].to_list() == [expected]


@pytest.mark.parametrize("text,expected", [("３", 3), ("3", 3), ("3.0", 3), ("1,000", 1000)])
def test_int_forms(tmp_path, text, expected):
    assert case_rows(tmp_path, {"涉及人数": text}).frame["涉及人数"].to_list() == [expected]


def test_bad_number_is_an_issue(tmp_path):
    assert case_rows(tmp_path, {"涉及人数": "两人"}).issues["rule"].to_list() == ["number_format"]


@pytest.mark.parametrize("text,expected", [("是", "是"), ("Y", "是"), ("1", "是"), ("N", "否"), ("0", "否"),
                                           (" 否 ", "否"), ("", None)])
def test_yes_no_forms(tmp_path, text, expected):
    assert case_rows(tmp_path, {"是否信访案件": text}).frame["是否信访案件"].to_list() == [expected]


def test_tick_marks_mean_yes_and_empty_then_means_no(tmp_path):
    n = case_rows(tmp_path, {"是否信访案件": "√"}, {"是否信访案件": ""})
    assert n.frame["是否信访案件"].to_list() == ["是", "否"]


def test_enum_with_full_width_characters_and_spaces(tmp_path):
    n = case_rows(tmp_path, {"调解组织类型": "村（居）民评理说事点 ", "化解层级": "乡镇（街道）"})
    assert n.frame.select("调解组织类型", "化解层级").row(0) == ("村(居)民评理说事点", "乡镇(街道)")


@pytest.mark.parametrize("county,township,codes", [
    ("昌图", "昌图镇", ("211224", "211224100")), ("昌图县司法局", "昌图", ("211224", "211224100")),
    ("银州", "红旗街道", ("211202", "211202001")), ("清河区", "红旗街道", ("211204", "211204001")),
    ("调兵山", "调兵山街道", ("211281", "211281002")), ("铁岭县", "如意湖街道", ("211221", "211221400")),
    ("铁岭市铁岭县", "新台子", ("211221", "211221101")), ("开原市", "威远堡", ("211282", None)),
])
def test_places_resolve_short_and_long(tmp_path, county, township, codes):
    from etl import reference

    n = case_rows(tmp_path, {"所属区县": county, "所属乡镇(街道)": township})
    expected_township = codes[1] or reference.townships().filter(
        (pl.col("county_code") == "211282") & (pl.col("name") == "威远堡镇"))["code"][0]
    assert n.issues.is_empty()
    assert n.frame.select("所属区县_code", "所属乡镇(街道)_code").row(0) == (codes[0], expected_township)


@pytest.mark.parametrize("county,township,rule,column", [
    ("铁岭市", "新台子镇", "city_not_county", "所属区县"),
    ("铁岭", "新台子镇", "ambiguous_place", "所属区县"),
    ("沈阳市", "新台子镇", "unknown_place", "所属区县"),
    ("银州区", "新台子镇", "unknown_place", "所属乡镇(街道)"),  # 新台子镇 is in 铁岭县, not 银州区
])
def test_places_that_do_not_resolve(tmp_path, county, township, rule, column):
    n = case_rows(tmp_path, {"所属区县": county, "所属乡镇(街道)": township})
    assert n.issues.select("column", "rule").rows() == [(column, rule)]


def test_village_long_and_short_names(tmp_path):
    from etl import reference

    v = reference.villages().filter(pl.col("name").str.ends_with("村民委员会")).row(0, named=True)
    t = reference.townships().filter(pl.col("code") == v["township_code"]).row(0, named=True)
    c = reference.counties().filter(pl.col("code") == v["county_code"]).row(0, named=True)
    short = v["name"].removesuffix("村民委员会") + "村"
    n = case_rows(tmp_path, *({"所属区县": c["name"], "所属乡镇(街道)": t["name"], "所属村(社区)": name}
                              for name in (v["name"], short)))
    assert n.issues.is_empty()
    assert n.frame["所属村(社区)_code"].to_list() == [v["code"], v["code"]]


@pytest.mark.parametrize("value,rule", [
    ("11010519491231002x", None), ("110105 19491231 002X", None), ("110105194912310021", "id18_checksum"),
    ("11010519491231002", "id18_format"), ("1.10105194912310E+17", "id18_format"), ("110105194912310000", "id18_checksum"),
])
def test_identity_numbers(tmp_path, value, rule):
    n = case_rows(tmp_path, {"当事人身份证号": value})
    assert n.issues["rule"].to_list() == ([rule] if rule else [])
    if rule:
        assert "*" in n.issues["value"][0] and len(n.issues["value"][0].replace("*", "")) <= 6


def test_personal_data_is_hashed_and_masked(tmp_path):
    n = case_rows(tmp_path, {"当事人姓名": "欧阳娜娜、张三", "当事人身份证号": f"{VALID_ID}、{VALID_ID.lower()}",
                             "调解员姓名": "李四"})
    expected = hmac.new(TEST_KEY, VALID_ID.encode(), hashlib.sha256).hexdigest()
    row = n.frame.row(0, named=True)
    assert row["当事人身份证号_hmac"] == [expected, expected]
    assert row["当事人姓名_mask"] == "欧阳**、张*"
    assert row["调解员姓名_mask"] == "李*"
    assert not any(c in n.frame.columns for c in ("当事人姓名", "当事人身份证号", "调解员姓名"))


@pytest.mark.parametrize("name,masked", [("张三", "张*"), ("欧阳娜娜", "欧阳**"), ("王", "王*"), ("司马相如", "司马**")])
def test_name_masks(name, masked):
    assert mask_name(name) == masked


def test_unknown_dispute_type_and_aliases(tmp_path):
    n = case_rows(tmp_path, {"纠纷类型": "欠薪纠纷"}, {"纠纷类型": "天外纠纷"})
    assert n.frame["纠纷类型_code"].to_list() == ["1001", None]
    assert n.issues.select("_row", "rule").rows() == [(3, "dispute_type")]


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(st.lists(st.one_of(
    st.none(), st.text(alphabet=st.sampled_from("0123456789-/: 年月日T.１"), max_size=20),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")), st.dates().map(str),
    st.builds(lambda y, m, d, h: f"{y:04d}-{m:02d}-{d:02d} {h:02d}:00:00",
              st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))), max_size=6))
def test_dates_in_an_exports_own_form_read_as_by_the_general_rule(values):
    """The fast path (one strptime for 2023-09-26 00:00:00 and 2023-09-26) gives what the general expression gives."""
    from etl.normalise import _datetime, datetimes
    text = pl.Series("t", values, dtype=pl.String)
    assert datetimes(text).equals(pl.DataFrame({"t": text}).select(_datetime(pl.col("t"))).to_series(),
                                  null_equal=True)
