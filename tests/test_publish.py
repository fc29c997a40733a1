"""The marts' key check in SQL (warehouse.publish.check_mart_keys) on hand-built tables."""
from __future__ import annotations

import duckdb
import pytest

import expectations
from etl import landing
from warehouse.publish import check_mart_keys


@pytest.fixture
def con(monkeypatch):
    con = duckdb.connect()
    landing.ensure(con)
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.one (id VARCHAR)")
    con.execute("CREATE TABLE marts.two (county VARCHAR, month DATE)")
    marts = {"mediator": ("marts.one", ["id"]), "risk_report": ("marts.two", ["county", "month"])}
    monkeypatch.setattr(expectations, "mart_of", marts.get)
    yield con
    con.close()


def _results(con):
    return con.execute("""SELECT dataset, expectation, column_name, rule, success, unexpected_count, sample
                          FROM meta.expectation_result ORDER BY dataset""").fetchall()


def test_unique_keys_pass_and_are_recorded_once_per_mart(con):
    con.execute("INSERT INTO marts.one VALUES ('a'), ('b'), (NULL), (NULL)")  # keys that are all empty: not keys
    con.execute("INSERT INTO marts.two VALUES ('x', '2023-03-01'), ('x', '2023-04-01'), ('y', '2023-03-01')")
    check_mart_keys(con, "r1")
    assert _results(con) == [
        ("mediator", "expect_column_values_to_be_unique", "id", "duplicate_key", True, 0, None),
        ("risk_report", "expect_compound_columns_to_be_unique", "county, month", "duplicate_key", True, 0, None)]


def test_a_repeated_key_fails_naming_how_many_keys_and_up_to_five(con):
    con.execute("INSERT INTO marts.one SELECT 'k' || (i % 7) FROM range(20) t(i)")  # 7 keys, each 2 or 3 times
    con.execute("INSERT INTO marts.two VALUES ('x', '2023-03-01'), ('x', '2023-03-01'), ('y', '2023-03-01')")
    with pytest.raises(RuntimeError, match="主键仍重复") as raised:
        check_mart_keys(con, "r1")
    message = str(raised.value)
    assert "marts.one(id) 7 个键重复" in message and "marts.two(county, month) 1 个键重复" in message
    (_, _, _, _, ok1, n1, sample1), (_, _, _, _, ok2, n2, sample2) = _results(con)
    assert (ok1, n1) == (False, 7)
    assert sample1 == "k0、k1、k2、k3、k4"  # the most repeated first (k0…k5 three times, k6 twice)
    assert (ok2, n2, sample2) == (False, 1, "x/2023-03-01")
