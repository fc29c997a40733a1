"""Incremental nights equal one build from scratch: staging appended, key-partitioned marts updated, the rest kept.

Four hand-built nights: new cases; an update of a case (a later 录入时间) beside an older version arriving late
(an earlier 录入时间: it must not become the case's current version) and a byte copy of the first file; a night
of monthly reports only; a new file repeating a case's version exactly (the later file wins the tie). After every
night each staging table and mart equals what a build from scratch makes of the same landing tables.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.conftest import TEST_KEY, write_csv
from tests.test_normalise import BASE, CASE_HEADER
from warehouse import build
from warehouse.publish import run

REPORT_HEADER = ["所属区县", "所属乡镇(街道)", "统计月份", "受理案件数", "调解成功数"]


def _cases(path, *changes: dict) -> None:
    write_csv(path, [CASE_HEADER] + [[{**BASE, **c}[h] for h in CASE_HEADER] for c in changes])


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [f"{s}.{t}" for s, t in con.execute("""SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_catalog = current_database() AND table_schema IN ('staging', 'marts') ORDER BY ALL""").fetchall()]


def _contents(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def _same_as_from_scratch(wh, tmp_path) -> None:
    scratch = tmp_path / "scratch.duckdb"
    shutil.copyfile(wh, scratch)
    incremental, fresh = duckdb.connect(str(wh), read_only=True), duckdb.connect(str(scratch))
    try:
        build.build_models(fresh)                       # no run: everything from scratch
        assert _tables(incremental) == _tables(fresh)
        for table in _tables(fresh):
            assert _contents(incremental, table) == _contents(fresh, table), table
    finally:
        incremental.close()
        fresh.close()


@pytest.fixture
def nights(tmp_path):
    inbox, wh = tmp_path / "inbox", tmp_path / "wh" / "warehouse.duckdb"
    inbox.mkdir()
    return inbox, wh


def test_nights_built_incrementally_equal_a_build_from_scratch(nights, tmp_path):
    inbox, wh = nights
    _cases(inbox / "人民调解案件_2023-03.csv", {"案件编号": "A1"}, {"案件编号": "A2", "所属区县": "开原市",
                                                                 "所属乡镇(街道)": "威远堡镇", "调解组织名称": "威远堡镇调委会"},
           {"案件编号": "A3", "录入时间": "2023-03-10 09:00:00"})
    write_csv(inbox / "人民调解统计月报_2023-03.csv", [REPORT_HEADER, ["昌图县", "昌图镇", "2023-03", "3", "2"]])
    first = run(inbox, wh, hmac_key=TEST_KEY)
    assert first.published and set(first.models.values()) == {"rebuilt"}       # a new warehouse: everything
    _same_as_from_scratch(wh, tmp_path)

    shutil.copyfile(inbox / "人民调解案件_2023-03.csv", inbox / "人民调解案件_2023-03 - 副本.csv")
    _cases(inbox / "人民调解案件_2023-04.csv",
           {"案件编号": "A1", "调解结果": "调解不成功", "录入时间": "2023-04-02 10:00:00"},   # a later version
           {"案件编号": "A3", "受理日期": "2023-02-20", "调解日期": "", "调解结果": "调解中",       # an older one, late
            "录入时间": "2023-03-01 08:00:00"},
           {"案件编号": "A4", "受理日期": "2023-04-01", "调解日期": "", "调解结果": "调解中",
            "录入时间": "2023-04-03 08:00:00"})
    second = run(inbox, wh, hmac_key=TEST_KEY)
    assert second.models["staging.mediation_case"] == "appended"
    assert second.models["marts.cases"] == second.models["marts.case_history"] == "updated"
    assert second.models["marts.monthly_reports"] == "kept" and second.models["marts.dim_county"] == "kept"
    _same_as_from_scratch(wh, tmp_path)
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT case_id, outcome, versions_loaded FROM marts.cases ORDER BY 1").fetchall() == [
        ("A1", "调解不成功", 2), ("A2", "调解成功", 1), ("A3", "调解成功", 2), ("A4", "调解中", 1)]
    con.close()

    write_csv(inbox / "人民调解统计月报_2023-04.csv", [REPORT_HEADER, ["昌图县", "昌图镇", "2023-04", "5", "4"]])
    third = run(inbox, wh, hmac_key=TEST_KEY)
    assert third.models["marts.monthly_reports"] == "rebuilt" and third.models["marts.cases"] == "kept"
    assert third.models["staging.monthly_case_report"] == "appended"
    _same_as_from_scratch(wh, tmp_path)

    _cases(inbox / "人民调解案件_2023-05.csv", {"案件编号": "A4", "受理日期": "2023-04-01", "调解日期": "",
                                               "调解结果": "调解中", "录入时间": "2023-04-03 08:00:00"})
    fourth = run(inbox, wh, hmac_key=TEST_KEY)
    assert fourth.models["marts.cases"] == "updated"
    _same_as_from_scratch(wh, tmp_path)
    con = duckdb.connect(str(wh), read_only=True)
    # the same version twice: the later file's is current
    assert con.execute("""SELECT f.file_name FROM marts.cases c JOIN meta.load_file f USING (file_seq)
                          WHERE case_id = 'A4'""").fetchall() == [("人民调解案件_2023-05.csv",)]
    con.close()

    assert run(inbox, wh, hmac_key=TEST_KEY).nothing_new


def test_changed_models_rebuild_everything(nights, tmp_path, monkeypatch):
    """A release with other models (another fingerprint): the next night rebuilds every model, even with nothing
    new in the inbox."""
    inbox, wh = nights
    _cases(inbox / "人民调解案件_2023-03.csv", {"案件编号": "A1"})
    assert run(inbox, wh, hmac_key=TEST_KEY).published
    assert run(inbox, wh, hmac_key=TEST_KEY).nothing_new
    monkeypatch.setattr(build, "fingerprint", lambda: "another release")
    again = run(inbox, wh, hmac_key=TEST_KEY)
    assert again.published and not again.nothing_new and set(again.models.values()) == {"rebuilt"}
    _same_as_from_scratch(wh, tmp_path)


def test_every_staging_model_only_renames_and_casts():
    """Appending a run's rows to a staging table is the same as rebuilding it only for a SELECT over one landing
    table with no filter, join or grouping: each staging file is of that form, and each incremental mart names a
    staging table it reads."""
    for layer, path in build.sql_files():
        sql = path.read_text(encoding="utf-8")
        if layer == "staging":
            assert build._STAGING.match(sql), path.name
        declared = build._INCREMENTAL.search(sql)
        if declared:
            assert declared.group(1) in build.inputs(sql, build.table_name(layer, path)), path.name
            assert build._SELECT.search(sql)["table"] == build.table_name(layer, path), path.name
