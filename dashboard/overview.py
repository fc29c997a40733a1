"""总览 for leaders: the plan's targets city-wide, the county map and the campaign timeline. No Streamlit here.

The target cards and the map use the year-end scoring (warehouse.scoring) at an as-of date, so a card, the
map and the 考评排名 page never disagree. A city value is the sum of the counties' numerators over the sum of
their denominators (the city as one unit), not the mean of county rates.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from dashboard import metrics, queries
from dashboard.charts import AMBER, BLUE, GREEN, GREY, RED, _layout
from dashboard.db import PROJECT_DIR
from dashboard.filters import Filters
from warehouse.rubric import Rubric, rubric_in_force
from warehouse.scoring import Scorecard, combined

GEOJSON = PROJECT_DIR / "warehouse" / "reference" / "tieling_counties.geojson"
TOTAL = "total"  # the map's "考评总分" choice; any other choice is an indicator key
MILESTONE = "工作报送台账"  # indicator 11's milestone records


def plan_targets(card: Scorecard, counties: tuple[str, ...] = ()) -> pl.DataFrame:
    """One row per plan-target indicator: the value of the chosen counties as one unit, the target, and how
    many counties meet it (counties where it does not apply are left out of both counts)."""
    chosen = [c for c in card.counties if not counties or c.county_code in counties]
    rows = []
    for key, rule in card.rubric.indicators.items():
        if not rule.plan_target:
            continue
        results = [c.indicators[key] for c in chosen]
        unit = combined(rule, results)  # the chosen counties as one unit: Σ numerators ÷ Σ denominators
        value = None if unit.value is None else float(unit.value)
        numerator, denominator = (None, None) if unit.parts else (float(unit.numerator), unit.denominator)
        applicable = [r for r in results if r.met is not None]
        met = [r for r in applicable if r.met]
        missed = [c.county for c, r in zip(chosen, results) if r.met is False]
        rows.append({"key": key, "指标": rule.name, "值": value, "分子": numerator, "分母": denominator,
                     "目标": float(rule.target), "达标区县数": len(met), "适用区县数": len(applicable),
                     "未达标区县": "、".join(missed)})
    return pl.DataFrame(rows, schema={"key": pl.Utf8, "指标": pl.Utf8, "值": pl.Float64, "分子": pl.Float64,
                                      "分母": pl.Int64, "目标": pl.Float64, "达标区县数": pl.Int64,
                                      "适用区县数": pl.Int64, "未达标区县": pl.Utf8})


def map_choices(card: Scorecard) -> dict[str, str]:
    """What the map can be coloured by: key → label."""
    return {TOTAL: "考评总分", **{k: r.name for k, r in card.rubric.indicators.items()}}


def map_values(card: Scorecard, metric: str = TOTAL) -> pl.DataFrame:
    """One row per county: the value the map shows (total score, or an indicator's value as a share)."""
    rows = []
    for c in card.counties:
        if metric == TOTAL:
            value, text = float(c.total), f"{float(c.total):.2f} 分"
        else:
            r = c.indicators[metric]
            value = None if r.value is None else float(r.value)
            text = r.mark if value is None else f"{value:.1%}" + (" ⚠" if value > 1 else "")
        rows.append({"county_code": c.county_code, "区县": c.county, "值": value, "显示": text, "排名": c.rank,
                     "总分": float(c.total), "通报": "列入通报" if c.notice else "不通报",
                     "通报原因": notice_in_short(card, c)})
    return pl.DataFrame(rows, schema={"county_code": pl.Utf8, "区县": pl.Utf8, "值": pl.Float64, "显示": pl.Utf8,
                                      "排名": pl.Int64, "总分": pl.Float64, "通报": pl.Utf8, "通报原因": pl.Utf8})


def notice_in_short(card: Scorecard, c) -> str:
    """The 通报 reasons as names only (the full sentences are on 考评排名): the plan targets missed, the
    deductions with their counts."""
    missed = [r.name for r in c.indicators.values() if r.plan_target and r.below_target()]
    deducted = [f"{card.rubric.deductions[k].name} {n} {'人' if k == 'lost_contact' else '起'}"  # as scoring words it
                for k, n in c.deduction_counts.items() if n and c.deductions.get(k)]
    return ";".join(filter(None, ["、".join(missed), ("扣分:" + "、".join(deducted)) if deducted else ""]))


@lru_cache(maxsize=1)
def geojson() -> dict:
    """The seven county boundaries, bundled with the product (warehouse/reference, see PROVENANCE.md)."""
    return json.loads(GEOJSON.read_text(encoding="utf-8"))


def _centre(gj: dict) -> dict:
    xs, ys = [], []

    def walk(coords):
        if isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                walk(c)
    for feature in gj["features"]:
        walk(feature["geometry"]["coordinates"])
    return {"lon": (min(xs) + max(xs)) / 2, "lat": (min(ys) + max(ys)) / 2}


def county_map(values: pl.DataFrame, label: str, selected: tuple[str, ...] = ()) -> go.Figure:
    """Choropleth of the seven counties on a blank background: no base-map tiles, nothing from the network.
    Counties in `selected` are outlined; clicking a county is how the page chooses it. No text labels on the
    map: MapLibre would fetch their glyphs from fonts.openmaptiles.org; names are in the hover and the table."""
    title = f"各区县{label}"
    gj = geojson()
    is_total = label == "考评总分"
    frame = values.with_columns(pl.col("值").fill_null(float("nan")))
    fig = px.choropleth_map(
        frame.to_pandas(), geojson=gj, locations="county_code", featureidkey="properties.code", color="值",
        hover_name="区县", custom_data=["显示", "排名", "通报"], map_style="white-bg", center=_centre(gj), zoom=7.1,
        color_continuous_scale=[(0, RED), (0.5, AMBER), (1, GREEN)],
        range_color=None if is_total else (0, 1), opacity=0.85)
    fig.update_traces(
        marker_line_width=[3 if c in selected else 1 for c in values["county_code"]],
        marker_line_color=["#111111" if c in selected else "#ffffff" for c in values["county_code"]],
        hovertemplate=f"<b>%{{hovertext}}</b><br>{label}:%{{customdata[0]}}<br>考评排名:第 %{{customdata[1]}} 名"
                      "<br>%{customdata[2]}<extra>点击选择该区县</extra>")
    fig.update_layout(coloraxis_colorbar={"title": {"text": "分" if is_total else "%"},
                                          "tickformat": ".0f" if is_total else ".0%"},
                      dragmode=False)
    fig = _layout(fig, title, height=460)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 50, "b": 0})
    return fig


# --- the campaign timeline ----------------------------------------------------------------------------------

def milestones(f: Filters, as_of: date, path: Path | None = None) -> pl.DataFrame:
    """One row per milestone of the rubric: its deadline, whether it is due at `as_of`, how many of the chosen
    counties finished on time, and the counties late (finished after the deadline, or not finished by as_of) —
    indicator 11's milestone records, so the timeline and the score count the same items."""
    rubric = rubric_in_force()
    due = metrics.records("timely_submission_rate", Filters(f.counties), as_of, months=False,
                          record_type=MILESTONE, path=path)
    names = dict(queries.counties(path).iter_rows())
    chosen = f.counties or tuple(names)
    rows = []
    for no, (milestone, deadline) in enumerate(rubric.milestones.items(), 1):
        items = due.filter(pl.col("milestone") == milestone)
        late = [f"{names[c]}({'逾期' + str(d) + '天' if s == '逾期' else '未完成'})"
                for c, s, d in items.filter(~pl.col("in_numerator")).select("county_code", "status", "days_late").rows()]
        rows.append({"序号": no, "节点": milestone, "截止日期": deadline, "状态": "已到期" if deadline <= as_of else "未到期",
                     "按期完成区县数": int(items["in_numerator"].sum()), "区县数": len(chosen), "逾期区县": "、".join(late)})
    return pl.DataFrame(rows, schema={"序号": pl.Int64, "节点": pl.String, "截止日期": pl.Date, "状态": pl.String,
                                      "按期完成区县数": pl.Int64, "区县数": pl.Int64, "逾期区县": pl.String})


def _ms(d: date) -> str:
    return d.isoformat()


def timeline(ms: pl.DataFrame, as_of: date, rubric: Rubric) -> go.Figure:
    """The three phases as bars on a date axis (named above them: the first phase is too short to hold its
    name), each deadline as a diamond — red when a county is late for any milestone due that day, green when
    all are on time, grey when not yet due — and the as-of date as a line."""
    title = "专项行动时间轴(三个阶段与报送节点)"
    fig = go.Figure()
    colours = [BLUE, "#4e9bd6", GREEN]
    phases = [(p.name, p.start, p.end) for p in rubric.phases]
    for i, (name, start, end) in enumerate(phases):
        colour = colours[i % len(colours)]
        days = (end - start).days + 1
        fig.add_trace(go.Bar(
            y=["阶段"], x=[days * 86_400_000], base=[_ms(start)], orientation="h", name=name, marker_color=colour,
            showlegend=False, hovertemplate=f"{name}<br>{start:%m月%d日}至{end:%m月%d日}<extra></extra>"))
        short = days < 40
        last = i == len(phases) - 1  # anchored at its end, or it runs past the axis
        fig.add_annotation(x=_ms(end if last else start if short else start + (end - start) / 2),
                           xanchor="right" if last else "left" if short else "center",
                           y="阶段", yshift=38, text=f"{name}({start:%-m.%-d}–{end:%-m.%-d})", showarrow=False,
                           font={"size": 12})
    if not ms.is_empty():
        # milestones due on the same day share one diamond (two fall on 06-20)
        by_day = (ms.group_by("截止日期", maintain_order=True)
                  .agg(pl.col("节点").str.join("、"), pl.col("状态").first(),
                       pl.col("逾期区县").filter(pl.col("逾期区县") != "").str.join(";"),
                       (pl.col("节点") + ":按期 " + pl.col("按期完成区县数").cast(pl.Utf8) + "/"
                        + pl.col("区县数").cast(pl.Utf8)).str.join("<br>").alias("按期")))
        fig.add_trace(go.Scatter(
            y=["报送节点"] * by_day.height, x=[_ms(d) for d in by_day["截止日期"]], mode="markers",
            marker={"symbol": "diamond", "size": 14, "color": [RED if late else (GREEN if s == "已到期" else GREY)
                                                             for late, s in zip(by_day["逾期区县"], by_day["状态"])]},
            customdata=by_day.select("状态", "按期", "逾期区县").rows(),
            hovertemplate="截止 %{x|%m月%d日}(%{customdata[0]})<br>%{customdata[1]}<br>%{customdata[2]}"
                          "<extra></extra>", showlegend=False))
    fig.add_shape(type="line", x0=_ms(as_of), x1=_ms(as_of), yref="paper", y0=0, y1=1,
                  line={"color": AMBER, "width": 2, "dash": "dot"})
    fig.add_annotation(x=_ms(as_of), yref="paper", y=1.02, text=f"截至 {as_of:%m月%d日}", showarrow=False,
                       font={"color": AMBER}, yanchor="bottom")
    years = "、".join(str(y) for y in range(rubric.campaign_start.year, rubric.campaign_end.year + 1))
    fig.update_xaxes(type="date", range=[_ms(rubric.campaign_start - timedelta(days=4)),
                                         _ms(rubric.campaign_end + timedelta(days=5))],
                     tickformat="%m月", dtick="M1", title_text=f"{years}年(月)")
    fig.update_yaxes(title_text="阶段与节点", categoryorder="array", categoryarray=["报送节点", "阶段"])
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, height=260)
