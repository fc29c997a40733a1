"""数据质量: plain query and chart functions for the data-quality page. No Streamlit here.

What each ETL run saw (meta.load_run), what became of every file (meta.load_file), how each
Great Expectations expectation came out (meta.expectation_result) and which rows were held back
(meta.quarantine). The warehouse stores UTC; times come back in Beijing time (UTC+8).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import access
from dashboard.charts import BLUE, GREY, RED, _layout, empty, reference_line
from dashboard.db import query
from etl.contract import DATASETS, RULES

UNKNOWN_COUNTY = "未识别区县"
EMPTY_VALUE = "(空)"  # a required cell left empty has no value to show
STATUS_TEXT = {"loaded": "已入库", "refused": "拒收", "duplicate": "重复文件", "skipped": "跳过"}
ENCODING_TEXT = {"utf-8-sig": "UTF-8(带BOM)", "utf-8": "UTF-8", "gb18030": "GB18030",
                 "utf-16-le": "UTF-16(带BOM)", "utf-16-be": "UTF-16 BE(带BOM)",
                 "xlsx": "Excel(xlsx)", "xls": "Excel(xls)"}
EXPECTATION_TEXT = {
    "expect_column_values_to_not_be_null": "不能为空",
    "expect_column_values_to_be_null": "应当为空",
    "expect_column_values_to_be_in_set": "取值在允许范围内",
    "expect_column_values_to_be_between": "数值或日期在上下限之间",
    "expect_column_pair_values_a_to_be_greater_than_b": "两列先后(大小)关系",
    "expect_column_values_to_be_unique": "取值不重复",
    "expect_compound_columns_to_be_unique": "多列组合不重复",
    "expect_table_row_count_to_be_between": "整表行数不骤降",
}
TABLE_CHECK = "(入库后的数据表)"  # a mart-level check of the run, not of one file
WHOLE_TABLE = "(整表)"
_BEIJING = "INTERVAL 8 HOUR"


def _all_counties_only(column: str) -> str:
    """A file's city-wide figure (its rows read, a check's unexpected rows and their sample values): a file brings rows
    of every county, so a user bound to one county sees it empty — as db shows meta.load_run's counts — and finds
    their own rows under 隔离数据."""
    return f"CASE WHEN getvariable('scope_county') = '*' THEN {column} END"


def dataset_name(key: str | None) -> str:
    """The dataset's Chinese name (its file-name prefix); a refused file has none."""
    if key is None:
        return "—"
    return DATASETS[key].prefix if key in DATASETS else key


def rule_text(rule: str | None) -> str:
    if rule is None:
        return "—"
    return RULES.get(rule, rule)


DATASET_TEXT = {key: ds.prefix for key, ds in DATASETS.items()}


def _map(frame: pl.DataFrame, column: str, mapping: dict, missing: str = "—") -> pl.DataFrame:
    """Codes to Chinese text in place; an unknown code stays as it is, a missing one shows as —."""
    return frame.with_columns(pl.col(column).replace_strict(mapping, default=pl.col(column), return_dtype=pl.String)
                              .fill_null(missing))


@dataclass(frozen=True)
class QuarantineFilter:
    """Page selectors plus the sidebar's counties; empty means all. Applied in SQL, as parameters."""
    files: tuple[int, ...] = ()        # meta.load_file.file_seq
    datasets: tuple[str, ...] = ()     # dataset keys
    rules: tuple[str, ...] = ()        # rule codes
    counties: tuple[str, ...] = ()     # county codes; a chosen county excludes rows without one

    def sql(self) -> tuple[str, dict]:
        clauses, params = ["TRUE"], {}
        for column, name, values in (("file_seq", "files", self.files), ("dataset", "datasets", self.datasets),
                                     ("rule", "rules", self.rules), ("county_code", "counties", self.counties)):
            if values:
                clauses.append(f"q.{column} IN (SELECT unnest(${name}))")
                params[name] = list(values)
        return " AND ".join(clauses), params


# ---------------------------------------------------------------- queries

def summary(path: Path | None = None) -> dict:
    """Headline numbers: runs, last run (Beijing time), files refused (the same bytes refused night after night
    count once; a link, never read, by its name), names skipped in the latest run (hidden and Office temporary
    files), rows in quarantine (distinct file and row), issues, failed expectations."""
    return query(f"""
        SELECT (SELECT count(*) FROM meta.load_run) AS runs,
               (SELECT max(finished_at) + {_BEIJING} FROM meta.load_run) AS last_finished,
               (SELECT count(*) FROM meta.load_file WHERE status = 'loaded') AS files_loaded,
               (SELECT count(DISTINCT coalesce(sha256, file_name)) FROM meta.load_file
                WHERE status = 'refused') AS files_refused,
               (SELECT count(*) FROM meta.load_file WHERE status = 'skipped'
                AND run_id = (SELECT max_by(run_id, started_at) FROM meta.load_run)) AS files_skipped,
               (SELECT count(*) FROM (SELECT DISTINCT file_seq, row_number FROM meta.quarantine)) AS rows_quarantined,
               (SELECT count(*) FROM meta.quarantine) AS issues,
               (SELECT count(*) FROM meta.expectation_result WHERE NOT success) AS expectations_failed
    """, path=path).row(0, named=True)


def runs(path: Path | None = None) -> pl.DataFrame:
    """One row per load run, latest first."""
    return query(f"""
        SELECT run_id AS 批次编号,
               started_at + {_BEIJING} AS "开始时间(北京时间)", finished_at + {_BEIJING} AS "完成时间(北京时间)",
               files_seen AS 文件数, files_loaded AS 入库文件数, files_refused AS 拒收文件数,
               files_duplicate AS 重复文件数, rows_read AS 读取行数, rows_loaded AS 入库行数,
               rows_quarantined AS 隔离行数
        FROM meta.load_run ORDER BY started_at DESC, run_id DESC""", path=path)


def files(run_id: str | None = None, path: Path | None = None) -> pl.DataFrame:
    """Every file a run saw (all runs when run_id is None): refused files first, then in the order received."""
    where, params = ("f.run_id = $run_id", {"run_id": run_id}) if run_id else ("TRUE", {})
    frame = query(f"""
        SELECT f.file_seq AS 文件序号, r.started_at + {_BEIJING} AS "入库批次(北京时间)", f.file_name AS 文件名,
               f.dataset AS 数据集, f.encoding AS 编码, coalesce(f.sheet, '—') AS 工作表,
               {_all_counties_only("f.rows_read")} AS 读取行数, {_all_counties_only("f.rows_loaded")} AS 入库行数,
               {_all_counties_only("f.rows_quarantined")} AS 隔离行数,
               f.status AS 状态, coalesce(f.reason, '') AS 原因, coalesce(f.extra_columns, '') AS "多余列(已忽略)"
        FROM meta.load_file f LEFT JOIN meta.load_run r USING (run_id)
        WHERE {where}
        ORDER BY f.status <> 'refused', r.started_at DESC, f.file_seq""", params, path)
    frame = _map(frame, "数据集", DATASET_TEXT)
    frame = _map(frame, "编码", ENCODING_TEXT)
    return _map(frame, "状态", STATUS_TEXT)


def expectation_results(run_id: str | None = None, failed_only: bool = False,
                        path: Path | None = None) -> pl.DataFrame:
    """One row per file and expectation, plus the run's checks on the marts (no file); failed ones first."""
    clauses, params = ["TRUE"], {}
    if run_id:
        clauses.append("e.run_id = $run_id")
        params["run_id"] = run_id
    if failed_only:
        clauses.append("NOT e.success")
    frame = query(f"""
        SELECT r.started_at + {_BEIJING} AS "入库批次(北京时间)", coalesce(f.file_name, '{TABLE_CHECK}') AS 文件名,
               e.dataset AS 数据集, e.expectation AS 校验类型, coalesce(e.column_name, '{WHOLE_TABLE}') AS 列,
               e.rule AS 规则,
               CASE WHEN e.success THEN '通过' ELSE '未通过' END AS 结果,
               {_all_counties_only("e.unexpected_count")} AS 不符合行数,
               coalesce({_all_counties_only("e.sample")}, '') AS 不符合值示例
        FROM meta.expectation_result e
        LEFT JOIN meta.load_file f USING (run_id, file_seq)
        LEFT JOIN meta.load_run r USING (run_id)
        WHERE {" AND ".join(clauses)}
        ORDER BY e.success, r.started_at DESC, e.file_seq NULLS LAST, e.dataset, e.column_name, e.expectation, e.rule""",
                  params, path)
    frame = _map(frame, "数据集", DATASET_TEXT)
    frame = _map(frame, "校验类型", EXPECTATION_TEXT)
    return _map(frame, "规则", RULES)


def quarantine_options(path: Path | None = None) -> dict:
    """What the page's selectors offer: only files, datasets and rules that have quarantined rows."""
    files_ = query("""SELECT file_seq, any_value(file_name) AS file_name FROM meta.quarantine
                      GROUP BY file_seq ORDER BY file_seq""", path=path)
    datasets = query("SELECT DISTINCT dataset FROM meta.quarantine ORDER BY dataset", path=path)["dataset"].to_list()
    rules = query("SELECT DISTINCT rule FROM meta.quarantine ORDER BY rule", path=path)["rule"].to_list()
    names = files_["file_name"].to_list()
    # the same name may come twice (a corrected re-export): add its sequence number to tell them apart
    labels = {seq: name if names.count(name) == 1 else f"{name}(第{seq}号文件)"
              for seq, name in files_.iter_rows()}
    return {"files": labels,
            "datasets": {k: dataset_name(k) for k in datasets},
            "rules": {r: rule_text(r) for r in rules}}


def _detail(path: Path | None) -> str:
    """meta.quarantine.detail, or empty text in a warehouse the ETL has not run on since the column came
    (the next run adds it): the page keeps working in between."""
    found = query("""SELECT count(*) AS n FROM duckdb_columns() WHERE database_name = current_database()
                     AND schema_name = 'meta' AND table_name = 'quarantine' AND column_name = 'detail'""", path=path)
    return "coalesce(q.detail, '')" if found["n"][0] else "''"


PAGE_SIZE = 200             # issues on one page of 隔离数据: the page reads one page, never the whole quarantine
DOWNLOAD_LIMIT = 50_000     # issues in one download of 隔离数据 (the first ones in the table's order)


def quarantine(q: QuarantineFilter, path: Path | None = None, offset: int = 0,
               limit: int = PAGE_SIZE) -> pl.DataFrame:
    """One page of the issues (one row per rule broken by a row; a row can break several), in file and row order:
    `limit` issues from `offset`, cut in SQL. Values are already masked. 说明 says what the value alone does not,
    e.g. the places an ambiguous name could be."""
    access.require("records")
    where, params = q.sql()
    frame = query(f"""
        SELECT coalesce(c.county, '{UNKNOWN_COUNTY}') AS 区县, q.file_name AS 文件名, q.dataset AS 数据集,
               q.row_number AS 行号, q.column_name AS 列, q.rule AS 规则,
               coalesce(q.value, '{EMPTY_VALUE}') AS 值, {_detail(path)} AS 说明
        FROM meta.quarantine q LEFT JOIN marts.dim_county c USING (county_code)
        WHERE {where}
        ORDER BY q.file_seq, q.row_number, q.column_name, q.rule
        LIMIT $limit OFFSET $offset""", {**params, "limit": int(limit), "offset": int(offset)}, path)
    frame = _map(frame, "数据集", DATASET_TEXT)
    return _map(frame, "规则", RULES)


def quarantine_count(q: QuarantineFilter, path: Path | None = None) -> dict:
    """How many rows (distinct file and row) and issues the filter selects: the page's total and its page count."""
    where, params = q.sql()
    return query(f"""SELECT count(DISTINCT (q.file_seq, q.row_number)) AS rows, count(*) AS issues
                     FROM meta.quarantine q WHERE {where}""", params, path).row(0, named=True)


def quarantine_summary(q: QuarantineFilter, path: Path | None = None) -> pl.DataFrame:
    """Quarantined rows per dataset within the filter: 数据集, 隔离行数 (distinct file and row), 原因 (each rule
    broken, with its rows, most first). Counts only, no value: any role sees them for the counties in its scope."""
    where, params = q.sql()
    frame = query(f"""
        WITH issues AS (SELECT dataset, rule, count(DISTINCT (file_seq, row_number)) AS n
                        FROM meta.quarantine q WHERE {where} GROUP BY ALL),
             rows_ AS (SELECT dataset, count(DISTINCT (file_seq, row_number)) AS rows
                       FROM meta.quarantine q WHERE {where} GROUP BY ALL)
        SELECT dataset, rows, list(rule ORDER BY n DESC, rule) AS rules, list(n ORDER BY n DESC, rule) AS ns
        FROM rows_ JOIN issues USING (dataset) GROUP BY ALL ORDER BY rows DESC, dataset""", params, path)
    reasons = [";".join(f"{rule_text(r)} {n:,} 行" for r, n in zip(rules, ns))
               for rules, ns in zip(frame["rules"], frame["ns"])]
    return pl.DataFrame({"数据集": [dataset_name(d) for d in frame["dataset"]],
                         "隔离行数": frame["rows"].cast(pl.Int64), "原因": reasons},
                        schema={"数据集": pl.String, "隔离行数": pl.Int64, "原因": pl.String})


def quarantine_by_county(q: QuarantineFilter, path: Path | None = None) -> pl.DataFrame:
    """Quarantined rows (not issues: distinct file and row) per county; every chosen county, even at 0,
    and 未识别区县 for rows whose county could not be resolved (shown only when no county is chosen)."""
    where, params = q.sql()
    county_where = "county_code IN (SELECT unnest($counties))" if q.counties else "TRUE"
    return query(f"""
        WITH r AS (SELECT DISTINCT q.file_seq, q.row_number, q.county_code FROM meta.quarantine q WHERE {where}),
        n AS (SELECT county_code, count(*) AS rows FROM r GROUP BY county_code)
        SELECT c.county_code AS 区县代码, c.county AS 区县, coalesce(n.rows, 0) AS 隔离行数
        FROM marts.dim_county c LEFT JOIN n USING (county_code) WHERE {county_where}
        UNION ALL
        SELECT NULL, '{UNKNOWN_COUNTY}', rows FROM n
        WHERE county_code IS NULL OR county_code NOT IN (SELECT county_code FROM marts.dim_county)
        ORDER BY 区县代码 IS NULL, 隔离行数 DESC, 区县代码""", params, path)


def standout(frame: pl.DataFrame) -> tuple[float, list[str]]:
    """The threshold — mean + one standard deviation over the counties shown (未识别区县 left out) — and the
    counties above it, largest first. Equal counts, or a single county, make no county stand out."""
    counties = frame.filter(pl.col("区县代码").is_not_null())
    if counties.is_empty():
        return 0.0, []
    values = counties["隔离行数"].cast(pl.Float64)
    threshold = float(values.mean()) + float(values.std(ddof=0) or 0.0)
    high = counties.filter(pl.col("隔离行数") > threshold).sort("隔离行数", descending=True)
    return threshold, high["区县"].to_list()


# ---------------------------------------------------------------- charts

def quarantine_by_county_chart(frame: pl.DataFrame) -> go.Figure:
    title = "各区县隔离数据行数(行)"
    if frame.is_empty() or frame["隔离行数"].sum() == 0:
        return empty(title, "当前筛选条件下没有隔离数据")
    threshold, high = standout(frame)
    colours = [GREY if code is None else RED if name in high else BLUE
               for code, name in zip(frame["区县代码"], frame["区县"])]
    fig = go.Figure(go.Bar(
        x=frame["区县"], y=frame["隔离行数"], marker_color=colours,
        text=[f"{n:,}" for n in frame["隔离行数"]], textposition="outside", cliponaxis=False,
        hovertemplate="%{x}<br>隔离行数:%{y:,} 行<extra></extra>"))
    if frame["区县代码"].drop_nulls().len() > 1:  # a threshold needs counties to compare
        reference_line(fig, threshold, f"阈值<br>{threshold:,.1f} 行")
    top = max(float(frame["隔离行数"].max()), threshold)
    fig.update_yaxes(title_text="隔离行数(行)", tickformat=",d", range=[0, top * 1.2 + 1])
    fig.update_xaxes(title_text="区县")
    fig = _layout(fig, title)
    fig.update_layout(margin={"r": 60})
    return fig
