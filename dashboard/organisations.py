"""组织与队伍: 评理说事点 monthly activity (scoring #5), mediators, resolution centres and star offices.

Plain query and chart functions: Filters in, polars frames / plotly figures out. No Streamlit here.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import charts
from dashboard.db import query
from dashboard.filters import Filters

FIRST_POINT_MONTH = date(2023, 4, 1)  # scoring #5 counts the full months from April


def _as_of(path: Path | None) -> date:
    from dashboard.ranking import default_as_of
    return default_as_of(path)


def point_months(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """One row per (评理说事点 × full month) in the period from 2023-04, with 达标 as scoring #5 defines it.

    A month counts when its last day is on or before the warehouse's as-of date (the latest data date).
    """
    as_of = _as_of(path)
    first = max(f.start, FIRST_POINT_MONTH)
    where, params = f.sql(county_col="o.county_code", month_col=None, township_col="o.township_code")
    return query(f"""
        WITH months AS (
            SELECT CAST(m AS DATE) AS month
            FROM unnest(generate_series(CAST($first AS TIMESTAMP), CAST($last AS TIMESTAMP), INTERVAL 1 MONTH)) AS s(m)
            WHERE last_day(CAST(m AS DATE)) <= $as_of
        ), ft AS (
            SELECT DISTINCT org_id FROM marts.mediators WHERE is_full_time
        ), hits AS (
            SELECT md.org_id, CAST(date_trunc('month', c.accepted_date) AS DATE) AS month, count(*) AS cases
            FROM marts.cases c JOIN marts.mediators md ON md.mediator_id = c.mediator_id
            WHERE md.is_full_time GROUP BY ALL
        )
        SELECT o.county_code, o.county, o.township, o.org_id, o.org_name, m.month,
               h.org_id IS NOT NULL AS active, coalesce(h.cases, 0) AS qualifying_cases,
               o.org_id IN (SELECT org_id FROM ft) AS has_full_time
        FROM marts.orgs o CROSS JOIN months m
        LEFT JOIN hits h ON h.org_id = o.org_id AND h.month = m.month
        WHERE o.is_reasoning_point AND (o.founded_date IS NULL OR o.founded_date < m.month) AND {where}
        ORDER BY o.county_code, o.township, o.org_name, o.org_id, m.month""",
                 {**params, "first": first, "last": f.end, "as_of": as_of}, path)


def inactive_points(f: Filters, path: Path | None = None) -> tuple[date | None, pl.DataFrame]:
    """The last full month of the period, and the points NOT 达标 in it (county, township, name, 专职调解员 有/无)."""
    pm = point_months(f, path)
    if pm.is_empty():
        return None, pl.DataFrame(schema={"区县": pl.String, "乡镇(街道)": pl.String, "评理说事点": pl.String,
                                          "组织编码": pl.String, "专职调解员": pl.String})
    last = pm["month"].max()
    frame = (pm.filter((pl.col("month") == last) & ~pl.col("active"))
             .select(pl.col("county").alias("区县"), pl.col("township").alias("乡镇(街道)"),
                     pl.col("org_name").alias("评理说事点"), pl.col("org_id").alias("组织编码"),
                     pl.when(pl.col("has_full_time")).then(pl.lit("有")).otherwise(pl.lit("无")).alias("专职调解员")))
    return last, frame


def point_rate_by_group(pm: pl.DataFrame, by_point: bool) -> pl.DataFrame:
    """Share of active points per (township × month), or per (point × month) when by_point."""
    keys = ["county", "township", "org_name", "org_id"] if by_point else ["county", "township"]
    return (pm.group_by([*keys, "month"]).agg(pl.col("active").mean().alias("rate"), pl.len().alias("points"))
            .sort([*keys, "month"]))


def point_heatmap(pm: pl.DataFrame, by_point: bool) -> go.Figure:
    title = "评理说事点月度达标情况(" + ("各评理说事点" if by_point else "各乡镇(街道)达标点占比") + ")"
    if pm.is_empty():
        return charts.empty(title, "当前筛选条件下没有可统计的整月(自2023年4月起)")
    g = point_rate_by_group(pm, by_point)
    months = sorted(g["month"].unique().to_list())
    keys = ["county", "township", "org_name", "org_id"] if by_point else ["county", "township"]
    rows = g.select(keys).unique(maintain_order=True).rows()
    label = (lambda r: f"{r[1] or '未知乡镇'} · {r[2]}") if by_point else (lambda r: f"{r[0]} · {r[1] or '未知乡镇'}")
    lookup = {(tuple(r[:len(keys)]), r[-3]): (r[-2], r[-1]) for r in g.select([*keys, "month", "rate", "points"]).rows()}
    z, text = [], []
    for r in rows:
        vals = [lookup.get((tuple(r), m)) for m in months]
        z.append([None if v is None else v[0] for v in vals])
        text.append(["" if v is None else (("达标" if v[0] else "未达标") if by_point else f"{v[0]:.0%}({v[1]}个点)")
                     for v in vals])
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"{m.month}月" for m in months], y=[label(r) for r in rows], text=text, zmin=0, zmax=1,
        colorscale=[[0, charts.RED], [0.5, "#f5e6a8"], [1, charts.GREEN]], xgap=1, ygap=1,
        colorbar={"title": "达标", "tickformat": ".0%"} if not by_point else {"title": "达标", "tickvals": [0, 1],
                                                                            "ticktext": ["否", "是"]},
        hovertemplate="%{y}<br>%{x}:%{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text="评理说事点" if by_point else "乡镇(街道)")
    fig.update_xaxes(title_text="受理月份(2023年)", side="top")
    return charts._layout(fig, title, height=max(320, 18 * len(rows) + 120))


def mediators_by_county(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """专职调解员占比 and 年度培训覆盖率 (annual training from 2023-01-01 to the as-of date, scoring #12) per county."""
    where, params = f.sql(county_col="m.county_code", month_col=None, township_col="m.township_code")
    return query(f"""
        SELECT m.county_code AS 区县代码, c.county AS 区县, count(*) AS 调解员数,
               count(*) FILTER (WHERE m.is_full_time) AS 专职调解员数,
               count(*) FILTER (WHERE m.is_full_time) / count(*) AS 专职占比,
               count(*) FILTER (WHERE m.annual_training_date BETWEEN DATE '2023-01-01' AND $as_of) AS 已培训人数,
               count(*) FILTER (WHERE m.annual_training_date BETWEEN DATE '2023-01-01' AND $as_of) / count(*) AS 培训覆盖率
        FROM marts.mediators m JOIN marts.dim_county c ON c.county_code = m.county_code
        WHERE {where} GROUP BY ALL ORDER BY 区县代码""", {**params, "as_of": _as_of(path)}, path)


def rate_bars(frame: pl.DataFrame, rate: str, numerator: str, title: str) -> go.Figure:
    if frame.is_empty():
        return charts.empty(title)
    fig = go.Figure(go.Bar(
        x=frame["区县"], y=frame[rate], marker_color=charts.BLUE, cliponaxis=False, textposition="outside",
        text=[f"{r:.1%}" for r in frame[rate]], customdata=frame.select(numerator, "调解员数").rows(),
        hovertemplate="%{x}<br>%{y:.1%}<br>" + numerator + ":%{customdata[0]:,} 人<br>调解员数:%{customdata[1]:,} 人"
                      "<extra></extra>"))
    fig.update_yaxes(title_text="占比(%)", tickformat=".0%", range=[0, 1.15])
    fig.update_xaxes(title_text="区县")
    return charts._layout(fig, title)


def centres(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """调处化解中心: 县级 against 建成 ≤ 06-20, 乡镇级 against 挂牌运行 ≤ 09-20 with ≥ 2 专职人民调解员.

    A centre not yet meeting the plan is 未到期 while its deadline is after the as-of date (the end of the
    chosen period or the latest data date, whichever is earlier), not 未按期.
    """
    from dashboard.verification import as_of

    where, params = f.sql(month_col=None, township_col="township_code")
    params["asof"] = as_of(f, path)
    return query(f"""
        SELECT county AS 区县, center_level AS 层级, coalesce(township, '—') AS "乡镇(街道)", center_name AS 中心名称,
               CAST(built_date AS DATE) AS 建成日期, CAST(inaugurated_date AS DATE) AS 挂牌运行日期,
               full_time_mediators AS 专职人民调解员数,
               plan_due_date AS 截止日期,
               CASE WHEN meets_plan THEN '✅ 按期达标'
                    WHEN plan_due_date > $asof THEN '⏳ 未到期'
                    WHEN NOT is_county_level AND coalesce(full_time_mediators, 0) < 2 THEN '⚠ 专职调解员不足2名'
                    ELSE '❌ 未按期' END AS 状态
        FROM marts.resolution_centers WHERE {where}
        ORDER BY county_code, NOT is_county_level, meets_plan, township, center_name""", params, path)


def star_offices(f: Filters, path: Path | None = None) -> pl.DataFrame:
    """星级司法所: 创建计划 by 03-20 and 佐证材料 by 06-20, per county."""
    where, params = f.sql(month_col=None, township_col="township_code")
    return query(f"""
        SELECT county_code AS 区县代码, county AS 区县, count(*) AS 司法所数,
               count(*) FILTER (WHERE is_plan_on_time) AS 计划按期数,
               count(*) FILTER (WHERE is_evidence_on_time) AS 材料按期数,
               count(*) FILTER (WHERE is_star_on_time) AS 均按期数,
               count(*) FILTER (WHERE is_star_on_time) / count(*) AS 按期率
        FROM marts.judicial_offices WHERE {where} GROUP BY ALL ORDER BY 区县代码""", params, path)


def star_bars(frame: pl.DataFrame) -> go.Figure:
    title = "星级司法所创建:计划与佐证材料按期报送(个)"
    if frame.is_empty():
        return charts.empty(title)
    fig = go.Figure([
        go.Bar(x=frame["区县"], y=frame["司法所数"], name="司法所数", marker_color=charts.GREY),
        go.Bar(x=frame["区县"], y=frame["计划按期数"], name="创建计划按期(≤3月20日)", marker_color=charts.BLUE),
        go.Bar(x=frame["区县"], y=frame["材料按期数"], name="佐证材料按期(≤6月20日)", marker_color=charts.AMBER),
        go.Bar(x=frame["区县"], y=frame["均按期数"], name="两项均按期", marker_color=charts.GREEN),
    ])
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="司法所(个)", tickformat=",d")
    fig.update_xaxes(title_text="区县")
    return charts._layout(fig, title)
