"""Read-only access to the published warehouse.

One in-memory DuckDB per published version of the file ATTACHes it READ_ONLY (never `duckdb.connect(path,
read_only=True)`, which may keep serving the old file from its instance cache after the ETL swaps a new one in).
Every query runs on its own cursor of that instance: opening and attaching costs ~40 ms, a cursor next to nothing,
and a page runs dozens of queries. `version()` changes with every publish; the next query then attaches the new
file, and caches keyed on it refresh without a restart.

Who may see which county is decided here, in SQL, for every query of the dashboard: the instance also holds a
catalog `scoped` with one view per table of the warehouse's marts and meta schemas, each filtered by the cursor's
`scope_county` variable (bound as a parameter from dashboard.access.current(): a county code, or '*' for users
bound to no county). Cursors `USE scoped`, so `marts.cases` in any query means the view. A cursor whose variable is
not set sees no row of any county (the views fail closed). SCOPE_RULES says how each table is cut; a table added to
the warehouse that the rules do not cover stops the dashboard (`ScopeUnknown`) rather than show it unfiltered.
"""
from __future__ import annotations

import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl

from dashboard import access
from dashboard.access import ALL_COUNTIES

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_DIR / "data" / "warehouse" / "warehouse.duckdb"


class WarehouseMissing(Exception):
    pass


class ScopeUnknown(Exception):
    """A table of the warehouse with no county column and no rule in SCOPE_RULES: it is not shown."""


# The views of catalog `scoped`. A table with a county_code column is cut by it (rows of no county — a quarantined
# row whose place could not be read — are then seen only by users of all counties). The others:
#   "public": reference lists with no county (dispute types, table documentation);
#   "file":   per-file records (loads, expectation results), seen by a county user for files that brought rows of
#             that county (file_county below);
#   "run":    the nightly runs: when they ran, seen by all; their city-wide file counts only by users of all counties.
SCOPE_RULES = {
    "marts.dim_dispute_type": "public",
    "meta.table_doc": "public",
    "meta.model_state": "public",      # the models' fingerprint: no county in it
    "meta.load_file": "file",
    "meta.expectation_result": "file",
    "meta.load_run": "run",
}
SCOPE_SCHEMAS = ("marts", "meta")   # the dashboard reads nothing else (landing and staging are not exposed)
_IN_SCOPE = "(getvariable('scope_county') = '*' OR {col} = getvariable('scope_county'))"


def _scoped_catalog(con: duckdb.DuckDBPyConnection) -> None:
    """Create catalog `scoped`: one filtered view per table of wh's marts and meta (see SCOPE_RULES)."""
    con.execute("ATTACH ':memory:' AS scoped")
    tables = con.sql("""SELECT table_schema, table_name, list(column_name ORDER BY ordinal_position)
                        FROM information_schema.columns
                        WHERE table_catalog = 'wh' AND table_schema IN ('marts', 'meta') GROUP BY ALL""").fetchall()
    # which county each file brought rows of: every mart or quarantine table with both columns
    sources = [f"SELECT DISTINCT file_seq, county_code FROM wh.{s}.{t}" for s, t, cols in tables
               if "file_seq" in cols and "county_code" in cols]
    for schema in SCOPE_SCHEMAS:
        con.execute(f"CREATE SCHEMA scoped.{schema}")
    con.execute("CREATE TABLE scoped.main.file_county AS "
                + (" UNION ".join(sources) if sources else "SELECT NULL::INTEGER AS file_seq, NULL AS county_code"))
    for schema, table, cols in tables:
        name = f"{schema}.{table}"
        rule = SCOPE_RULES.get(name, "county" if "county_code" in cols else None)
        source = f"wh.{schema}.{table}"
        if rule == "county":
            body = f"SELECT * FROM {source} WHERE {_IN_SCOPE.format(col='county_code')}"
        elif rule == "public":
            body = f"SELECT * FROM {source}"
        elif rule == "file":
            body = (f"SELECT * FROM {source} WHERE getvariable('scope_county') = '*' OR file_seq IN "
                    f"(SELECT file_seq FROM scoped.main.file_county WHERE county_code = getvariable('scope_county'))")
        elif rule == "run":
            shown = ", ".join(c if not c.startswith("files_") and not c.startswith("rows_")
                              else f"CASE WHEN getvariable('scope_county') = '*' THEN {c} END AS {c}" for c in cols)
            body = f"SELECT {shown} FROM {source} WHERE getvariable('scope_county') IS NOT NULL"
        else:
            raise ScopeUnknown(f"数据仓库表 {name} 没有区县字段,也没有访问规则(dashboard/db.py SCOPE_RULES)")
        con.execute(f"CREATE VIEW scoped.{schema}.{table} AS {body}")


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
            # spills go to the system's temporary folder (the service's private /tmp), never the working directory,
            # which the deployment makes read-only
            con = duckdb.connect(":memory:", config={"temp_directory": str(Path(tempfile.gettempdir()) / "tieling-duckdb")})
            con.execute(f"ATTACH '{_quote(path)}' AS wh (READ_ONLY)")
            _scoped_catalog(con)
            _instances[key], _seen[key] = con, current
        return _instances[key]


@contextmanager
def connection(path: Path | None = None, *, published: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the shared read-only instance of the warehouse (thread-safe: one cursor per caller), scoped to
    the current user's counties (dashboard.access).

    `published=True` is for the one result the bureau publishes to every county — the ranked score table (ranks,
    totals, 通报 and reasons of all seven counties; dashboard.ranking.scorecard) — and nothing else: it reads every
    county whoever asks. tests/test_scope.py lists the functions allowed to use it."""
    path = Path(path or warehouse_path())
    if not path.exists():
        raise WarehouseMissing(str(path))
    scope = ALL_COUNTIES if published else access.current().scope
    cursor = _instance(path).cursor()
    try:
        cursor.execute("SET VARIABLE scope_county = $scope", {"scope": scope})
        cursor.execute("USE scoped")   # the default catalog is per cursor
        yield cursor
    finally:
        cursor.close()


def query(sql: str, params: dict | list | None = None, path: Path | None = None) -> pl.DataFrame:
    with connection(path) as con:
        return con.sql(sql, params=params).pl()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
