"""Read-only access to the published warehouse.

Each query opens an in-memory DuckDB and ATTACHes the file READ_ONLY: after the ETL swaps a
new file in, the next query sees it (duckdb.connect(path, read_only=True) may keep serving
the old file from its instance cache). `version()` changes with every publish, so caches
keyed on it refresh without a restart.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_DIR / "data" / "warehouse" / "warehouse.duckdb"


class WarehouseMissing(Exception):
    pass


def warehouse_path() -> Path:
    return Path(os.environ.get("WAREHOUSE_PATH") or DEFAULT_WAREHOUSE)


def version(path: Path | None = None) -> str:
    """Identity of the published file: a new publish (os.replace) gives a new inode and mtime."""
    path = path or warehouse_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise WarehouseMissing(str(path)) from None
    return f"{path}:{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


def query(sql: str, params: dict | list | None = None, path: Path | None = None) -> pl.DataFrame:
    path = path or warehouse_path()
    if not path.exists():
        raise WarehouseMissing(str(path))
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{_quote(path)}' AS wh (READ_ONLY)")
        con.execute("USE wh")
        return con.sql(sql, params=params).pl()
    finally:
        con.close()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
