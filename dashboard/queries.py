"""Plain query functions for the pages: Filters in, polars frames out. No Streamlit here."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from dashboard.db import query
from dashboard.filters import Filters
from etl.contract import ORG_TYPES  # noqa: F401  (the 组织类型 filter's options)

ENTRY_RATE_TARGET = 0.90  # campaign plan: 人民调解案件录入率 ≥ 90%


def counties(path: Path | None = None) -> pl.DataFrame:
    return query("SELECT county_code, county FROM marts.dim_county ORDER BY county_code", path=path)


def townships(path: Path | None = None) -> pl.DataFrame:
    return query("""SELECT township_code, township, county_code, county FROM marts.dim_township
                    ORDER BY county_code, township_code""", path=path)


def dispute_categories(path: Path | None = None) -> pl.DataFrame:
    """The top level of the dispute-type catalogue: code, name."""
    return query("""SELECT DISTINCT dispute_category_code, dispute_category FROM marts.dim_dispute_type
                    ORDER BY dispute_category_code""", path=path)


def freshness(path: Path | None = None) -> dict:
    """When the data was last loaded, how many files it holds, how many rows sit in quarantine."""
    row = query("""
        SELECT (SELECT max(finished_at) FROM meta.load_run) AS loaded_at,
               (SELECT count(*) FROM meta.load_run) AS runs,
               (SELECT count(*) FROM meta.load_file WHERE status = 'loaded') AS files_loaded,
               (SELECT count(*) FROM meta.load_file WHERE status = 'refused') AS files_refused,
               (SELECT count(*) FROM (SELECT DISTINCT file_seq, row_number FROM meta.quarantine)) AS rows_quarantined,
               (SELECT count(*) FROM marts.cases) AS cases
    """, path=path).row(0, named=True)
    return row


def case_filter(f: Filters) -> tuple[str, dict]:
    """The WHERE clause for marts.cases: every shared filter applies to a case."""
    return f.sql(month_col="accepted_month", township_col="township_code", dispute_col="dispute_category_code",
                 org_type_col="org_type")


def _entry_sql(f: Filters) -> tuple[str, dict]:
    """Per county: cases entered in the system ÷ cases reported on paper, cut by county, township and month.

    Same counting as marts.entry_rate_county_month, but at township grain so a township filter applies; the
    paper report has no dispute or organisation type, so those filters leave the rate undefined (NULL).
    """
    cases_where, params = f.sql(month_col="accepted_month", township_col="township_code")
    report_where, report_params = f.sql(month_col="report_month", township_col="township_code")
    defined = not (f.dispute_types or f.org_types)
    return f"""
        SELECT c.county_code, c.county,
               coalesce(e.entered, 0) AS entered, CASE WHEN {defined} THEN coalesce(r.reported, 0) END AS reported
        FROM marts.dim_county c
        LEFT JOIN (SELECT county_code, count(DISTINCT case_id) AS entered FROM marts.cases
                   WHERE {cases_where} GROUP BY ALL) e USING (county_code)
        LEFT JOIN (SELECT county_code, sum(cases_accepted)::BIGINT AS reported FROM marts.monthly_reports
                   WHERE {report_where} GROUP BY ALL) r USING (county_code)
        WHERE {f.sql("c.county_code", month_col=None)[0]}""", {**params, **report_params}


def kpis(f: Filters, path: Path | None = None) -> dict:
    where, params = case_filter(f)
    cases = query(f"""
        SELECT count(*) AS accepted,
               count(*) FILTER (WHERE is_closed) AS closed,
               count(*) FILTER (WHERE outcome = '调解成功') AS succeeded
        FROM marts.cases WHERE {where}""", params, path).row(0, named=True)
    sql, params = _entry_sql(f)
    rate = query(f"SELECT sum(entered)::BIGINT AS entered, sum(reported)::BIGINT AS reported FROM ({sql})",
                 params, path).row(0, named=True)
    closed, reported = cases["closed"], rate["reported"]
    return {
        **cases,
        "success_rate": cases["succeeded"] / closed if closed else None,
        "entered": rate["entered"] or 0,
        "reported": reported,
        "entry_rate": (rate["entered"] or 0) / reported if reported else None,
        "entry_rate_target": ENTRY_RATE_TARGET,
    }


def cases_by_type(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """Cases per dispute category (sub-types counted under their parent), largest first."""
    where, params = case_filter(f)
    return query(f"""
        SELECT dispute_category AS 纠纷类型, count(*) AS 案件数,
               count(*) / sum(count(*)) OVER () AS 占比
        FROM marts.cases WHERE {where}
        GROUP BY ALL ORDER BY 案件数 DESC, 纠纷类型""", params, path)


def monthly_trend(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """Per month: cases entered in the system, of them closed successfully, and cases reported on paper.

    The paper monthly report counts whole townships' cases of every type and organisation, so its
    line is left empty (null) when a dispute-type or organisation-type filter is set.
    """
    where, params = case_filter(f)
    report_where, report_params = f.sql(month_col="report_month", township_col="township_code")
    paper = not (f.dispute_types or f.org_types)
    return query(f"""
        WITH months AS (
            SELECT unnest(generate_series($start::DATE, $end::DATE, INTERVAL 1 MONTH))::DATE AS month
        ), s AS (
            SELECT accepted_month AS month, count(*) AS 系统录入案件数,
                   count(*) FILTER (WHERE outcome = '调解成功') AS 调解成功数
            FROM marts.cases WHERE {where} GROUP BY ALL
        ), m AS (
            SELECT report_month AS month, sum(cases_accepted)::BIGINT AS 月报受理案件数
            FROM marts.monthly_reports WHERE {report_where} AND {paper} GROUP BY ALL
        )
        SELECT months.month AS 月份, coalesce(s.系统录入案件数, 0) AS 系统录入案件数, coalesce(s.调解成功数, 0) AS 调解成功数,
               CASE WHEN {paper} THEN coalesce(m.月报受理案件数, 0) END AS 月报受理案件数
        FROM months LEFT JOIN s USING (month) LEFT JOIN m USING (month) ORDER BY 月份""",
                 {**params, **report_params}, path)


def entry_rate_by_county(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """One row per county in the filter: entered ÷ reported over the chosen months, against the 90% target."""
    sql, params = _entry_sql(f)
    return query(f"""
        SELECT county_code AS 区县代码, county AS 区县, entered AS 系统录入案件数, reported AS 月报受理案件数,
               CASE WHEN reported > 0 THEN entered / reported END AS 录入率,
               {ENTRY_RATE_TARGET} AS 目标,
               CASE WHEN reported IS NULL THEN '不适用(已按纠纷或组织类型筛选)'
                    WHEN reported = 0 THEN '数据缺失'
                    WHEN entered > reported THEN '超过100%,数据存疑'
                    WHEN entered / reported >= {ENTRY_RATE_TARGET} THEN '达标'
                    ELSE '未达标' END AS 状态
        FROM ({sql}) ORDER BY 录入率 DESC NULLS LAST, 区县代码""", params, path)


def case_history(case_id: str, path: Path | None = None) -> pl.DataFrame:
    """Every loaded version of one case, oldest first, with the file it came from and what changed."""
    return query("""
        SELECT version_no AS 版本, file_name AS 来源文件, file_row AS 文件行号, entered_at AS 录入时间,
               outcome AS 调解结果, mediated_date AS 调解日期, is_current AS 当前版本,
               array_to_string(changed_columns, '、') AS 变化字段
        FROM marts.case_history WHERE case_id = $case_id ORDER BY version_no""", {"case_id": case_id}, path)
