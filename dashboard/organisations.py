"""组织与队伍: 评理说事点 monthly activity (scoring #5), mediators, resolution centres and star offices.

The point × month grid, training coverage (#12), the centres (#6) and the star offices (#7) are the scoring's own
records (dashboard.metrics) cut by the sidebar and summed per township, county or month, so this page and 考评排名
count the same points, mediators, townships and offices. Plain query and chart functions: Filters in, polars frames
/ plotly figures out. No Streamlit here.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import charts, metrics
from dashboard.db import query
from dashboard.filters import Filters


FIELDS = ("townships",)  # the sidebar filters this page's data can be cut by (pages say which it is not)


def point_months(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """One row per (评理说事点 × full month) of the period, as indicator 5 counts it at `day`: active when the point
    accepted a case of its own full-time mediator that month."""
    pairs = metrics.records("point_monthly_rate", f, day, order="county_code, township, org_name, org_id, month",
                            fields=FIELDS, path=path)
    names = metrics.county_names(path)
    return pairs.join(names, on="county_code", how="left").select(
        "county_code", pl.col("区县").alias("county"), "township", "org_id", "org_name", "month",
        pl.col("in_numerator").alias("active"), pl.col("qualifying_case_count").alias("qualifying_cases"),
        "has_full_time")


def point_rate(f: Filters, day: date, path: Path | None = None) -> dict:
    """Indicator 5 over the chosen area and months: numerator, denominator, value."""
    return metrics.result("point_monthly_rate", f, day, fields=FIELDS, path=path)


def inactive_points(f: Filters, day: date, path: Path | None = None) -> tuple[date | None, pl.DataFrame]:
    """The last full month of the period, and the points NOT 达标 in it (county, township, name, 专职调解员 有/无)."""
    pm = point_months(f, day, path)
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
        return charts.empty(title, "当前筛选条件下没有可统计的整月")
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
    fig.update_xaxes(title_text=charts.month_axis_title(months, "受理月份"), side="top")
    return charts._layout(fig, title, height=max(320, 18 * len(rows) + 120))


def mediators_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Per county: mediators, the full-time share (a roll count, not an indicator), and 培训覆盖率 (indicator 12,
    annual training from the rubric's first day to `day`)."""
    training = metrics.results("training_rate", f, day, ("county_code",), fields=FIELDS, path=path)
    where, params = f.sql(county_col="m.county_code", month_col=None, township_col="m.township_code",
                          org_type_col="m.org_type")
    roll = query(f"""
        SELECT m.county_code, count(*) AS 调解员数, count(*) FILTER (WHERE m.is_full_time) AS 专职调解员数
        FROM marts.mediators m WHERE m.county_code IS NOT NULL AND {where} GROUP BY ALL""", params, path)
    return (roll.join(training, on="county_code", how="left").join(metrics.county_names(path), on="county_code")
            .select(pl.col("county_code").alias("区县代码"), "区县", "调解员数", "专职调解员数",
                    (pl.col("专职调解员数") / pl.col("调解员数")).alias("专职占比"),
                    pl.col("numerator").cast(pl.Int64).alias("已培训人数"), pl.col("value").alias("培训覆盖率"))
            .sort("区县代码"))


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


def centres(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Indicator 6's records: each county's 县级 centre and each township's 乡镇级 centre against the rubric's
    deadline and staffing. 未到期 while the deadline is after `day` and the record is not yet in the numerator."""
    records = metrics.records("center_build", f, day, order="county_code, part, record_id", fields=FIELDS, path=path)
    return (records.join(metrics.county_names(path), on="county_code", how="left")
            .select("区县", pl.when(pl.col("part") == "county").then(pl.lit("县级")).otherwise(pl.lit("乡镇级")).alias("层级"),
                    pl.col("township").fill_null("—").alias("乡镇(街道)"),
                    pl.col("centres").list.join("、").fill_null("").alias("中心名称"),
                    pl.col("built_date").alias("建成日期"), pl.col("inaugurated_date").alias("挂牌运行日期"),
                    pl.col("full_time_mediators").alias("专职人民调解员数"), pl.col("due_date").alias("截止日期"),
                    pl.when(pl.col("in_numerator")).then(pl.lit("✅ 按期达标"))
                    .when(pl.col("due_date") > day).then(pl.lit("⏳ 未到期"))
                    .when(pl.col("short_staffed")).then(pl.lit("⚠ 专职调解员不足"))
                    .otherwise(pl.lit("❌ 未按期")).alias("状态")))


def star_offices(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Indicator 7 per county: offices, plan on time, evidence on time, both (the numerator) and the rate."""
    offices = metrics.records("star_office", f, day, fields=FIELDS, path=path)
    rate = metrics.results("star_office", f, day, ("county_code",), fields=FIELDS, path=path)
    return (offices.group_by("county_code").agg(pl.col("plan_on_time").sum().alias("计划按期数"),
                                                 pl.col("evidence_on_time").sum().alias("材料按期数"))
            .join(rate, on="county_code").join(metrics.county_names(path), on="county_code")
            .select(pl.col("county_code").alias("区县代码"), "区县", pl.col("denominator").alias("司法所数"),
                    pl.col("计划按期数").cast(pl.Int64), pl.col("材料按期数").cast(pl.Int64),
                    pl.col("numerator").cast(pl.Int64).alias("均按期数"), pl.col("value").alias("按期率"))
            .sort("区县代码"))


def star_bars(frame: pl.DataFrame, plan_due: date, evidence_due: date) -> go.Figure:
    title = "星级司法所创建:计划与佐证材料按期报送(个)"
    if frame.is_empty():
        return charts.empty(title)
    fig = go.Figure([
        go.Bar(x=frame["区县"], y=frame["司法所数"], name="司法所数", marker_color=charts.GREY),
        go.Bar(x=frame["区县"], y=frame["计划按期数"], name=f"创建计划按期(≤{plan_due.month}月{plan_due.day}日)",
               marker_color=charts.BLUE),
        go.Bar(x=frame["区县"], y=frame["材料按期数"], name=f"佐证材料按期(≤{evidence_due.month}月{evidence_due.day}日)",
               marker_color=charts.AMBER),
        go.Bar(x=frame["区县"], y=frame["均按期数"], name="两项均按期", marker_color=charts.GREEN),
    ])
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="司法所(个)", tickformat=",d")
    fig.update_xaxes(title_text="区县")
    return charts._layout(fig, title)
