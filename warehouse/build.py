"""Build the warehouse's models: reference tables, then staging SQL, then marts SQL.

Each SQL file `NN_name.sql` creates the one table `layer.name` (NN orders the build) and
starts with a `-- grain:` line, the one sentence that says what one row is; it is recorded
in meta.table_doc for the dashboard's definitions.
"""
from __future__ import annotations

import re
from pathlib import Path

import duckdb

from etl import reference

SQL_DIR = Path(__file__).resolve().parent / "sql"
LAYERS = ("staging", "marts")
_GRAIN = re.compile(r"^--\s*grain:\s*(.+)$", re.MULTILINE)


def sql_files() -> list[tuple[str, Path]]:
    return [(layer, p) for layer in LAYERS for p in sorted((SQL_DIR / layer).glob("*.sql"))]


def table_name(layer: str, path: Path) -> str:
    return f"{layer}.{path.stem.split('_', 1)[1]}"


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS ref")
    for name, frame in (("county", reference.counties()), ("township", reference.townships()),
                        ("village", reference.villages()), ("population", reference.population()),
                        ("dispute_type", reference.dispute_types())):
        con.register("frame", frame.to_arrow())
        con.execute(f"CREATE OR REPLACE TABLE ref.{name} AS SELECT * FROM frame")
        con.unregister("frame")


def build_models(con: duckdb.DuckDBPyConnection) -> None:
    load_reference(con)
    docs = []
    for layer, path in sql_files():
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
        sql = path.read_text(encoding="utf-8")
        grain = _GRAIN.search(sql)
        if not grain:
            raise ValueError(f"{path} has no '-- grain:' line")
        con.execute(sql)
        docs.append((table_name(layer, path), layer, grain.group(1).strip()))
    con.execute("CREATE OR REPLACE TABLE meta.table_doc (table_name VARCHAR, layer VARCHAR, grain VARCHAR)")
    con.executemany("INSERT INTO meta.table_doc VALUES (?, ?, ?)", docs)
