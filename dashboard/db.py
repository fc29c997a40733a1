"""Read-only access to the published warehouse.

One in-memory DuckDB per published version of the file ATTACHes it READ_ONLY (never `duckdb.connect(path,
read_only=True)`, which may keep serving the old file from its instance cache after the ETL swaps a new one in).
Every query runs on its own cursor of that instance: opening and attaching costs ~40 ms, a cursor next to nothing,
and a page runs dozens of queries. `version()` changes with every publish; the next query then attaches the new
file, and caches keyed on it refresh without a restart.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

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


_lock = threading.Lock()
_instances: dict[str, duckdb.DuckDBPyConnection] = {}   # file path → its instance, for the version in `_seen`
_seen: dict[str, str] = {}


def _instance(path: Path) -> duckdb.DuckDBPyConnection:
    """The in-memory instance that has this version of the file attached; a new publish gets a new one. The
    previous instance is left to the garbage collector, so a query still running on it finishes."""
    current = version(path)
    key = str(path)
    with _lock:
        if _seen.get(key) != current:
            con = duckdb.connect(":memory:")
            con.execute(f"ATTACH '{_quote(path)}' AS wh (READ_ONLY)")
            _instances[key], _seen[key] = con, current
        return _instances[key]


@contextmanager
def connection(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the shared read-only instance of the warehouse (thread-safe: one cursor per caller)."""
    path = Path(path or warehouse_path())
    if not path.exists():
        raise WarehouseMissing(str(path))
    cursor = _instance(path).cursor()
    try:
        cursor.execute("USE wh")   # the default catalog is per cursor
        yield cursor
    finally:
        cursor.close()


def query(sql: str, params: dict | list | None = None, path: Path | None = None) -> pl.DataFrame:
    with connection(path) as con:
        return con.sql(sql, params=params).pl()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
