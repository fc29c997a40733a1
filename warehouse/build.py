"""Build the warehouse's models: reference tables, then staging SQL, then marts SQL.

Each SQL file `NN_name.sql` creates the one table `layer.name` (NN orders the build) and
starts with a `-- grain:` line, the one sentence that says what one row is; it is recorded
in meta.table_doc for the dashboard's definitions.

Incremental nights. The landing tables only ever grow (a run appends the rows of the files it loaded, under its
run id), and a staging model only renames and casts one landing table: so on a night that loaded files of some
datasets, each of their staging tables gets just the new run's rows appended, and a mart is rebuilt only when a
table it reads changed. A mart whose rows each depend on the versions of one key only says so in a line
`-- incremental: staging.<table>.<key>` (marts.cases: the latest version of each case): its rows for the keys the run
brought are deleted and made again from all versions of those keys, by the same SELECT over the staging table cut
to those keys; the rest of the mart is kept. Everything is rebuilt from scratch when the models themselves changed
(a new release: another SQL file or reference file, recorded as a fingerprint in meta.model_state), or when a model
is missing. tests/test_incremental.py checks that nights built incrementally equal one build from scratch.
Measured at province scale (benchmarks/etl.py): a whole build 4.3 s; a night bringing a month of cases about 0.5 s.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb

from etl import reference

SQL_DIR = Path(__file__).resolve().parent / "sql"
LAYERS = ("staging", "marts")
_GRAIN = re.compile(r"^--\s*grain:\s*(.+)$", re.MULTILINE)
_TABLES = re.compile(r"\b((?:landing|staging|marts|meta|ref)\.[a-z_]+)\b")
# what "only renames and casts" means in SQL: one SELECT over one landing table, no filter, join or grouping
_STAGING = re.compile(r"^(?P<head>.*?)CREATE OR REPLACE TABLE (?P<table>staging\.[a-z_]+) AS\s+"
                      r"(?P<select>SELECT\b(?:(?!\b(?:JOIN|WHERE|GROUP|UNION|QUALIFY|HAVING)\b).)*?"
                      r"FROM (?P<source>landing\.[a-z_]+))\s*;\s*$", re.DOTALL)
_INCREMENTAL = re.compile(r"^--\s*incremental:\s*(staging\.[a-z_]+)\.([a-z_]+)\s*$", re.MULTILINE)
_SELECT = re.compile(r"CREATE OR REPLACE TABLE (?P<table>marts\.[a-z_]+) AS\s+(?P<select>.*?)\s*;\s*$", re.DOTALL)
META_TABLES = {"meta.load_file", "meta.load_run", "meta.quarantine", "meta.expectation_result"}


def sql_files() -> list[tuple[str, Path]]:
    return [(layer, p) for layer in LAYERS for p in sorted((SQL_DIR / layer).glob("*.sql"))]


def table_name(layer: str, path: Path) -> str:
    return f"{layer}.{path.stem.split('_', 1)[1]}"


def inputs(sql: str, table: str) -> set[str]:
    """The tables a model's SQL reads (comments aside), not the one it creates."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return set(_TABLES.findall(code)) - {table}


def upstream_staging(tables: set[str]) -> set[str]:
    """The staging tables (one per export dataset) that `tables` are built from, following the marts' SQL back:
    what a query over those tables reads of the counties' exports."""
    models = {table_name(layer, path): path for layer, path in sql_files()}
    found, todo, seen = set(), list(tables), set()
    while todo:
        table = todo.pop()
        if table in seen:
            continue
        seen.add(table)
        if table.startswith("staging."):
            found.add(table)
        elif table in models:
            todo.extend(inputs(models[table].read_text(encoding="utf-8"), table))
    return found


def fingerprint() -> str:
    """What the models are: every SQL file and reference file of this release, and this module."""
    digest = hashlib.sha256()
    files = [p for _, p in sql_files()] + sorted(reference.REFERENCE_DIR.glob("*.csv")) + [Path(__file__)]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS ref")
    for name, frame in (("county", reference.counties()), ("township", reference.townships()),
                        ("village", reference.villages()), ("population", reference.population()),
                        ("dispute_type", reference.dispute_types())):
        con.register("frame", frame.to_arrow())
        con.execute(f"CREATE OR REPLACE TABLE ref.{name} AS SELECT * FROM frame")
        con.unregister("frame")


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    found = con.execute("""SELECT count(*) FROM information_schema.tables
                           WHERE table_schema = 'meta' AND table_name = 'model_state'""").fetchall()[0][0]
    if not found:
        return None
    rows = con.execute("SELECT fingerprint FROM meta.model_state").fetchall()
    return rows[0][0] if rows else None


def _existing(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {f"{s}.{t}" for s, t in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database()"
    ).fetchall()}


def _update_mart(con: duckdb.DuckDBPyConnection, sql: str, table: str, changed: set[str], appended: set[str],
                 run_id: str) -> str:
    """Make a mart again after its inputs changed: by key when it is declared incremental and the only input that
    changed is its staging table, with just this run's rows appended (the file names it may read from meta are those
    of files already recorded); otherwise whole."""
    declared = _INCREMENTAL.search(sql)
    select = _SELECT.search(sql)
    if declared and select and select["table"] == table:
        source, key = declared.groups()
        if source in appended and inputs(sql, table) & changed <= {source} | META_TABLES:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _changed_keys AS SELECT DISTINCT {key} FROM {source} "
                        "WHERE run_id = ?", [run_id])
            con.execute(f"CREATE OR REPLACE TEMP VIEW _changed_source AS SELECT * FROM {source} "
                        f"WHERE {key} IN (SELECT {key} FROM _changed_keys)")
            con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM _changed_keys)")
            scoped = re.sub(rf"\b{re.escape(source)}\b", "temp.main._changed_source", select["select"])
            con.execute(f"INSERT INTO {table} BY NAME {scoped}")
            con.execute("DROP VIEW _changed_source")
            con.execute("DROP TABLE _changed_keys")
            return "updated"
    con.execute(sql)
    return "rebuilt"


def build_models(con: duckdb.DuckDBPyConnection, run_id: str | None = None,
                 loaded: set[str] | None = None) -> dict[str, str]:
    """Build every model, or only what this run's loads changed.

    run_id and loaded (the datasets whose files this run loaded) make the build incremental; without them, or when
    the models' fingerprint differs from the one the warehouse was built with, everything is rebuilt. Returns how
    each model was made: "rebuilt", "appended" (staging: this run's rows added), "updated" (a mart's rows of the keys
    this run brought made again) or "kept".
    """
    current = fingerprint()
    full = run_id is None or loaded is None or stored_fingerprint(con) != current
    existing = set() if full else _existing(con)
    if full:
        load_reference(con)
    # landing.* grows for the datasets loaded; the meta tables models read (which file a row came from) change for
    # them only when a file was loaded (a night of duplicates and refusals adds no row any model would find)
    changed = {f"landing.{key}" for key in (loaded or ())}
    if loaded:
        changed |= META_TABLES
    appended: set[str] = set()
    done: dict[str, str] = {}
    docs = []
    for layer, path in sql_files():
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
        sql = path.read_text(encoding="utf-8")
        grain = _GRAIN.search(sql)
        if not grain:
            raise ValueError(f"{path} has no '-- grain:' line")
        table = table_name(layer, path)
        docs.append((table, layer, grain.group(1).strip()))
        staging = _STAGING.match(sql) if layer == "staging" else None
        if full or table not in existing or (layer == "staging" and not staging and inputs(sql, table) & changed):
            con.execute(sql)
            done[table] = "rebuilt"
        elif staging and staging["source"] in changed:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM ({staging['select']} WHERE _run_id = ?)",
                        [run_id])
            done[table] = "appended"
            appended.add(table)
        elif layer == "marts" and inputs(sql, table) & changed:
            done[table] = _update_mart(con, sql, table, changed, appended, run_id)
        else:
            done[table] = "kept"
            continue
        changed.add(table)
    if full:
        con.execute("CREATE OR REPLACE TABLE meta.table_doc (table_name VARCHAR, layer VARCHAR, grain VARCHAR)")
        con.executemany("INSERT INTO meta.table_doc VALUES (?, ?, ?)", docs)
        con.execute("CREATE OR REPLACE TABLE meta.model_state (fingerprint VARCHAR, built_by_run VARCHAR)")
        con.execute("INSERT INTO meta.model_state VALUES (?, ?)", [current, run_id])
    return done
