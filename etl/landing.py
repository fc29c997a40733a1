"""The warehouse's landing and load-record tables: DDL derived from the contract.

Landing tables hold every valid row of every loaded file, typed, with personal data
already hashed or masked, and the file and row it came from. Staging SQL renames them.
"""
from __future__ import annotations

import duckdb

from etl.contract import DATASETS, MONEY_DIGITS, MONEY_SCALE, Column, Dataset

# An amount is DECIMAL with the contract's digits: the normaliser quarantines what it cannot hold (contract.MONEY_LIMIT),
# so an insert never overflows. Counts land as BIGINT and fit the staging INTEGER the same way (contract.INT_RANGE).
SCALAR_TYPES = {"text": "VARCHAR", "enum": "VARCHAR", "int": "BIGINT", "money": f"DECIMAL({MONEY_DIGITS},{MONEY_SCALE})",
                "date": "DATE", "datetime": "TIMESTAMP", "month": "DATE"}
FILE_COLUMNS = [("_run_id", "VARCHAR"), ("_file_seq", "INTEGER"), ("_row", "INTEGER")]


def column_types(c: Column) -> list[tuple[str, str]]:
    if c.place or c.type == "dispute_type":
        return [(c.name, "VARCHAR"), (c.name + "_code", "VARCHAR")]
    if c.type in ("name", "name_list"):
        return [(c.name + "_mask", "VARCHAR")]
    if c.type == "id18":
        return [(c.name + "_hmac", "VARCHAR"), (c.name + "_sex", "VARCHAR"), (c.name + "_birth_year", "INTEGER")]
    if c.type == "id18_list":
        return [(c.name + "_hmac", "VARCHAR[]")]
    if c.type == "phone":
        return []  # phones are dropped
    return [(c.name, SCALAR_TYPES[c.type])]


def landing_columns(ds: Dataset) -> list[tuple[str, str]]:
    return FILE_COLUMNS + [t for c in ds.columns for t in column_types(c)]


META_DDL = """
CREATE SCHEMA IF NOT EXISTS landing;
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.load_run (          -- one row per ETL run that published
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, inbox VARCHAR,
    files_seen INTEGER, files_loaded INTEGER, files_refused INTEGER, files_duplicate INTEGER,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT);
CREATE TABLE IF NOT EXISTS meta.load_file (         -- one row per file seen by a run
    run_id VARCHAR, file_seq INTEGER, file_name VARCHAR, sha256 VARCHAR, size_bytes BIGINT,
    modified_at TIMESTAMP, dataset VARCHAR, encoding VARCHAR, sheet VARCHAR, status VARCHAR, reason VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, extra_columns VARCHAR, archived_as VARCHAR);
CREATE TABLE IF NOT EXISTS meta.quarantine (        -- one row per rule broken by a data row
    run_id VARCHAR, file_seq INTEGER, file_name VARCHAR, sha256 VARCHAR, dataset VARCHAR, row_number INTEGER,
    column_name VARCHAR, rule VARCHAR, rule_text VARCHAR, value VARCHAR, county_code VARCHAR, detail VARCHAR);
-- detail came later (the candidates of an ambiguous place): warehouses built before gain the column
ALTER TABLE meta.quarantine ADD COLUMN IF NOT EXISTS detail VARCHAR;
CREATE TABLE IF NOT EXISTS meta.expectation_result ( -- one row per file and expectation
    run_id VARCHAR, file_seq INTEGER, dataset VARCHAR, expectation VARCHAR, column_name VARCHAR, rule VARCHAR,
    success BOOLEAN, unexpected_count BIGINT, sample VARCHAR);
"""


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(META_DDL)
    for ds in DATASETS.values():
        cols = ", ".join(f'"{name}" {typ}' for name, typ in landing_columns(ds))
        con.execute(f"CREATE TABLE IF NOT EXISTS landing.{ds.key} ({cols})")
