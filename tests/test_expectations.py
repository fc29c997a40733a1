"""The Great Expectations suites: each contract rule they carry quarantines exactly the row that breaks it."""
from __future__ import annotations

import pytest

from etl.normalise import normalise
from etl.read import read_file
from etl.validate import validate
from tests.conftest import TEST_KEY, write_csv
from tests.test_normalise import BASE, CASE_HEADER


def _issues(tmp_path, change: dict):
    rows = [CASE_HEADER, [BASE[h] for h in CASE_HEADER], [{**BASE, **change}[h] for h in CASE_HEADER]]
    frame = normalise(read_file(write_csv(tmp_path / "人民调解案件.csv", rows)), TEST_KEY).frame
    return validate("mediation_case", frame).issues.select("_row", "column", "rule").rows()


@pytest.mark.parametrize("change,column,rule", [
    ({"案件编号": ""}, "案件编号", "required"),
    ({"调解组织名称": " "}, "调解组织名称", "required"),
    ({"纠纷来源": "路上捡的"}, "纠纷来源", "enum"),
    ({"调解结果": "调解成工"}, "调解结果", "enum"),
    ({"涉及人数": "0"}, "涉及人数", "min_value"),
    ({"涉及金额(元)": "-5"}, "涉及金额(元)", "min_value"),
    ({"调解日期": "2023-03-01"}, "调解日期", "date_order"),
    ({"录入时间": "2023-03-04 23:59"}, "录入时间", "date_order"),
    ({"调解日期": ""}, "调解日期", "required_when"),
    ({"协议形式": ""}, "协议形式", "required_when"),
    ({"调解结果": "调解中", "协议形式": "", "履行情况": ""}, "调解日期", "empty_when"),
])
def test_each_case_rule_flags_only_the_bad_row(tmp_path, change, column, rule):
    assert _issues(tmp_path, change) == [(3, column, rule)]


def test_monthly_report_success_not_above_accepted(tmp_path):
    rows = [["所属区县", "所属乡镇(街道)", "统计月份", "受理案件数", "调解成功数"],
            ["昌图县", "昌图镇", "2023-03", "5", "5"], ["昌图县", "昌图镇", "2023-04", "5", "6"],
            ["昌图县", "昌图镇", "2023-05", "-1", "0"]]
    frame = normalise(read_file(write_csv(tmp_path / "人民调解统计月报.csv", rows)), TEST_KEY).frame
    result = validate("monthly_case_report", frame)
    assert sorted(result.issues.select("_row", "column", "rule").rows()) == [
        (3, "调解成功数", "not_greater"), (4, "受理案件数", "min_value"), (4, "调解成功数", "not_greater")]
    failed = result.results.filter(~result.results["success"])
    assert set(failed["rule"]) == {"not_greater", "min_value"}


def _report_csv(path, n, accepted="5"):
    from tests.conftest import write_csv
    rows = [["所属区县", "所属乡镇(街道)", "统计月份", "受理案件数", "调解成功数"]]
    rows += [["昌图县", "昌图镇", f"2023-{m:02d}", accepted, "5"] for m in range(3, 3 + n)]
    return write_csv(path, rows)


def test_a_collapsing_load_is_recorded_as_a_failed_table_expectation(tmp_path):
    import duckdb

    from warehouse.publish import run

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _report_csv(inbox / "人民调解统计月报_a.csv", 10)
    run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    _report_csv(inbox / "人民调解统计月报_b.csv", 2)  # 2 rows after 10: under half
    report = run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    assert [f.rows_loaded for f in report.files if f.status == "loaded"] == [2]  # a warning: rows still load
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    rows = con.execute("SELECT success, sample FROM meta.expectation_result WHERE rule = 'row_count_collapse'").fetchall()
    con.close()
    assert rows == [(False, "2")]


def test_duplicate_keys_in_a_mart_stop_the_publish(tmp_path, monkeypatch):
    import expectations
    from warehouse.publish import run

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _report_csv(inbox / "人民调解统计月报_a.csv", 3)
    _report_csv(inbox / "人民调解统计月报_b.csv", 3, "6")  # the same keys again: staging holds both versions
    # point the key check at staging (every version), as if the mart's latest-version SQL were broken
    monkeypatch.setattr(expectations, "mart_of", lambda key: ("staging.monthly_case_report",
                                                              ["county_code", "township_code", "report_month"])
                        if key == "monthly_case_report" else None)
    with pytest.raises(RuntimeError, match="主键仍重复"):
        run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    assert not (tmp_path / "w.duckdb").exists()


def test_every_dataset_has_a_suite_module_naming_its_mart(demo_warehouse):
    import duckdb

    import expectations
    from etl.contract import DATASETS

    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        for key in DATASETS:
            table, columns = expectations.mart_of(key)
            assert con.execute(f"SELECT count(*) FROM (SELECT {', '.join(columns)} FROM {table} "
                               f"GROUP BY ALL HAVING count(*) > 1)").fetchall() == [(0,)], key
            assert len(expectations.suite_for(key).expectations) >= len(DATASETS[key].required)
    finally:
        con.close()
