"""Hostile input never costs the night: an implausible date quarantines its row (file, row, column, rule), and such a
row never becomes the latest version of a record.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

from etl.contract import DATASETS, PLAUSIBLE_DATES, plausible_dates
from etl.normalise import normalise
from etl.read import read_file
from etl.validate import validate
from tests.conftest import TEST_KEY, fetch, write_csv
from tests.test_normalise import BASE, CASE_HEADER
from warehouse.publish import run

RUN_DATE = date(2023, 12, 1)  # a pinned run date: dates are judged against it, not against the day the tests run
DATE_TYPES = ("date", "datetime", "month")


def _row(**changes) -> list[str]:
    return [{**BASE, **changes}[h] for h in CASE_HEADER]


def _case_file(path, *rows: dict):
    return write_csv(path, [CASE_HEADER, *(_row(**r) for r in rows)])


# --- 1. plausible dates --------------------------------------------------------------------------------------------

def test_every_date_column_has_the_spec_range_class():
    classes = {(ds.key, c.name): c.dates for ds in DATASETS.values() for c in ds.columns if c.type in DATE_TYPES}
    old = {name for (_, name), kind in classes.items() if kind == "old"}
    ahead = {name for (_, name), kind in classes.items() if kind == "ahead"}
    assert old == {"成立日期", "挂牌日期", "岗前培训日期"} and ahead == {"预计释放日期"}
    assert set(classes.values()) <= set(PLAUSIBLE_DATES)
    # the event dates the spec lists are all there, and all of the event class
    events = {"受理日期", "调解日期", "录入时间", "下发日期", "反馈日期", "释放日期", "衔接日期", "报送日期", "统计日期",
              "统计月份", "完成日期", "发生日期", "创建计划报送日期", "佐证材料报送日期", "建成日期", "挂牌运行日期",
              "年度培训日期"}
    assert {name for (_, name), kind in classes.items() if kind == "event"} == events


@pytest.mark.parametrize("column,today,expected", [
    (("mediation_case", "受理日期"), RUN_DATE, (date(2000, 1, 1), date(2023, 12, 2))),
    (("mediation_org", "成立日期"), RUN_DATE, (date(1949, 10, 1), date(2023, 12, 2))),
    (("inmate_verification", "预计释放日期"), RUN_DATE, (None, date(2073, 12, 1))),
    (("inmate_verification", "预计释放日期"), date(2024, 2, 29), (None, date(2074, 2, 28))),
    (("mediation_case", "录入时间"), date(2023, 12, 31), (date(2000, 1, 1), date(2024, 1, 1))),
])
def test_plausible_range_moves_with_the_run_date(column, today, expected):
    key, name = column
    assert plausible_dates(DATASETS[key].column(name), today) == expected


def test_dates_outside_their_range_are_quarantined_on_the_run_date(tmp_path):
    rows = [{"案件编号": "ok-first-day", "受理日期": "2000-01-01"},
            {"案件编号": "ok-day-after-run", "调解日期": "", "调解结果": "调解中", "协议形式": "", "履行情况": "",
             "受理日期": "2023-12-02", "录入时间": "2023-12-02 23:59:59"},
            {"案件编号": "too-early", "受理日期": "1999-12-31"},
            {"案件编号": "two-days-after-run", "录入时间": "2023-12-03 00:00:00"},
            {"案件编号": "far-future", "录入时间": "2099-01-01 08:00"},
            {"案件编号": "excel-serial-1927", "受理日期": "10000"}]
    frame = normalise(read_file(_case_file(tmp_path / "人民调解案件.csv", *rows)), TEST_KEY).frame
    result = validate("mediation_case", frame, today=RUN_DATE)
    assert sorted(result.issues.select("_row", "column", "rule").rows()) == [
        (4, "受理日期", "implausible_date"), (5, "录入时间", "implausible_date"), (6, "录入时间", "implausible_date"),
        (7, "受理日期", "implausible_date")]
    assert "implausible_date" in set(result.results["rule"])  # one expectation per date column, recorded
    # judged on another run date, the day after the run is no longer the limit
    later = validate("mediation_case", frame, today=date(2023, 12, 5)).issues
    assert sorted(later.select("_row", "rule").rows()) == [(4, "implausible_date"), (6, "implausible_date"),
                                                           (7, "implausible_date")]


def test_old_and_ahead_dates_have_their_own_ranges(tmp_path):
    header = ["组织编码", "组织名称", "组织类型", "所属区县", "所属乡镇(街道)", "成立日期"]
    path = write_csv(tmp_path / "调解组织.csv", [header, ["O1", "甲", "村(居)调委会", "昌图县", "昌图镇", "1949-10-01"],
                                                    ["O2", "乙", "村(居)调委会", "昌图县", "昌图镇", "1949-09-30"]])
    issues = validate("mediation_org", normalise(read_file(path), TEST_KEY).frame, today=RUN_DATE).issues
    assert issues.select("_row", "column", "rule").rows() == [(3, "成立日期", "implausible_date")]

    header = ["核查编号", "监狱名称", "身份证号", "户籍地区县", "户籍地乡镇(街道)", "下发日期", "核查状态", "预计释放日期"]
    base = ["监狱", "11010519491231002X", "昌图县", "昌图镇", "2023-03-01", "未核查"]
    path = write_csv(tmp_path / "服刑人员信息核查.csv", [header, ["T1", *base, "2073-12-01"], ["T2", *base, "2073-12-02"],
                                                          ["T3", *base, "1960-01-01"]])
    issues = validate("inmate_verification", normalise(read_file(path), TEST_KEY).frame, today=RUN_DATE).issues
    assert issues.select("_row", "column", "rule").rows() == [(3, "预计释放日期", "implausible_date")]


def test_an_implausible_version_never_becomes_the_latest(tmp_path):
    """A version entered "in 2099" would beat every later correction (the latest 录入时间 wins): it is quarantined."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _case_file(inbox / "人民调解案件_1.csv",
               {"案件编号": "C1", "调解结果": "调解不成功", "协议形式": "", "履行情况": "", "录入时间": "2099-01-01 10:00"})
    _case_file(inbox / "人民调解案件_2.csv", {"案件编号": "C1", "调解结果": "调解成功", "录入时间": "2023-03-10 09:00"})
    wh = tmp_path / "w.duckdb"
    run(inbox, wh, hmac_key=TEST_KEY)
    assert fetch(wh, "SELECT file_name, row_number, column_name, rule FROM meta.quarantine") == [
        ("人民调解案件_1.csv", 2, "录入时间", "implausible_date")]
    assert fetch(wh, "SELECT case_id, outcome, entered_at FROM marts.cases") == [
        ("C1", "调解成功", datetime(2023, 3, 10, 9, 0))]
