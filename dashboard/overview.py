"""总览 for leaders: the plan's targets city-wide, the county map and the campaign timeline. No Streamlit here.

The target cards and the map use the year-end scoring (warehouse.scoring) at an as-of date, so a card, the
map and the 考评排名 page never disagree. A city value is the sum of the counties' numerators over the sum of
their denominators (the city as one unit), not the mean of county rates.
"""
from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from functools import lru_cache
from html import escape
from pathlib import Path

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


def target_trends(cards: list[Scorecard], counties: tuple[str, ...] = ()) -> dict[str, list[float | None]]:
    """Each plan target's value for the chosen counties as one unit at the dates of `cards` (dashboard.ranking.history:
    the month ends before the as-of date, then the as-of date), oldest first — the trend and 环比 of the cards."""
    frames = [plan_targets(card, counties) for card in cards]
    return {key: [f.filter(pl.col("key") == key)["值"][0] for f in frames] for key in frames[-1]["key"]}


def change_points(values: list[float | None]) -> float | None:
    """环比 in percentage points: the last value against the one before it (None when either is missing)."""
    if len(values) < 2 or values[-1] is None or values[-2] is None:
        return None
    return round((values[-1] - values[-2]) * 100, 2)


def _sparkline(values: list[float], width: int = 96, height: int = 26) -> str:
    """An inline SVG line of `values` (no script, nothing fetched), the last point marked."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    xs = [2 + i * (width - 4) / (len(values) - 1) for i in range(len(values))]
    ys = [height - 3 - (v - low) / span * (height - 6) for v in values]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    colour = GREEN if values[-1] >= values[-2] else RED
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
           f'<polyline points="{points}" fill="none" stroke="{BLUE}" stroke-width="1.8"/>'
           f'<circle cx="{xs[-1]:.1f}" cy="{ys[-1]:.1f}" r="2.8" fill="{colour}"/></svg>')
    # an image of its own: st.html's sanitiser drops inline SVG; a data: URI is drawn, and fetches nothing
    return (f'<img alt="近几个月总分走势" width="{width}" height="{height}" '
            f'src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}"/>')


def ranking_html(card: Scorecard, trends: dict[str, dict], selected: tuple[str, ...] = ()) -> str:
    """总览's ranked table for leaders and the projector: rank, county, total, 较上月末 with the trend of the last
    month ends, 通报 and its reasons in short — a plain HTML table whose text wraps (a data grid cuts long reasons),
    rows of counties named in the 通报 tinted, the sidebar's counties in bold. Every text is escaped."""
    rows = []
    for c in card.counties:
        t = trends[c.county_code]
        style = ' class="notice"' if c.notice else ""
        name = f"<b>{escape(c.county)}</b>" if c.county_code in selected else escape(c.county)
        rows.append(f"<tr{style}><td class='num'>{c.rank}</td><td class='name'>{name}</td><td class='num'>{float(c.total):.2f}</td>"
                    f"<td class='num'>{escape(t['text'])}</td><td>{_sparkline(t['totals'])}</td>"
                    f"<td class='flag'>{'⚑ 通报' if c.notice else '—'}</td><td class='why'>{escape(notice_in_short(card, c))}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("排名", "区县", "总分", "较上月末", "走势", "通报", "通报原因"))
    return (f"<style>{RANKING_CSS}</style><div class='tieling-ranking-box'><table class='tieling-ranking'><thead>"
            f"<tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


RANKING_CSS = """
.tieling-ranking { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
.tieling-ranking th { background: #f0f2f6; text-align: left; padding: 0.35rem 0.5rem; white-space: nowrap; }
.tieling-ranking td { border-top: 1px solid #e6e9ef; padding: 0.35rem 0.5rem; vertical-align: middle; }
.tieling-ranking td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.tieling-ranking td.why { font-size: 0.85em; color: #5c2b27; }
.tieling-ranking td.name, .tieling-ranking td.flag { white-space: nowrap; }
.tieling-ranking tr.notice td { background: #fde8e6; }
.tieling-ranking img { display: block; }
.tieling-ranking-box { overflow-x: auto; }
@media (max-width: 640px) {   /* a phone: no trend line, the reasons keep a readable width (the table scrolls) */
  .tieling-ranking th:nth-child(5), .tieling-ranking td:nth-child(5) { display: none; }
  .tieling-ranking td.why { min-width: 14em; }
}
"""


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
                           # a row each: side by side the names overlap on a phone
                           y="阶段", yshift=38 + 24 * (len(phases) - 1 - i), text=f"{name}({start:%-m.%-d}–{end:%-m.%-d})",
                           showarrow=False,
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
    # the as-of label sits beside its line, towards the middle: centred on it near the campaign's end it would run
    # past the chart (seen at 1920 px)
    share = (as_of - rubric.campaign_start).days / max((rubric.campaign_end - rubric.campaign_start).days, 1)
    fig.add_annotation(x=_ms(as_of), yref="paper", y=1.02, text=f"截至 {as_of:%m月%d日}", showarrow=False,
                       font={"color": AMBER}, yanchor="bottom",
                       xanchor="right" if share > 0.8 else "left" if share < 0.2 else "center")
    years = "、".join(str(y) for y in range(rubric.campaign_start.year, rubric.campaign_end.year + 1))
    fig.update_xaxes(type="date", range=[_ms(rubric.campaign_start - timedelta(days=4)),
                                         _ms(rubric.campaign_end + timedelta(days=5))],
                     tickformat="%m月", dtick="M1", title_text=f"{years}年(月)")
    fig.update_yaxes(title_text="阶段与节点", categoryorder="array", categoryarray=["报送节点", "阶段"])
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, height=320)
