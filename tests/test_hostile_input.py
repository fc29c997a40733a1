"""Hostile input never costs the night: implausible dates, numbers past their column, over-long cells and a CSV field
past the csv module's limit each quarantine their row (file, row, column, rule); every other row and file publishes.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from etl.contract import (
    DATASETS,
    FREE_TEXT_LENGTH,
    INT_RANGE,
    MONEY_LIMIT,
    PLAUSIBLE_DATES,
    RULES,
    max_length,
    plausible_dates,
)
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


# --- 2. values that do not fit their column ------------------------------------------------------------------------

def _issues(tmp_path, *rows: dict) -> list[tuple]:
    norm = normalise(read_file(_case_file(tmp_path / "人民调解案件.csv", *rows)), TEST_KEY)
    return norm.issues.select("_row", "column", "rule").rows()


@pytest.mark.parametrize("text,rule", [
    (str(INT_RANGE[1]), None), (f"{INT_RANGE[1]:,}", None),
    (str(INT_RANGE[1] + 1), "out_of_range"),                       # past INTEGER: would overflow staging's cast
    ("99999999999999999999", "out_of_range"),                      # past Int64: was read as empty, silently
    (str(INT_RANGE[0] - 1), "out_of_range"),
    ("+7", None),
    ("٣", "number_format"),                                        # an Arabic-Indic digit is no digit of the contract
])
def test_counts_beyond_an_integer_are_out_of_range(tmp_path, text, rule):
    assert _issues(tmp_path, {"涉及人数": text}) == ([(2, "涉及人数", rule)] if rule else [])


@pytest.mark.parametrize("text,rule", [
    ("999999999999.99", None), ("999,999,999,999元", None),
    (str(MONEY_LIMIT), "out_of_range"),                            # would overflow DECIMAL(14,2) in landing
    ("999999999999.995", "out_of_range"),                          # rounds to 1e12
    ("1" + "0" * 90, "out_of_range"),                              # beyond a double: inf
    ("-" + "9" * 20, "out_of_range"),
])
def test_amounts_beyond_decimal_14_2_are_out_of_range(tmp_path, text, rule):
    assert _issues(tmp_path, {"涉及金额(元)": text}) == ([(2, "涉及金额(元)", rule)] if rule else [])


def test_over_long_cells_are_quarantined_and_shown_short(tmp_path):
    limit = max_length(DATASETS["mediation_case"].column("调解组织名称"))
    norm = normalise(read_file(_case_file(
        tmp_path / "人民调解案件.csv",
        {"调解组织名称": "甲" * limit},                                          # exactly the limit: fine
        {"调解组织名称": "13912345678" + "甲" * limit},                          # one past it
        {"当事人姓名": "张" * 5000},                                             # a personal-data column
        {"纠纷类型": "纠" * 1000})), TEST_KEY)                                   # an enum-like column
    assert norm.issues.select("_row", "column", "rule").rows() == [
        (3, "调解组织名称", "too_long"), (4, "当事人姓名", "too_long"), (5, "纠纷类型", "too_long")]
    shown = norm.issues["value"].to_list()
    assert shown[0] == "******甲甲甲甲甲甲甲甲甲…(共511字)"                     # no phone number survives the preview
    assert shown[1] == "…(共5000字)" and "张" not in shown[1]
    assert DATASETS["extreme_incident"].column("简要情况").max_length == FREE_TEXT_LENGTH


def test_a_field_past_the_csv_module_limit_is_read_then_quarantined(tmp_path):
    huge = "长" * 200_000                                                       # csv's default limit is 131,072
    path = _case_file(tmp_path / "人民调解案件.csv", {"案件编号": "A1"}, {"案件编号": "A2", "调解组织名称": huge},
                      {"案件编号": "A3"})
    raw = read_file(path)
    assert raw.rows_read == 3 and raw.frame["调解组织名称"][1] == huge
    norm = normalise(raw, TEST_KEY)
    assert norm.issues.select("_row", "column", "rule").rows() == [(3, "调解组织名称", "too_long")]
    assert norm.frame["调解组织名称"][1] is None                                 # read no further


def test_one_bad_value_never_costs_the_night(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _case_file(inbox / "人民调解案件_1.csv",
               {"案件编号": "A1"},
               {"案件编号": "A2", "涉及金额(元)": "5000000000000"},
               {"案件编号": "A3", "涉及人数": "3000000000"},
               {"案件编号": "A4", "调解组织名称": "长" * 150_000},
               {"案件编号": "A5", "录入时间": "2099-12-31 00:00"},
               {"案件编号": "A6"})
    write_csv(inbox / "人民调解统计月报_1.csv", [["所属区县", "所属乡镇(街道)", "统计月份", "受理案件数", "调解成功数"],
                                              ["昌图县", "昌图镇", "2023-03", "3000000000", "1"],
                                              ["昌图县", "昌图镇", "2023-04", "5", "4"]])
    wh = tmp_path / "w.duckdb"
    report = run(inbox, wh, hmac_key=TEST_KEY)
    assert report.published
    assert [(f.file, f.status, f.rows_loaded, f.rows_quarantined) for f in report.files] == [
        ("人民调解案件_1.csv", "loaded", 2, 4), ("人民调解统计月报_1.csv", "loaded", 1, 1)]
    assert sorted(fetch(wh, "SELECT file_name, row_number, column_name, rule, rule_text FROM meta.quarantine")) == [
        ("人民调解案件_1.csv", 3, "涉及金额(元)", "out_of_range", RULES["out_of_range"]),
        ("人民调解案件_1.csv", 4, "涉及人数", "out_of_range", RULES["out_of_range"]),
        ("人民调解案件_1.csv", 5, "调解组织名称", "too_long", RULES["too_long"]),
        ("人民调解案件_1.csv", 6, "录入时间", "implausible_date", RULES["implausible_date"]),
        ("人民调解统计月报_1.csv", 2, "受理案件数", "out_of_range", RULES["out_of_range"])]
    assert fetch(wh, "SELECT case_id FROM marts.cases ORDER BY 1") == [("A1",), ("A6",)]
    assert fetch(wh, "SELECT cases_accepted FROM marts.monthly_reports") == [(5,)]


# --- 2. the property: wild cells next to valid rows ----------------------------------------------------------------
# Case files whose wild rows take cells from wide strategies in six columns; an oracle written from the contract (not
# from the ETL's code) says which rows break a rule. Each example's file is read alone (the reader must take every
# file: a field past the csv module's limit, any character); the rows of all examples are then published once, in
# one file, on a tmp warehouse (normalise, one Great Expectations validation, landing, staging's casts, the marts):
# the run must publish, quarantine exactly the oracle's bad rows, and land every other row. Normalising and
# validating each example alone would take ~0.1 s and ~0.4 s an example; the batch takes ~1.5 s in all.

# Unicode White_Space, what polars (Rust) strips; Python's str.strip() also strips U+001C…U+001F
WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")
FOLD = str.maketrans({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)} | {"\u3000": " "})
MEDIATED = date(2023, 3, 8)   # BASE's 调解日期
WILD_COLUMNS = ("案件编号", "调解组织名称", "涉及人数", "涉及金额(元)", "受理日期", "录入时间")


def _blank(cell: str | None) -> bool:
    return not (cell or "").strip(WHITE_SPACE)


def _number(cell: str, pattern: str):
    t = re.sub(f"[,{WHITE_SPACE}元]", "", cell.translate(FOLD))
    return t if re.fullmatch(pattern, t) else None


def _when(cell: str) -> datetime | None:
    """The contract's date forms (spec variation 5): ISO, slashes, dots, 年月日, compact, Excel serial; a time or not."""
    t = re.sub(f"[{WHITE_SPACE}]+", " ", cell.translate(FOLD).strip(WHITE_SPACE))
    if re.fullmatch(r"[0-9]{5}(\.[0-9]+)?", t):
        return datetime(1899, 12, 30) + timedelta(days=float(t))
    t = re.sub(r"^([0-9]{4})([0-9]{2})([0-9]{2})$", r"\1-\2-\3", t)
    t = re.sub("[年月/.]", "-", t).replace("日", "").replace("T", " ")
    m = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?: +([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2}))?"
                     r"(?:\.[0-9]+)?)?", t)
    try:
        return datetime(*(int(g or 0) for g in m.groups())) if m else None
    except ValueError:
        return None


def _row_is_bad(row: dict, today: date) -> bool:
    """The oracle: does this row break a rule of the contract (with the run's date `today`)?"""
    if any(len(row[c] or "") > max_length(DATASETS["mediation_case"].column(c)) for c in WILD_COLUMNS):
        return True                                                          # too_long
    if _blank(row["案件编号"]) or _blank(row["调解组织名称"]):
        return True                                                          # required
    people = _number(row["涉及人数"] or "", r"[+-]?[0-9]+(\.0+)?")
    if people is None or not 1 <= int(float(people) if "." in people else int(people)) <= INT_RANGE[1]:
        return True                                                          # required, number_format, min, range
    if not _blank(row["涉及金额(元)"]):
        amount = _number(row["涉及金额(元)"], r"[+-]?[0-9]+(\.[0-9]+)?")
        if amount is None or not 0 <= round(float(amount), 2) < MONEY_LIMIT:
            return True
    accepted, entered = _when(row["受理日期"] or ""), _when(row["录入时间"] or "")
    earliest, latest = plausible_dates(DATASETS["mediation_case"].column("受理日期"), today)
    if accepted is None or entered is None:
        return True                                                          # required, date_format
    accepted = datetime.combine(accepted.date(), datetime.min.time())        # a date column keeps the day
    return not (earliest <= accepted.date() <= latest and earliest <= entered.date() <= latest
                and accepted.date() <= MEDIATED and accepted <= entered)     # implausible_date, date_order


def _strategies(today: date):
    from hypothesis import strategies as st

    text = st.text(st.characters(exclude_characters="\x00"), max_size=12)  # NUL marks a binary file: refused whole
    long = st.sampled_from([101, 501, 131_073]).map(lambda n: "长" * n)     # past the csv module's limit too
    ints = st.integers(-(2**70), 2**70)
    numbers = st.one_of(ints.map(str), ints.map("{:,}".format), ints.map(lambda n: f"{n}元"),
                        st.floats(-1e15, 1e15).map("{:.2f}".format), st.integers(0, 50).map(str))
    days = st.dates(date(1, 1, 1), date(9999, 12, 31)).filter(lambda d: abs((d - today).days) > 3)
    forms = [lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}", lambda d: f"{d.year:04d}/{d.month}/{d.day}",
             lambda d: f"{d.year:04d}年{d.month}月{d.day}日", lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}"]
    dates = st.one_of(st.builds(lambda d, f: f(d), days, st.sampled_from(forms)),
                      st.dates(date(2000, 1, 1), date(2023, 3, 8)).map(str),   # plausible, in order: valid
                      st.integers(0, 120_000).map(str))                       # Excel serials, 5 digits or not
    times = st.one_of(dates, st.builds(lambda d, h, m: f"{d} {h}:{m:02d}", dates, st.integers(0, 25),
                                       st.integers(0, 59)))
    wild = {"案件编号": st.one_of(text, long), "调解组织名称": st.one_of(text, long),
            "涉及人数": st.one_of(numbers, text), "涉及金额(元)": st.one_of(numbers, text, st.just("")),
            "受理日期": st.one_of(dates, text), "录入时间": st.one_of(times, text)}
    wild_row = st.lists(st.sampled_from(WILD_COLUMNS), min_size=1, max_size=3, unique=True).flatmap(
        lambda cols: st.fixed_dictionaries({c: wild[c] for c in cols}))
    # each file: wild rows and valid rows in any order, a valid row last (a trailing 合计 row is not data)
    return st.lists(st.one_of(wild_row, st.just({})), min_size=1, max_size=8).map(lambda rows: rows + [{}])


def test_wild_cells_quarantine_exactly_their_rows(tmp_path):
    from hypothesis import HealthCheck, given, settings

    from etl.contract import run_date

    today = run_date()                     # the publish below judges dates on today: the strategy keeps clear of it
    examples: list[list[dict]] = []

    @settings(max_examples=25, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_strategies(today))
    def one_file(changes: list[dict]):
        rows = [{**BASE, "案件编号": f"V{i}", **c} for i, c in enumerate(changes)]
        path = write_csv(tmp_path / "人民调解案件.csv", [CASE_HEADER, *([r[h] for h in CASE_HEADER] for r in rows)])
        raw = read_file(path)                                                # never refused
        assert raw.frame.drop("_row").rows() == [tuple(r[h] or None for h in raw.frame.columns[1:]) for r in rows]
        examples.append(rows)

    one_file()
    rows = [r for example in examples for r in example]
    assert any(len(r["案件编号"] or "") > 131_072 or len(r["调解组织名称"] or "") > 131_072 for r in rows)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "人民调解案件_wild.csv", [CASE_HEADER, *([r[h] for h in CASE_HEADER] for r in rows)])
    report = run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    bad = {i + 2 for i, r in enumerate(rows) if _row_is_bad(r, today)}
    assert report.published and [(f.status, f.rows_read) for f in report.files] == [("loaded", len(rows))]
    assert 0 < len(bad) < len(rows)
    quarantined = fetch(tmp_path / "w.duckdb", "SELECT file_name, row_number, column_name, rule FROM meta.quarantine")
    assert {r for _, r, _, _ in quarantined} == bad                          # exactly the bad rows
    # a 受理日期 after BASE's 调解日期 is reported on 调解日期, the later column of the pair
    assert {(f, rule in RULES) for f, _, _, rule in quarantined} == {("人民调解案件_wild.csv", True)}
    assert {column for _, _, column, _ in quarantined} <= {*WILD_COLUMNS, "调解日期"}
    landed = {r for (r,) in fetch(tmp_path / "w.duckdb", "SELECT _row FROM landing.mediation_case")}
    assert landed == set(range(2, len(rows) + 2)) - bad                      # no valid row lost
