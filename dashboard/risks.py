"""风险预警: the monthly 矛盾纠纷风险隐患排查月报 of every township. Plain queries and charts, no Streamlit.

Two kinds of number:
- what the reports say (screenings, hazards by level, outcomes): summed over every report received for the chosen
  months, latest version (marts.risk_reports);
- whether they came on time: the risk-report records of scoring indicator 11 (timely_submission_rate, via
  dashboard.metrics) — every township of the chosen area × every month whose due date (the rubric's day of the
  next month) is on or before the as-of date, whether or not a report arrived. A report is 按期 when sent by its
  due date, 逾期 when sent later but by the as-of date, and 未报 when none had arrived by the as-of date.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import metrics
from dashboard.charts import (AMBER, BLUE, GREEN, RED, _layout, empty, mark_incomplete, month_axis_title,
                              month_labels, reference_line)
from dashboard.db import query
from dashboard.definitions import pct
from dashboard.filters import Filters
from warehouse.rubric import rubric_in_force

KEY, REPORT = "timely_submission_rate", "风险预警月报"   # indicator 11 and its risk-report records
FIELDS = ("townships",)  # the sidebar filters this page's data can be cut by (the page says which it is not)
YELLOW = "#f1c40f"
PURPLE = "#6a1b9a"
STATUSES = ("按期", "逾期", "未报")


def due_day() -> int:
    """The day of the next month a risk report is due (the rubric's)."""
    return int(rubric_in_force().param(KEY, "risk_report_due_day"))


def target() -> float:
    return rubric_in_force().indicators[KEY].target


HAZARDS = {"high_risk_hazards": "高风险", "medium_risk_hazards": "中风险", "low_risk_hazards": "低风险"}
OUTCOMES = {"resolved": "已化解", "under_control": "稳控中", "referred_to_police": "移交公安",
            "reported_to_party_government": "上报党委政府"}


def _report_where(f: Filters) -> tuple[str, dict]:
    return f.sql(month_col="report_month", township_col="township_code")


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


def hazards_by_month(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Hazards found per report month and level: 月份 (date), 高风险, 中风险, 低风险, and 完整 (all reports in)."""
    where, params = _report_where(f)
    cols = ", ".join(f"CAST(coalesce(sum({c}), 0) AS BIGINT) AS {name}" for c, name in HAZARDS.items())
    frame = query(f"""SELECT report_month AS 月份, {cols} FROM marts.risk_reports WHERE {where}
                      GROUP BY ALL ORDER BY 月份""", params, path)
    complete = complete_months(f, day, path)
    return frame.with_columns(pl.col("月份").is_in(list(complete)).alias("完整"))


def outcomes_by_county(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """Resolved, under control, referred to police, reported to the Party committee and government, per county."""
    where, params = _report_where(f)
    cols = ", ".join(f"CAST(coalesce(sum({c}), 0) AS BIGINT) AS {name}" for c, name in OUTCOMES.items())
    return query(f"""SELECT county_code AS 区县代码, county AS 区县, CAST(coalesce(sum(disputes_found), 0) AS BIGINT) AS 排查发现纠纷数,
                            CAST({' + '.join(f'coalesce(sum({c}), 0)' for c in HAZARDS)} AS BIGINT) AS 风险隐患数,
                            {cols}
                     FROM marts.risk_reports WHERE {where} GROUP BY ALL ORDER BY 区县代码""", params, path)


# ------------------------------------------------------------------ on time, late, missing

def _due(f: Filters, day: date, path: Path | None) -> pl.DataFrame:
    """Indicator 11's risk-report records at `day` within the area and months: one per township × month due."""
    return metrics.records(KEY, f, day, record_type=REPORT, fields=FIELDS, path=path,
                           order="county_code, township_code, month")


_COUNTS = (pl.len().alias("应报"), (pl.col("status") == "按期").sum().alias("按期"),
           (pl.col("status") == "逾期").sum().alias("逾期"), (pl.col("status") == "未报").sum().alias("未报"))


def _with_rate(counts: pl.DataFrame, rates: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """Status counts beside the indicator's own value for the same groups (按期 ÷ 应报)."""
    return counts.join(rates.select(*on, pl.col("value").alias("按期报送率")), on=on, how="left")


def timeliness_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Reports due, on time, late and missing per county, with the on-time rate."""
    counts = _due(f, day, path).group_by("county_code").agg(*_COUNTS)
    rates = metrics.results(KEY, f, day, ("county_code",), record_type=REPORT, fields=FIELDS, path=path)
    return (_with_rate(counts, rates, ["county_code"]).join(metrics.county_names(path), on="county_code")
            .select(pl.col("county_code").alias("区县代码"), "区县", "应报", "按期", "逾期", "未报", "按期报送率")
            .with_columns(pl.col("应报", "按期", "逾期", "未报").cast(pl.Int64)).sort("区县代码"))


def timeliness_grid(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """The same counts per county × report month: 区县代码, 区县, 月份 (date), 应报, 按期, 逾期, 未报, 按期报送率."""
    counts = _due(f, day, path).group_by("county_code", "month").agg(*_COUNTS)
    rates = metrics.results(KEY, f, day, ("county_code", "month"), record_type=REPORT, fields=FIELDS, path=path)
    return (_with_rate(counts, rates, ["county_code", "month"]).join(metrics.county_names(path), on="county_code")
            .select(pl.col("county_code").alias("区县代码"), "区县", pl.col("month").alias("月份"), "应报", "按期", "逾期",
                    "未报", "按期报送率")
            .with_columns(pl.col("应报", "按期", "逾期", "未报").cast(pl.Int64)).sort("区县代码", "月份"))


def kpis(f: Filters, day: date, path: Path | None = None) -> dict:
    """The report totals and the on-time counts of the whole chosen area."""
    out = totals(f, path)
    due = _due(f, day, path)
    out.update(due=due.height, on_time=int((due["status"] == "按期").sum()), late=int((due["status"] == "逾期").sum()),
               missing=int((due["status"] == "未报").sum()))
    out["on_time_rate"] = metrics.result(KEY, f, day, record_type=REPORT, fields=FIELDS, path=path)["value"]
    return out


def complete_months(f: Filters, day: date, path: Path | None = None) -> set[date]:
    """The months whose reports are all in at `day`: due (by the rubric's day of the next month) and received from
    every township of the chosen area. Other months' sums are still growing and must not read as a drop."""
    due = _due(f, day, path)
    where, params = f.sql(month_col=None, township_col="township_code")
    townships = query(f"SELECT count(*) AS n FROM marts.dim_township WHERE {where}", params, path).item()
    received = due.filter(pl.col("status") != "未报").group_by("month").agg(pl.len().alias("n"))
    return {m for m, n in received.iter_rows() if n >= townships}


def late_reports(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Every due report that was late or missing at the as-of date, most days late first.

    逾期天数: for a late report, 报送日期 − 应报日期; for a missing one, the days from the due date to the as-of date.
    A report that arrived after the as-of date is 未报 at that date; its 报送日期 says when it came.
    """
    late = _due(f, day, path).filter(pl.col("status") != "按期").join(metrics.county_names(path), on="county_code")
    frame = late.select(
        "区县", pl.col("township").alias("乡镇"), pl.col("month").alias("统计月份"), pl.col("due_date").alias("应报日期"),
        pl.when(pl.col("status") == "逾期").then(pl.col("done_date").dt.strftime("%Y-%m-%d"))
        .when(pl.col("done_date").is_not_null()).then(pl.format("未报({} 补报)", pl.col("done_date").dt.strftime("%Y-%m-%d")))
        .otherwise(pl.lit("未报")).alias("报送日期"),
        pl.col("days_late").alias("逾期天数"), pl.col("status").alias("状态"), "county_code", "township_code",
    ).sort(["逾期天数", "county_code", "township_code", "统计月份"], descending=[True, False, False, False])
    return _label_months(frame.drop("county_code", "township_code"), "统计月份")


# ------------------------------------------------------------------ charts

def hazards_chart(frame: pl.DataFrame) -> go.Figure:
    title = "各月排查发现风险隐患数(按风险等级,件)"
    if frame.is_empty():
        return empty(title, "当前筛选条件下没有风险隐患排查月报")
    months = month_labels(frame["月份"], frame["完整"])
    colours = {"高风险": RED, "中风险": AMBER, "低风险": YELLOW}
    fig = go.Figure([go.Bar(x=months, y=frame[name], name=f"{name}隐患", marker_color=colour,
                            hovertemplate=f"%{{x}}<br>{name}隐患:%{{y:,}} 件<extra></extra>")
                     for name, colour in colours.items()])
    total = frame["高风险"] + frame["中风险"] + frame["低风险"]
    # the month's total above each stack, as a text-only trace so it sits with the bars
    fig.add_trace(go.Scatter(x=months, y=total, mode="text", text=[f"{v:,}" for v in total],
                             textposition="top center", showlegend=False, hoverinfo="skip", cliponaxis=False))
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})  # 高 → 低, not plotly's reversed stack order
    fig.update_xaxes(title_text=month_axis_title(frame["月份"], "统计月份"))
    fig.update_yaxes(title_text="风险隐患数(件)", tickformat=",d", range=[0, float(total.max() or 1) * 1.15])
    return mark_incomplete(_layout(fig, title), frame["完整"])


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
    goal = target()
    title = f"各区县月报按期报送率(目标 {pct(goal)})"
    if frame.is_empty():
        return empty(title, f"所选期间内尚无到期的月报(次月 {due_day()} 日到期)")
    colours = [GREEN if r >= goal else RED for r in frame["按期报送率"]]
    fig = go.Figure(go.Bar(
        x=frame["区县"], y=frame["按期报送率"], marker_color=colours,
        # labels inside the bars: the rates sit close to the 100% line, where outside labels would collide with it
        text=[f"{r:.1%}" for r in frame["按期报送率"]], textposition="inside", insidetextanchor="end",
        textfont={"color": "white"},
        customdata=frame.select("按期", "应报", "逾期", "未报").rows(),
        hovertemplate="%{x}<br>按期报送率:%{y:.1%}<br>按期 %{customdata[0]:,} / 应报 %{customdata[1]:,} 份"
                      "<br>逾期 %{customdata[2]:,} 份,未报 %{customdata[3]:,} 份<extra></extra>"))
    reference_line(fig, goal, f"目标<br>{pct(goal)}")
    fig.update_xaxes(title_text="区县")
    fig.update_yaxes(title_text="按期报送率(%)", tickformat=".0%", range=[0, 1.15])
    fig = _layout(fig, title)
    fig.update_layout(margin={"r": 50})
    return fig


def timeliness_heatmap(frame: pl.DataFrame) -> go.Figure:
    title = "各区县各月月报报送情况(按期 / 应报)"
    if frame.is_empty():
        return empty(title, f"所选期间内尚无到期的月报(次月 {due_day()} 日到期)")
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
    labels = month_labels(months)
    fig = go.Figure(go.Heatmap(
        z=z, x=labels, y=counties, text=text, texttemplate="%{text}", customdata=hover, zmin=0, zmax=1,
        colorscale=[[0, RED], [0.8, AMBER], [1, GREEN]], xgap=2, ygap=2,
        colorbar={"title": {"text": "按期报送率"}, "tickformat": ".0%"},
        hovertemplate="%{y} · %{x}<br>%{customdata}<extra></extra>"))
    fig.update_xaxes(title_text=month_axis_title(months, "统计月份"), side="bottom", showgrid=False)
    fig.update_yaxes(title_text="区县", autorange="reversed", showgrid=False)
    return _layout(fig, title, height=max(300, 52 * len(counties) + 130))
