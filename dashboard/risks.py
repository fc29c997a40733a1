"""风险预警: the monthly 矛盾纠纷风险隐患排查月报 of every township. Plain queries and charts, no Streamlit.

Two kinds of number:
- what the reports say (screenings, hazards by level, outcomes): summed over every report received for the chosen
  months, latest version (marts.risk_reports);
- whether they came on time: every township of the chosen area × every chosen month whose due date (the 5th of the
  next month) is on or before the as-of date is due, whether or not a report arrived — the same items scoring
  indicator 11 (warehouse/sql/scoring/timely_submission_rate.sql) counts. A report is 按期 when sent by its due
  date, 逾期 when sent later but by the as-of date, and 未报 when none had arrived by the as-of date.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard.charts import AMBER, BLUE, GREEN, RED, _layout, empty, reference_line
from dashboard.db import query
from dashboard.filters import Filters, month_label
from dashboard.verification import as_of  # noqa: F401  (the page's as-of date: end of period or latest data)
from warehouse.rubric import default_rubric

TARGET = 1.00  # campaign plan: 报送及时率 100%
# Read from the rubric so the page and the score agree if the bureau moves the deadline.
DUE_DAY = int(default_rubric().param("timely_submission_rate", "risk_report_due_day"))
YELLOW = "#f1c40f"
PURPLE = "#6a1b9a"
STATUSES = ("按期", "逾期", "未报")

HAZARDS = {"high_risk_hazards": "高风险", "medium_risk_hazards": "中风险", "low_risk_hazards": "低风险"}
OUTCOMES = {"resolved": "已化解", "under_control": "稳控中", "referred_to_police": "移交公安",
            "reported_to_party_government": "上报党委政府"}


def _report_where(f: Filters) -> tuple[str, dict]:
    return f.sql(month_col="report_month", township_col="township_code")


def _short_months(months) -> list[str]:
    """'5月' on a chart axis (the year is in the axis title): full '2023年5月' labels collide and tilt."""
    return [f"{m.month}月" if m.year == 2023 else month_label(m) for m in months]


def _month_axis(months) -> str:
    return "统计月份(2023年)" if all(m.year == 2023 for m in months) else "统计月份"


def _label_months(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """A date column → 2023年5月 text, kept in date order (sort before calling)."""
    return frame.with_columns(pl.format("{}年{}月", pl.col(column).dt.year(), pl.col(column).dt.month()).alias(column))


# ------------------------------------------------------------------ what the reports say

def totals(f: Filters, path: Path | None = None) -> dict:
    """Sums over every report received for the chosen months (0 when there is none)."""
    where, params = _report_where(f)
    sums = ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in
                     ("screenings", "disputes_found", *HAZARDS, *OUTCOMES))
    row = query(f"SELECT count(*) AS reports, {sums} FROM marts.risk_reports WHERE {where}",
                params, path).row(0, named=True)
    out = {k: int(v) for k, v in row.items()}
    out["hazards"] = sum(out[c] for c in HAZARDS)
    return out


def hazards_by_month(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """Hazards found per report month and level: 月份 (date), 高风险, 中风险, 低风险."""
    where, params = _report_where(f)
    cols = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {name}" for c, name in HAZARDS.items())
    return query(f"""SELECT report_month AS 月份, {cols} FROM marts.risk_reports WHERE {where}
                     GROUP BY ALL ORDER BY 月份""", params, path)


def outcomes_by_county(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """Resolved, under control, referred to police, reported to the Party committee and government, per county."""
    where, params = _report_where(f)
    cols = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {name}" for c, name in OUTCOMES.items())
    return query(f"""SELECT county_code AS 区县代码, county AS 区县, CAST(sum(disputes_found) AS BIGINT) AS 排查发现纠纷数,
                            CAST({' + '.join(f'sum({c})' for c in HAZARDS)} AS BIGINT) AS 风险隐患数, {cols}
                     FROM marts.risk_reports WHERE {where} GROUP BY ALL ORDER BY 区县代码""", params, path)


# ------------------------------------------------------------------ on time, late, missing

def _due_sql(f: Filters, day: date) -> tuple[str, dict]:
    """One row per township × month due by `day`, with its report (if any) and status; a CTE body."""
    where, params = _report_where(f)
    params.update(asof=day, due_day=DUE_DAY)
    # months start on the 1st, so the generated series never skips one; a month is due on the DUE_DAY of the next
    return f"""
        WITH months AS (
            SELECT CAST(m AS DATE) AS report_month,
                   CAST(m + INTERVAL 1 MONTH + INTERVAL 1 DAY * (CAST($due_day AS INTEGER) - 1) AS DATE) AS due_date
            FROM unnest(generate_series(CAST($start AS TIMESTAMP), CAST($end AS TIMESTAMP), INTERVAL 1 MONTH)) AS s(m)
        ), expected AS (  -- filtered here, where the columns carry the names Filters.sql expects
            SELECT * FROM (SELECT t.county_code, t.county, t.township_code, t.township, m.report_month, m.due_date
                           FROM marts.dim_township t CROSS JOIN months m)
            WHERE due_date <= $asof AND {where}
        ), due AS (
            SELECT e.*, r.submitted_date,
                   CASE WHEN r.submitted_date <= e.due_date THEN '按期'
                        WHEN r.submitted_date <= $asof THEN '逾期'
                        ELSE '未报' END AS status
            FROM expected e
            LEFT JOIN marts.risk_reports r  -- joined as scoring does: township and month
                   ON r.township_code = e.township_code AND r.report_month = e.report_month
        )""", params


_COUNTS = """count(*) AS 应报, count(*) FILTER (WHERE status = '按期') AS 按期,
             count(*) FILTER (WHERE status = '逾期') AS 逾期, count(*) FILTER (WHERE status = '未报') AS 未报"""


def _with_rate(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns((pl.col("按期") / pl.col("应报")).alias("按期报送率"))


def timeliness_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Reports due, on time, late and missing per county, with the on-time rate."""
    cte, params = _due_sql(f, day)
    return _with_rate(query(f"""{cte}
        SELECT county_code AS 区县代码, county AS 区县, {_COUNTS} FROM due GROUP BY ALL ORDER BY 区县代码""",
                            params, path))


def timeliness_grid(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """The same counts per county × report month: 区县代码, 区县, 月份 (date), 应报, 按期, 逾期, 未报, 按期报送率."""
    cte, params = _due_sql(f, day)
    return _with_rate(query(f"""{cte}
        SELECT county_code AS 区县代码, county AS 区县, report_month AS 月份, {_COUNTS}
        FROM due GROUP BY ALL ORDER BY 区县代码, 月份""", params, path))


def kpis(f: Filters, day: date, path: Path | None = None) -> dict:
    """The report totals and the on-time counts of the whole chosen area."""
    out = totals(f, path)
    by_county = timeliness_by_county(f, day, path)
    for name, key in (("应报", "due"), ("按期", "on_time"), ("逾期", "late"), ("未报", "missing")):
        out[key] = int(by_county[name].sum())
    out["on_time_rate"] = out["on_time"] / out["due"] if out["due"] else None
    return out


def late_reports(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Every due report that was late or missing at the as-of date, most days late first.

    逾期天数: for a late report, 报送日期 − 应报日期; for a missing one, the days from the due date to the as-of date.
    A report that arrived after the as-of date is 未报 at that date; its 报送日期 says when it came.
    """
    cte, params = _due_sql(f, day)
    frame = query(f"""{cte}
        SELECT county AS 区县, township AS 乡镇, report_month AS 统计月份, due_date AS 应报日期,
               CASE WHEN status = '逾期' THEN strftime(submitted_date, '%Y-%m-%d')
                    WHEN submitted_date IS NOT NULL THEN '未报(' || strftime(submitted_date, '%Y-%m-%d') || ' 补报)'
                    ELSE '未报' END AS 报送日期,
               CAST(CASE WHEN status = '逾期' THEN submitted_date - due_date
                         ELSE CAST($asof AS DATE) - due_date END AS INTEGER) AS 逾期天数,
               status AS 状态
        FROM due WHERE status <> '按期'
        ORDER BY 逾期天数 DESC, county_code, township_code, report_month""", params, path)
    return _label_months(frame, "统计月份")


# ------------------------------------------------------------------ charts

def hazards_chart(frame: pl.DataFrame) -> go.Figure:
    title = "各月排查发现风险隐患数(按风险等级,件)"
    if frame.is_empty():
        return empty(title, "当前筛选条件下没有风险隐患排查月报")
    months = _short_months(frame["月份"])
    colours = {"高风险": RED, "中风险": AMBER, "低风险": YELLOW}
    fig = go.Figure([go.Bar(x=months, y=frame[name], name=f"{name}隐患", marker_color=colour,
                            hovertemplate=f"%{{x}}<br>{name}隐患:%{{y:,}} 件<extra></extra>")
                     for name, colour in colours.items()])
    total = frame["高风险"] + frame["中风险"] + frame["低风险"]
    # the month's total above each stack, as a text-only trace so it sits with the bars
    fig.add_trace(go.Scatter(x=months, y=total, mode="text", text=[f"{v:,}" for v in total],
                             textposition="top center", showlegend=False, hoverinfo="skip", cliponaxis=False))
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})  # 高 → 低, not plotly's reversed stack order
    fig.update_xaxes(title_text=_month_axis(frame["月份"]))
    fig.update_yaxes(title_text="风险隐患数(件)", tickformat=",d", range=[0, float(total.max() or 1) * 1.15])
    return _layout(fig, title)


def outcomes_chart(frame: pl.DataFrame) -> go.Figure:
    title = "各区县风险隐患处置情况(件)"
    if frame.is_empty():
        return empty(title, "当前筛选条件下没有风险隐患排查月报")
    colours = {"已化解": GREEN, "稳控中": AMBER, "移交公安": BLUE, "上报党委政府": PURPLE}
    labelled = frame.height <= 3  # four bars per county: with more counties the labels shrink into each other
    fig = go.Figure([go.Bar(x=frame["区县"], y=frame[name], name=name, marker_color=colour,
                            text=[f"{v:,}" for v in frame[name]] if labelled else None,
                            textposition="outside", cliponaxis=False,
                            hovertemplate=f"%{{x}}<br>{name}:%{{y:,}} 件<extra></extra>")
                     for name, colour in colours.items()])
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="区县")
    fig.update_yaxes(title_text="件数(件)", tickformat=",d")
    return _layout(fig, title)


def timeliness_chart(frame: pl.DataFrame) -> go.Figure:
    title = f"各区县月报按期报送率(目标 {TARGET:.0%})"
    if frame.is_empty():
        return empty(title, f"所选期间内尚无到期的月报(次月 {DUE_DAY} 日到期)")
    colours = [GREEN if r >= TARGET else RED for r in frame["按期报送率"]]
    fig = go.Figure(go.Bar(
        x=frame["区县"], y=frame["按期报送率"], marker_color=colours,
        # labels inside the bars: the rates sit close to the 100% line, where outside labels would collide with it
        text=[f"{r:.1%}" for r in frame["按期报送率"]], textposition="inside", insidetextanchor="end",
        textfont={"color": "white"},
        customdata=frame.select("按期", "应报", "逾期", "未报").rows(),
        hovertemplate="%{x}<br>按期报送率:%{y:.1%}<br>按期 %{customdata[0]:,} / 应报 %{customdata[1]:,} 份"
                      "<br>逾期 %{customdata[2]:,} 份,未报 %{customdata[3]:,} 份<extra></extra>"))
    reference_line(fig, TARGET, f"目标<br>{TARGET:.0%}")
    fig.update_xaxes(title_text="区县")
    fig.update_yaxes(title_text="按期报送率(%)", tickformat=".0%", range=[0, 1.15])
    fig = _layout(fig, title)
    fig.update_layout(margin={"r": 50})
    return fig


def timeliness_heatmap(frame: pl.DataFrame) -> go.Figure:
    title = "各区县各月月报报送情况(按期 / 应报)"
    if frame.is_empty():
        return empty(title, f"所选期间内尚无到期的月报(次月 {DUE_DAY} 日到期)")
    counties = list(dict.fromkeys(frame["区县"]))
    months = sorted(set(frame["月份"]))
    cells = {(r["区县"], r["月份"]): r for r in frame.iter_rows(named=True)}
    z, text, hover = [], [], []
    for county in counties:
        zr, tr, hr = [], [], []
        for m in months:
            r = cells.get((county, m))
            if r is None:
                zr.append(None), tr.append(""), hr.append("")
                continue
            zr.append(r["按期报送率"])
            extra = "".join(f"<br>{k} {r[k]}" for k in ("逾期", "未报") if r[k])
            tr.append(f"{r['按期']}/{r['应报']}{extra}")
            hr.append(f"按期 {r['按期']:,} 份<br>逾期 {r['逾期']:,} 份<br>未报 {r['未报']:,} 份<br>"
                      f"按期报送率 {r['按期报送率']:.1%}")
        z.append(zr), text.append(tr), hover.append(hr)
    labels = _short_months(months)
    fig = go.Figure(go.Heatmap(
        z=z, x=labels, y=counties, text=text, texttemplate="%{text}", customdata=hover, zmin=0, zmax=1,
        colorscale=[[0, RED], [0.8, AMBER], [1, GREEN]], xgap=2, ygap=2,
        colorbar={"title": {"text": "按期报送率"}, "tickformat": ".0%"},
        hovertemplate="%{y} · %{x}<br>%{customdata}<extra></extra>"))
    fig.update_xaxes(title_text=_month_axis(months), side="bottom", showgrid=False)
    fig.update_yaxes(title_text="区县", autorange="reversed", showgrid=False)
    return _layout(fig, title, height=max(300, 52 * len(counties) + 130))
