"""SQL models on tiny given rows with known answers, in an in-memory DuckDB."""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from etl import landing
from warehouse.build import build_models
from warehouse.rubric import default_rubric
from warehouse.scoring import results_by

CHANGTU, KAIYUAN = "211224", "211282"
CHANGTU_TOWN, KAIYUAN_TOWN = "211224100", "211282102"


def _case(case_id, county, accepted, entered, outcome="调解成功", seq=1, row=2):
    return {"案件编号": case_id, "所属区县_code": county, "所属乡镇(街道)_code": None, "纠纷类型_code": "02",
            "受理日期": accepted, "调解结果": outcome, "录入时间": entered, "涉及人数": 2,
            "_run_id": "r", "_file_seq": seq, "_row": row}


def _report(county, town, month, accepted, succeeded, seq=1, row=2):
    return {"所属区县_code": county, "所属乡镇(街道)_code": town, "统计月份": month, "受理案件数": accepted,
            "调解成功数": succeeded, "_run_id": "r", "_file_seq": seq, "_row": row}


def build(cases: list[dict], reports: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    landing.ensure(con)
    for table, rows in (("mediation_case", cases), ("monthly_case_report", reports)):
        for r in rows:
            cols = ", ".join(f'"{k}"' for k in r)
            con.execute(f"INSERT INTO landing.{table} ({cols}) VALUES ({', '.join('?' * len(r))})", list(r.values()))
    build_models(con)
    return con


def rows(con, sql):
    return con.execute(sql).fetchall()


def entry_rates(con, as_of=date(2023, 4, 30)) -> list[tuple]:
    """Indicator 1 per county and month, through the scoring's records (the one definition of the rate)."""
    found = results_by(con, "entry_rate", default_rubric(), as_of, ("county_code", "month"))
    return sorted((c, m, int(r.numerator), r.denominator, None if r.value is None else float(r.value))
                  for (c, m), r in found.items())


def test_entry_rate_per_county_month():
    con = build(
        cases=[_case("A", CHANGTU, date(2023, 3, 2), datetime(2023, 3, 3)),
               _case("B", CHANGTU, date(2023, 3, 9), datetime(2023, 3, 9)),
               _case("C", CHANGTU, date(2023, 4, 1), datetime(2023, 4, 2)),
               _case("D", KAIYUAN, date(2023, 3, 5), datetime(2023, 3, 6))],
        reports=[_report(CHANGTU, CHANGTU_TOWN, date(2023, 3, 1), 4, 3),
                 _report(CHANGTU, "211224101", date(2023, 3, 1), 1, 1),
                 _report(KAIYUAN, KAIYUAN_TOWN, date(2023, 4, 1), 2, 2)])
    assert entry_rates(con) == [
        (CHANGTU, date(2023, 3, 1), 2, 5, pytest.approx(0.4)),
        (CHANGTU, date(2023, 4, 1), 1, 0, None),          # reported nothing: no rate, not infinity
        (KAIYUAN, date(2023, 3, 1), 1, 0, None),
        (KAIYUAN, date(2023, 4, 1), 0, 2, 0.0),           # a missing case export counts 0
    ]
    # a case accepted after the as-of date is not counted yet
    assert entry_rates(con, date(2023, 3, 31)) == [(CHANGTU, date(2023, 3, 1), 2, 5, pytest.approx(0.4)),
                                                   (KAIYUAN, date(2023, 3, 1), 1, 0, None)]


def test_latest_version_of_a_case_wins_and_counts_once():
    con = build(
        cases=[_case("A", CHANGTU, date(2023, 3, 2), datetime(2023, 3, 3), "调解中", seq=1),
               _case("A", CHANGTU, date(2023, 3, 2), datetime(2023, 4, 20), "调解成功", seq=2),
               _case("A", CHANGTU, date(2023, 3, 2), datetime(2023, 3, 3), "调解中", seq=3)],  # stale copy sent later
        reports=[_report(CHANGTU, CHANGTU_TOWN, date(2023, 3, 1), 1, 1)])
    assert rows(con, "SELECT case_id, outcome, is_closed, versions_loaded FROM marts.cases") == [
        ("A", "调解成功", True, 3)]
    assert entry_rates(con) == [(CHANGTU, date(2023, 3, 1), 1, 1, 1.0)]


def test_later_report_file_replaces_earlier_version():
    con = build(cases=[], reports=[_report(CHANGTU, CHANGTU_TOWN, date(2023, 3, 1), 9, 9, seq=1),
                                   _report(CHANGTU, CHANGTU_TOWN, date(2023, 3, 1), 4, 3, seq=2)])
    assert rows(con, "SELECT cases_accepted, cases_succeeded FROM marts.monthly_reports") == [(4, 3)]


def test_entry_rate_above_one_is_kept_as_measured():
    con = build(cases=[_case(c, KAIYUAN, date(2023, 3, 2), datetime(2023, 3, 3)) for c in "ABC"],
                reports=[_report(KAIYUAN, KAIYUAN_TOWN, date(2023, 3, 1), 2, 2)])
    assert entry_rates(con) == [(KAIYUAN, date(2023, 3, 1), 3, 2, 1.5)]


def test_every_model_states_its_grain():
    con = build([], [])
    docs = dict(rows(con, "SELECT table_name, grain FROM meta.table_doc"))
    tables = {f"{s}.{t}" for s, t in rows(con, "SELECT schema_name, table_name FROM duckdb_tables() "
                                               "WHERE schema_name IN ('staging', 'marts')")}
    assert tables == set(docs)
    assert all(g.startswith("one row per") for g in docs.values())
