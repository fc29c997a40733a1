"""One definition of every campaign metric: the scoring SQL's records, cut and summed at the grain a caller needs.

Each indicator and deduction is one SQL file in `sql/scoring/` that lists the *records* it counts — one row per
case, task, person, (评理说事点 × month), milestone, report … — each flagged `in_numerator` / `in_denominator` with
the amounts it adds (`num_amount`, `den_amount`). Every file also carries the columns a page may cut by:
`county_code`, `township_code` (NULL where the record belongs to the county as a whole) and `month` (the month that
places the record in time, NULL for a record that is a state at the as-of date). A file's first lines say which of
them its *value* can be cut by (`-- cut by: township_code, month, …`): a cut that would split a numerator from its
denominator (a township has no census population of its own) is refused, and a page shows the metric as not
applicable to that filter instead of a wrong number.

The year-end score is `totals(by county)`; 总览's city card is `totals()` over everything; a township table is
`totals(by township)`; a monthly chart is `totals(by month)`; the drill-down is `records()`. So a page and the
score cannot disagree: there is no second copy of any metric.

Every value the SQL names (`$as_of`, `$period_start`, deadlines, windows …) comes from the rubric in force and the
as-of date (`params`), bound as parameters — never written in the SQL.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import duckdb
import polars as pl

from warehouse.build import inputs, upstream_staging   # the model graph is the build's
from warehouse.rubric import DEDUCTIONS, INDICATORS, Rubric

SQL_DIR = Path(__file__).resolve().parent / "sql" / "scoring"
INDICATOR_KEYS = tuple(INDICATORS)
DEDUCTION_KEYS = tuple(DEDUCTIONS)
PARTS = {"center_build": ("county", "township")}  # an indicator whose value is the mean of its parts' rates
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")
_CUT_BY = re.compile(r"^--\s*cut by(?:\s*\(([^)]+)\))?:\s*(.*)$", re.MULTILINE)
_GROUP_BY = re.compile(r"^--\s*group by:\s*(.*)$", re.MULTILINE)
_SAFE_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")


class ScoringError(ValueError):
    """A request the scoring cannot answer (unknown county or key, an as-of date outside the campaign …)."""


class NotCuttable(ScoringError):
    """A metric's value asked for a cut its records cannot make without splitting numerator from denominator."""


# --- connections and SQL ---------------------------------------------------------------------------------------

@contextmanager
def connect(source: str | Path | duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse: the one given, or an in-memory DuckDB that ATTACHes the file READ_ONLY
    (so scoring runs while the dashboard reads, and never changes the file)."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        yield source
        return
    path = Path(source)
    if not path.is_file():
        raise ScoringError(f"数据仓库文件不存在:{path}")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS wh (READ_ONLY)")
        con.execute("USE wh")
        yield con
    finally:
        con.close()


@cache
def _source(key: str) -> str:
    path = SQL_DIR / f"{key}.sql"
    if not path.is_file():
        raise ScoringError(f"未知的指标或扣分项:{key}")
    return path.read_text(encoding="utf-8")


@cache
def datasets_read(key: str) -> tuple[str, ...]:
    """The export datasets (etl.contract keys) whose rows indicator or deduction `key` counts: the marts its SQL
    reads, followed back to their staging tables — so a page can say which quarantined rows it is missing."""
    staging = upstream_staging(inputs(sql_text(key), ""))
    return tuple(sorted(t.split(".", 1)[1] for t in staging))


def sql_text(key: str) -> str:
    """The statement of sql/scoring/<key>.sql without its comments (which may mention $names)."""
    return _COMMENT.sub("", _source(key)).strip().rstrip(";")


@cache
def cut_by(key: str, record_type: str | None = None) -> frozenset[str]:
    """The columns the value of `key` — or of its records of one `record_type`, a component with a line of its own
    (`-- cut by (风险预警月报): …`) — may be cut by besides county."""
    lines = dict(_CUT_BY.findall(_source(key)))            # record type ('' for the whole metric) → column list
    names = lines.get(record_type or "", lines.get("", ""))   # a component without a line of its own: the metric's
    names = names.split("(")[0]                            # a note in brackets follows: "none (why not)"
    return frozenset(n.strip() for n in names.split(",") if n.strip() not in ("", "none"))


@cache
def group_by(key: str, record_type: str | None = None) -> frozenset[str]:
    """The columns the value of `key` may be grouped by: county, its cut columns, and the columns of its
    `-- group by:` line (properties of records that are each in both numerator and denominator)."""
    found = _GROUP_BY.search(_source(key))
    extra = {n.strip() for n in found.group(1).split(",") if n.strip()} if found else set()
    return frozenset({"county_code", *cut_by(key, record_type), *extra})


def params(rubric: Rubric, as_of: date) -> dict[str, Any]:
    """Every value the scoring SQL may name ($name): the as-of date and the rubric's parameters."""
    p = {name: value for rule in rubric.indicators.values() for name, value in rule.params.items()}
    p.update(as_of=as_of, period_start=rubric.campaign_start, campaign_end=rubric.campaign_end,
             milestone_names=list(rubric.milestones), milestone_dues=list(rubric.milestones.values()))
    return p


def _used(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """Exactly the parameters the SQL names: DuckDB refuses unused ones."""
    used = set(_PARAM.findall(sql))
    missing = used - set(values)
    if missing:
        raise ScoringError(f"SQL 参数未提供:{', '.join(sorted(missing))}")
    return {k: values[k] for k in used}


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    return con.execute(sql, _used(sql, values))


def run_frame(con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]) -> pl.DataFrame:
    return con.sql(sql, params=_used(sql, values)).pl()


# --- records and totals ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cut:
    """Which records count: allowed values per record column (empty: all) and an inclusive month range.

    County always applies. The other columns apply to a metric whose `-- cut by:` line names them; `months`
    applies to records placed in time (a record with no month, a state at the as-of date, is always kept).
    """
    county_code: tuple[str, ...] = ()
    township_code: tuple[str, ...] = ()
    dispute_category_code: tuple[str, ...] = ()
    org_type: tuple[str, ...] = ()
    months: tuple[date, date] | None = None     # first days of the first and last month

    def columns(self) -> list[str]:
        """The record columns this cut restricts (months as `month`)."""
        named = [c for c in ("county_code", *CUT_COLUMNS) if getattr(self, c)]
        return named + (["month"] if self.months else [])

    def sql(self, key: str, strict: bool, record_type: str | None = None) -> tuple[str, dict[str, Any]]:
        """A WHERE clause over the records of `key` (only those of `record_type` when given), with its parameters.
        A cut the metric's value cannot make raises NotCuttable when `strict` (a value); for a list of records
        (not strict) county, township and month always apply — every record has them — the others only where the
        metric can be cut by them."""
        allowed = cut_by(key, record_type)
        refused = [c for c in CUT_COLUMNS if getattr(self, c) and c not in allowed]
        if refused and strict:
            raise NotCuttable(f"{_name(key)} 不能按 {'、'.join(CUT_LABELS[c] for c in refused)} 拆分")
        always = () if strict else ("county_code", "township_code")
        clauses, values = ["TRUE"], {}
        if record_type:
            clauses.append("record_type = $cut_record_type")
            values["cut_record_type"] = record_type
        for column in ("county_code", *CUT_COLUMNS):
            chosen = getattr(self, column)
            if chosen and (column == "county_code" or column in allowed or column in always):
                clauses.append(f"{column} IN (SELECT unnest($cut_{column}))")
                values[f"cut_{column}"] = list(chosen)
        if self.months and ("month" in allowed or not strict):
            clauses.append("(month IS NULL OR month BETWEEN $cut_from AND $cut_to)")
            values.update(cut_from=self.months[0], cut_to=self.months[1])
        return " AND ".join(clauses), values

    def refused(self, key: str, record_type: str | None = None) -> list[str]:
        """Labels of the cuts (not months) that the value of `key` cannot make."""
        return [CUT_LABELS[c] for c in CUT_COLUMNS if getattr(self, c) and c not in cut_by(key, record_type)]


CUT_COLUMNS = ("township_code", "dispute_category_code", "org_type")
CUT_LABELS = {"township_code": "乡镇(街道)", "dispute_category_code": "纠纷类型", "org_type": "组织类型",
              "month": "月份"}
EVERYTHING = Cut()


def _name(key: str) -> str:
    return (INDICATORS.get(key) or DEDUCTIONS[key])[0]


def _check_columns(columns: tuple[str, ...]) -> None:
    bad = [c for c in columns if not _SAFE_COLUMN.match(c)]
    if bad:  # column names are written into SQL: only plain identifiers
        raise ScoringError(f"非法的列名:{', '.join(bad)}")


def records(con: duckdb.DuckDBPyConnection, key: str, values: dict[str, Any], cut: Cut = EVERYTHING,
            order: str = "county_code, record_type, record_id", record_type: str | None = None) -> pl.DataFrame:
    """Every record `key` counts within `cut` (see Cut.sql for the cuts a list makes)."""
    where, where_values = cut.sql(key, strict=False, record_type=record_type)
    sql = f"SELECT * FROM ({sql_text(key)}) WHERE {where} ORDER BY {order}"
    return run_frame(con, sql, {**values, **where_values})


def totals(con: duckdb.DuckDBPyConnection, key: str, values: dict[str, Any], by: tuple[str, ...] = (),
           cut: Cut = EVERYTHING, record_type: str | None = None) -> pl.DataFrame:
    """Numerator and denominator of indicator `key` — or of its component `record_type` — per group `by` (and per
    `part` for a parted indicator) over the records within `cut`; one row per group that has records, sorted by the
    group columns. A cut the value cannot make raises NotCuttable."""
    _check_columns(by)
    splitting = set(by) - group_by(key, record_type)
    if splitting:
        raise NotCuttable(f"{_name(key)} 不能按 {'、'.join(CUT_LABELS.get(c, c) for c in sorted(splitting))} 分组")
    where, where_values = cut.sql(key, strict=True, record_type=record_type)
    group = (*by, "part") if key in PARTS else by
    select = "".join(f"{c}, " for c in group)
    sql = f"""SELECT {select}
                     CAST(coalesce(sum(num_amount) FILTER (WHERE in_numerator), 0) AS BIGINT) AS numerator,
                     CAST(coalesce(sum(den_amount) FILTER (WHERE in_denominator), 0) AS BIGINT) AS denominator
              FROM ({sql_text(key)}) WHERE {where}
              {'GROUP BY ' + ', '.join(group) if group else ''}"""
    frame = run_frame(con, sql, {**values, **where_values})
    return frame.sort(list(group), nulls_last=True) if group else frame


def counts(con: duckdb.DuckDBPyConnection, key: str, values: dict[str, Any], by: tuple[str, ...] = (),
           cut: Cut = EVERYTHING) -> pl.DataFrame:
    """Records of deduction `key` per group `by` (column `count`) within `cut`."""
    _check_columns(by)
    splitting = set(by) - group_by(key)
    if splitting:
        raise NotCuttable(f"{_name(key)} 不能按 {'、'.join(CUT_LABELS.get(c, c) for c in sorted(splitting))} 分组")
    where, where_values = cut.sql(key, strict=True)
    select = "".join(f"{c}, " for c in by)
    sql = f"""SELECT {select} count(*) AS count FROM ({sql_text(key)}) WHERE {where}
              {'GROUP BY ' + ', '.join(by) if by else ''}"""
    frame = run_frame(con, sql, {**values, **where_values})
    return frame.sort(list(by), nulls_last=True) if by else frame


# --- the as-of date ----------------------------------------------------------------------------------------------

def latest_data_date(con: duckdb.DuckDBPyConnection, rubric: Rubric) -> date:
    """The latest event date in the data not after the campaign's end (see default_as_of.sql), kept within the
    campaign; the campaign's last day when the warehouse holds no dated record."""
    [(latest,)] = run_sql(con, sql_text("default_as_of"), {"campaign_end": rubric.campaign_end}).fetchall()
    if latest is None:
        return rubric.campaign_end
    return max(rubric.campaign_start, min(rubric.campaign_end, latest))


def check_as_of(as_of: date | str | None, rubric: Rubric) -> date | None:
    """An as-of date given as text or date, checked to lie within the campaign of the rubric."""
    if as_of is None:
        return None
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of)
        except ValueError:
            raise ScoringError(f"截至日期格式应为 YYYY-MM-DD:{as_of!r}") from None
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if not rubric.campaign_start <= as_of <= rubric.campaign_end:
        raise ScoringError(f"截至日期 {as_of} 不在专项行动期间({rubric.campaign_start} 至 {rubric.campaign_end})内")
    return as_of
