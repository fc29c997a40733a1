"""Plain query functions for the pages: Filters in, polars frames out. No Streamlit here."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from dashboard import access, metrics
from dashboard.db import query
from dashboard.filters import Filters
from etl.contract import ORG_TYPES  # noqa: F401  (the 组织类型 filter's options)
from warehouse.rubric import rubric_in_force


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
               (SELECT arg_max(run_id, finished_at) FROM meta.load_run) AS run_id,
               (SELECT count(*) FROM meta.load_run) AS runs,
               (SELECT count(*) FROM meta.load_file WHERE status = 'loaded') AS files_loaded,
               (SELECT count(*) FROM meta.load_file WHERE status = 'refused') AS files_refused,
               (SELECT count(*) FROM (SELECT DISTINCT file_seq, row_number FROM meta.quarantine)) AS rows_quarantined,
               (SELECT count(*) FROM marts.cases) AS cases
    """, path=path).row(0, named=True)
    return row


def case_filter(f: Filters, day: date | None = None) -> tuple[str, dict]:
    """The WHERE clause for marts.cases: every shared filter applies to a case; accepted by `day` when given."""
    where, params = f.sql(month_col="accepted_month", township_col="township_code", dispute_col="dispute_category_code",
                          org_type_col="org_type")
    if day is not None:
        where += " AND accepted_date <= $day"
        params["day"] = day
    return where, params


def _entry_rate(f: Filters, day: date, by: tuple[str, ...], path: Path | None) -> pl.DataFrame | None:
    """Indicator 1 within the filters (by its own period months), or None when a dispute-type or organisation-type
    filter is set: the paper monthly report, its denominator, has neither."""
    if metrics.refused("entry_rate", f):
        return None
    return metrics.results("entry_rate", f, day, by, path=path)


def kpis(f: Filters, day: date, path: Path | None = None) -> dict:
    """Cases accepted in the period (a count), and the indicators 调解成功率 (#9, cases mediated in the period) and
    录入率 (#1, None under a dispute-type or organisation-type filter), from the scoring's records."""
    where, params = case_filter(f, day)
    accepted = query(f"SELECT count(*) AS n FROM marts.cases WHERE {where}", params, path).item()
    success = metrics.result("mediation_success_rate", f, day, path=path)
    entry = _entry_rate(f, day, (), path)
    entry = entry.row(0, named=True) if entry is not None else None
    return {
        "accepted": accepted,
        "closed": success["denominator"], "succeeded": int(success["numerator"]), "success_rate": success["value"],
        "entered": int(entry["numerator"]) if entry else None, "reported": entry["denominator"] if entry else None,
        "entry_rate": entry["value"] if entry else None,
        "entry_rate_target": rubric_in_force().indicators["entry_rate"].target,
    }


def cases_by_type(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Cases per dispute category (sub-types counted under their parent), largest first."""
    where, params = case_filter(f, day)
    return query(f"""
        SELECT dispute_category AS 纠纷类型, count(*) AS 案件数,
               count(*) / sum(count(*)) OVER () AS 占比
        FROM marts.cases WHERE {where}
        GROUP BY ALL ORDER BY 案件数 DESC, 纠纷类型""", params, path)


def month_complete(month: date, day: date, due_day: int) -> bool:
    """A month's figures are complete at `day` when the month has ended and its reports have fallen due (the
    rubric's report day of the following month); until then its numbers still grow and must not read as a drop."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following.replace(day=due_day) <= day


def monthly_trend(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Per month of the period: cases entered in the system (accepted that month), of them closed successfully, the
    cases reported on paper (indicator 1's denominator by month; null under a dispute-type or organisation-type
    filter), and whether the month is complete (see month_complete; also incomplete when a township's paper report
    for it is missing)."""
    where, params = case_filter(f, day)
    cases = query(f"""
        WITH months AS (
            SELECT unnest(generate_series($start::DATE, $end::DATE, INTERVAL 1 MONTH))::DATE AS month
        ), s AS (
            SELECT accepted_month AS month, count(*) AS 系统录入案件数,
                   count(*) FILTER (WHERE outcome = '调解成功') AS 调解成功数
            FROM marts.cases WHERE {where} GROUP BY ALL
        )
        SELECT months.month AS 月份, coalesce(s.系统录入案件数, 0) AS 系统录入案件数, coalesce(s.调解成功数, 0) AS 调解成功数
        FROM months LEFT JOIN s USING (month) ORDER BY 月份""", params, path)
    due_day = rubric_in_force().param("timely_submission_rate", "risk_report_due_day")
    paper = _entry_rate(f, day, ("month",), path)
    reports = _reports_per_month(f, path) if paper is not None else None
    expected = _townships_in(f, path)
    rows = []
    for month, entered, succeeded in cases.iter_rows():
        reported = None
        if paper is not None:
            hit = paper.filter(pl.col("month") == month)
            reported = int(hit["denominator"][0]) if hit.height else 0
        complete = month_complete(month, day, due_day) and (reports is None or reports.get(month, 0) >= expected)
        rows.append({"月份": month, "系统录入案件数": entered, "调解成功数": succeeded, "月报受理案件数": reported,
                     "完整": complete})
    return pl.DataFrame(rows, schema={"月份": pl.Date, "系统录入案件数": pl.Int64, "调解成功数": pl.Int64,
                                      "月报受理案件数": pl.Int64, "完整": pl.Boolean})


def _reports_per_month(f: Filters, path: Path | None) -> dict[date, int]:
    """Paper monthly reports received per month within the filters (one per township and month)."""
    where, params = f.sql(month_col="report_month", township_col="township_code")
    return dict(query(f"SELECT report_month, count(*) FROM marts.monthly_reports WHERE {where} GROUP BY ALL",
                      params, path).iter_rows())


def _townships_in(f: Filters, path: Path | None) -> int:
    where, params = f.sql(month_col=None, township_col="township_code")
    return query(f"SELECT count(*) AS n FROM marts.dim_township WHERE {where}", params, path).item()


def entry_rate_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """One row per county in the filter: indicator 1 over the chosen months, against its target (empty under a
    dispute-type or organisation-type filter)."""
    schema = {"区县代码": pl.String, "区县": pl.String, "系统录入案件数": pl.Int64, "月报受理案件数": pl.Int64,
              "录入率": pl.Float64, "目标": pl.Float64, "状态": pl.String}
    rates = _entry_rate(f, day, ("county_code",), path)
    if rates is None:
        return pl.DataFrame(schema=schema)
    names = dict(counties(path).iter_rows())
    chosen = f.counties or tuple(names)
    by_code = {r["county_code"]: r for r in rates.iter_rows(named=True)}
    target = rubric_in_force().indicators["entry_rate"].target
    rows = []
    for code in chosen:
        r = by_code.get(code, {"numerator": 0, "denominator": 0, "value": None})
        value = r["value"]
        status = ("数据缺失" if value is None else "超过100%,数据存疑" if value > 1
                  else "达标" if value >= target else "未达标")
        rows.append({"区县代码": code, "区县": names[code], "系统录入案件数": int(r["numerator"]),
                     "月报受理案件数": r["denominator"], "录入率": value, "目标": target, "状态": status})
    return pl.DataFrame(rows, schema=schema).sort(["录入率", "区县代码"], descending=[True, False], nulls_last=True)


def case_history(case_id: str, path: Path | None = None) -> pl.DataFrame:
    """Every loaded version of one case, oldest first, with the file it came from and what changed."""
    access.require("records")
    return query("""
        SELECT version_no AS 版本, file_name AS 来源文件, file_row AS 文件行号, entered_at AS "录入时间(北京时间)",
               outcome AS 调解结果, mediated_date AS 调解日期, is_current AS 当前版本,
               array_to_string(changed_columns, '、') AS 变化字段
        FROM marts.case_history WHERE case_id = $case_id ORDER BY version_no""", {"case_id": case_id}, path)
