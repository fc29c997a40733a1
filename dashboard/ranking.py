"""考评排名: plain functions behind the ranking page (no Streamlit here).

Scoring runs through warehouse.scoring on the warehouse file (dashboard.db.warehouse_path() unless a path is
given); the page calls these through dashboard.frame.data(), so results are cached per warehouse version, as-of
date and weights. `with_weights` is a small adapter: the scoring API takes a Rubric, and the what-if panel needs
the shipped rubric with only its twelve weights replaced (the rubric file is never touched).
"""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import access, db, quality
from dashboard.charts import FONT, GREEN, GREY, RED, _layout
from dashboard.definitions import deduction_definitions, indicator_definitions
from dashboard.display import readable
from dashboard.downloads import workbook_bytes
from warehouse import metrics as wh_metrics
from warehouse import report, score_export, scoring
from warehouse.rubric import Rubric, rubric_in_force
from warehouse.scoring import DATA_GAP, DATA_PROBLEM, NOT_APPLICABLE, Scorecard
from warehouse.trace import COLUMN_LABELS, Trace, by_township, trace

INDICATOR_KEYS = scoring.INDICATOR_KEYS
DEDUCTION_KEYS = scoring.DEDUCTION_KEYS
SCORING_RULES = ("得分 = 权重 × 值 ÷ 目标(最高按 1 计)(调处化解中心建设为 权重 × 值),保留两位小数;"
                 "总分 = 各项得分之和 − 扣分,最低 0 分;总分相同名次相同,下一名次顺延(1、2、2、4)。"
                 "分母为 0:录入率、慧评理注册使用率记 0 分(数据缺失),其余记满分(不适用)。"
                 "列入通报:任一方案目标未达到,或有任一扣分。")


# --- scoring on the warehouse file ---------------------------------------------------------------------------

def compare_default(as_of: date) -> date:
    """The comparison date 排名对比 starts from: the end of the month before the as-of date's month (the change
    since last month), kept within the campaign."""
    rubric = rubric_in_force()
    previous = as_of.replace(day=1) - timedelta(days=1)
    return max(rubric.campaign_start, min(previous, as_of))


def default_weights() -> tuple[float, ...]:
    """The twelve weights of the rubric in force, in indicator order."""
    rubric = rubric_in_force()
    return tuple(float(rubric.indicators[k].weight) for k in INDICATOR_KEYS)


def with_weights(rubric: Rubric, weights: tuple[float, ...] | dict[str, float] | None) -> Rubric:
    """The rubric with its twelve weights replaced (adapter: the scoring API has no weight override).
    Everything else — targets, deadlines, deductions — stays as in `rubric`; the file is not touched."""
    if weights is None:
        return rubric
    if not isinstance(weights, dict):
        weights = dict(zip(INDICATOR_KEYS, weights, strict=True))
    unknown = set(weights) - set(rubric.indicators)
    if unknown:
        raise KeyError(f"未知的指标:{', '.join(sorted(unknown))}")
    bad = [k for k, w in weights.items() if w is None or w < 0]
    if bad:
        raise ValueError(f"权重不能为负数:{', '.join(bad)}")
    indicators = {k: dataclasses.replace(r, weight=_plain(weights.get(k, r.weight)))
                  for k, r in rubric.indicators.items()}
    changed = any(indicators[k].weight_q != r.weight_q for k, r in rubric.indicators.items())
    source = f"{rubric.source}(权重模拟)" if changed else rubric.source
    return dataclasses.replace(rubric, indicators=indicators, source=source, warnings=())


def _plain(w: float) -> int | float:
    w = float(w)
    return int(w) if w.is_integer() else w


def weight_sum(weights: tuple[float, ...]) -> float:
    return round(sum(float(w) for w in weights), 6)


def scorecard(as_of: date | None = None, weights: tuple[float, ...] | None = None,
              path: Path | None = None) -> Scorecard:
    """score() on the warehouse file at `as_of` (None: the default) with the rubric in force, or with `weights`.

    The ranked table of all seven counties is published to every county, so it is scored on the whole warehouse
    whoever asks (db.connection(published=True)): it holds only county-level figures, never a record."""
    with db.connection(path, published=True) as con:
        return scoring.score(con, as_of=as_of, rubric=with_weights(rubric_in_force(), weights))


TREND_MONTHS = 6   # month ends a trend shows, the as-of date's included


def trend_dates(as_of: date, months: int = TREND_MONTHS) -> list[date]:
    """The month ends before `as_of` within the campaign (at most `months - 1`, oldest first), then `as_of` itself."""
    start = rubric_in_force().campaign_start
    ends, day = [], as_of.replace(day=1) - timedelta(days=1)
    while day >= start and len(ends) < months - 1:
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return [*reversed(ends), as_of]


def history(as_of: date, path: Path | None = None) -> list[Scorecard]:
    """The scorecards at trend_dates(as_of), oldest first, the last at `as_of`: 环比 is the last against the one
    before it (the end of the previous month), the trend all of them. Scored on two threads (DuckDB works outside
    Python's lock), each on its own cursor; the same scorecard() as everywhere."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda day: scorecard(day, None, path), trend_dates(as_of)))


def change_text(now: float, before: float | None, rank_now: int | None = None, rank_before: int | None = None) -> str:
    """A county's total against the previous month's end: '+2.31 分,↑1 名' ('—' in the campaign's first month)."""
    if before is None:
        return "—"
    text = f"{round(now - before, 2):+.2f} 分"
    if rank_now is not None and rank_before is not None and rank_now != rank_before:
        text += f",{'↑' if rank_now < rank_before else '↓'}{abs(rank_before - rank_now)} 名"
    return text


def county_trends(cards: list[Scorecard]) -> dict[str, dict]:
    """Per county code: its totals at each date of `cards` (oldest first) and 较上月末 as text, the change of total
    and rank since the card before the last ('—' when there is only one)."""
    last, before = cards[-1], (cards[-2] if len(cards) > 1 else None)
    out = {}
    for c in last.counties:
        totals = [float(card.county(c.county_code).total) for card in cards]
        old = before.county(c.county_code) if before else None
        out[c.county_code] = {"totals": totals, "text": change_text(float(c.total), None if old is None else float(old.total), c.rank,
                                                  None if old is None else old.rank)}
    return out


def drill_down(county: str, key: str, as_of: date | None = None, weights: tuple[float, ...] | None = None,
               path: Path | None = None) -> Trace:
    """The records behind one county's indicator or deduction (warehouse.trace): a record list, scoped like every
    query, and refused to a 县区用户 for any county but their own."""
    access.require("records")
    principal = access.current()
    if principal.county is not None and county != principal.county:
        raise access.Forbidden("只能查看本区县的明细")
    with db.connection(path) as con:
        return trace(con, county, key, as_of=as_of, rubric=with_weights(rubric_in_force(), weights))


def for_download(card: Scorecard) -> Scorecard:
    """The ranked table as the current user may download it: all seven counties, or a 县区用户's own county alone
    (its rank and total as published). The page shows the whole table to everyone; every download is scoped."""
    own = access.current().county
    if own is None:
        return card
    return dataclasses.replace(card, counties=[c for c in card.counties if c.county_code == own])


def xlsx_bytes(card: Scorecard) -> bytes:
    return score_export.to_xlsx_bytes(for_download(card))


def csv_bytes(card: Scorecard) -> bytes:
    return score_export.to_csv_bytes(for_download(card))


DOCUMENTS = {"notice": ("下载通报征求意见稿(Word)", "通报"), "briefing": ("下载月度简报(Word)", "简报")}


def document_bytes(card: Scorecard, kind: str, path: Path | None = None) -> bytes:
    """The 通报 draft or the monthly 简报 (warehouse.report) at the card's date, for users of all counties: the
    documents weigh every county against the others, so a 县区用户 is refused (they download their own row)."""
    if access.current().county is not None:
        raise access.Forbidden("通报和简报涵盖全市各区县,由市局起草和下载")
    if kind == "notice":
        return report.to_bytes(report.notice(card))
    try:
        previous = scorecard(report.previous_month_end(card.as_of), None, path)
    except scoring.ScoringError:       # the campaign's first month: nothing to compare with
        previous = None
    return report.to_bytes(report.briefing(card, previous))


# --- the ranked table as shown ----------------------------------------------------------------------------------

def pct_text(value: float | None, below: float | None = None) -> str:
    """0.9347 → '93.5%'. With `below` (the target), a value under it gets more decimals (up to 4) rather than
    be shown rounded up to the target (0.09997 against 10 % → '9.997%', not '10.0%')."""
    if value is None:
        return "—"
    for places in range(1, 5):
        if below is None or value >= below or round(value * 100, places) < below * 100:
            break
    return f"{value * 100:,.{places}f}%"


def mark(r: scoring.IndicatorResult) -> str:
    """✓ met, ✗ missed, 不适用, 数据缺失, ⚠ above 100% (a data problem)."""
    if r.mark == DATA_PROBLEM:
        return "⚠ 超过100%"
    if r.mark in (NOT_APPLICABLE, DATA_GAP):
        return r.mark
    return "✓" if r.met else "✗"


def cell_text(r: scoring.IndicatorResult) -> str:
    if r.value is None:
        return mark(r)
    return f"{pct_text(float(r.value), float(r.target))} {mark(r)}"


def display_table(card: Scorecard, trends: dict[str, dict] | None = None) -> pl.DataFrame:
    """One row per county in rank order: 排名, 区县, 总分 (with `trends`, county_trends(): 较上月末 and 总分走势, the
    totals at the last month ends), each indicator's value with its mark and points, each deduction (negative),
    通报 and its reasons."""
    rubric = card.rubric
    rows = []
    for c in card.counties:
        row: dict = {"排名": c.rank, "区县": c.county, "总分": float(c.total)}
        if trends is not None:
            row |= {"较上月末": trends[c.county_code]["text"], "总分走势": trends[c.county_code]["totals"]}
        for key in INDICATOR_KEYS:
            r = c.indicators[key]
            row[rubric.indicators[key].name] = cell_text(r)
        for key in INDICATOR_KEYS:
            row[f"{rubric.indicators[key].name}得分"] = float(c.indicators[key].points)
        for key in DEDUCTION_KEYS:
            row[f"扣分:{rubric.deductions[key].name}"] = -float(c.deductions[key]) if c.deductions[key] else 0.0
        row["通报"] = "⚑ 通报" if c.notice else "—"
        row["通报原因"] = ";".join(c.notice_reasons)
        rows.append(row)
    return pl.DataFrame(rows)


def indicator_columns(card: Scorecard) -> dict[str, str]:
    """Column name → key for the indicator value columns of display_table."""
    return {card.rubric.indicators[k].name: k for k in INDICATOR_KEYS}


# --- charts -------------------------------------------------------------------------------------------------------

PALETTE = ["#1f5fa8", "#4e9bd6", "#2e7d32", "#7cb342", "#e69100", "#ffb74d", "#6a1b9a", "#ab47bc",
           "#00838f", "#4dd0e1", "#795548", "#90a4ae"]
DEDUCTION_COLOURS = ["#c0392b", "#e57373", "#8e1b10"]


def points_breakdown(card: Scorecard) -> go.Figure:
    """Stacked horizontal bars: each county's points per indicator, deductions to the left of zero."""
    title = f"各区县分项得分构成(分,截至 {card.as_of:%Y-%m-%d})"
    counties = list(reversed(card.counties))  # rank 1 at the top
    names = [f"{c.county}(第{c.rank}名,{float(c.total):.2f}分)" for c in counties]
    fig = go.Figure()
    for i, key in enumerate(INDICATOR_KEYS):
        rule = card.rubric.indicators[key]
        fig.add_bar(y=names, x=[float(c.indicators[key].points) for c in counties], orientation="h",
                    name=rule.name, marker_color=PALETTE[i % len(PALETTE)],
                    hovertemplate=f"%{{y}}<br>{rule.name}:%{{x:.2f}} 分(满分 {rule.weight:g} 分)<extra></extra>")
    for i, key in enumerate(DEDUCTION_KEYS):
        d = card.rubric.deductions[key]
        values = [-float(c.deductions[key]) for c in counties]
        if any(values):
            fig.add_bar(y=names, x=values, orientation="h", name=f"扣分:{d.name}",
                        marker_color=DEDUCTION_COLOURS[i % len(DEDUCTION_COLOURS)],
                        hovertemplate=f"%{{y}}<br>{d.name}:%{{x:.2f}} 分<extra></extra>")
    fig.update_layout(barmode="relative")
    low = min([0.0] + [-float(sum(c.deductions.values())) for c in counties])
    fig.update_xaxes(title_text="得分(分)", range=[low - 2 if low < 0 else 0, 105], zeroline=True,
                     zerolinecolor="#555555")
    fig.update_yaxes(title_text="区县")
    fig = _layout(fig, title, height=520)
    fig.update_layout(legend={"orientation": "h", "y": -0.2, "x": 0}, margin={"b": 110})
    return fig


def rank_comparison(before: Scorecard, after: Scorecard, before_label: str | None = None,
                    after_label: str | None = None) -> pl.DataFrame:
    """Each county's rank and total in two scorecards, with the change (↑ up, ↓ down, → same), in `after` order."""
    a_label = before_label or f"{before.as_of.month}月{before.as_of.day}日"
    b_label = after_label or f"{after.as_of.month}月{after.as_of.day}日"
    old = {c.county_code: c for c in before.counties}
    rows = []
    for c in after.counties:
        o = old[c.county_code]
        move = o.rank - c.rank
        arrow = f"↑ 升 {move} 位" if move > 0 else f"↓ 降 {-move} 位" if move < 0 else "→ 不变"
        rows.append({"区县": c.county, f"排名({a_label})": o.rank, f"总分({a_label})": float(o.total),
                     f"排名({b_label})": c.rank, f"总分({b_label})": float(c.total), "名次变化": arrow,
                     "变化位数": move})
    return pl.DataFrame(rows)


def rank_slope(before: Scorecard, after: Scorecard, title: str | None = None,
               before_label: str | None = None, after_label: str | None = None) -> go.Figure:
    """A slope chart of ranks: left the earlier date (or official), right the chosen one; rank 1 at the top."""
    a_label = before_label or f"截至 {before.as_of:%Y-%m-%d}"
    b_label = after_label or f"截至 {after.as_of:%Y-%m-%d}"
    title = title or f"排名变化:{a_label} → {b_label}"
    old = {c.county_code: c for c in before.counties}
    fig = go.Figure()
    for c in after.counties:
        o = old[c.county_code]
        colour = GREEN if o.rank > c.rank else RED if o.rank < c.rank else GREY
        move = o.rank - c.rank
        arrow = f"↑{move}" if move > 0 else f"↓{-move}" if move < 0 else "→"
        # the county is named once, at the right end; the left end is read off the rank axis
        fig.add_scatter(x=[a_label, b_label], y=[o.rank, c.rank], mode="lines+markers+text",
                        line={"color": colour, "width": 3}, marker={"size": 10}, name=c.county, showlegend=False,
                        text=["", f"{c.county} {arrow}"], textposition="middle right", textfont={"family": FONT},
                        hovertemplate=f"{c.county}<br>%{{x}}:第 %{{y}} 名<extra></extra>", cliponaxis=False)
    n = max(len(after.counties), 1)
    fig.update_yaxes(title_text="排名(名)", autorange=False, range=[n + 0.5, 0.5], tickvals=list(range(1, n + 1)),
                     ticktext=[f"第{i}名" for i in range(1, n + 1)], showgrid=True)
    fig.update_xaxes(title_text="截至日期", showgrid=False)
    fig = _layout(fig, title, height=420)
    fig.update_layout(margin={"l": 10, "r": 110})
    return fig


def whatif_comparison(official: Scorecard, simulated: Scorecard) -> pl.DataFrame:
    """Official vs simulated ranks and totals, in simulated rank order, with the move."""
    return rank_comparison(official, simulated, "正式", "模拟")


# --- drill-down ---------------------------------------------------------------------------------------------------

def labelled(frame: pl.DataFrame | None, screen: bool = True) -> pl.DataFrame:
    """Trace records with Chinese column names; bookkeeping columns dropped. For the `screen`, gaps show as — and
    flags as 是/否 (dashboard.display); a download keeps the types (an empty cell, numbers and dates as such)."""
    if frame is None:
        return pl.DataFrame()
    drop = [c for c in ("county_code", "township_code") if c in frame.columns]
    frame = frame.drop(drop)
    # a date held as a midnight datetime is shown as the date (2023-03-15, not 2023-03-15 00:00:00)
    midnight = [c for c, t in frame.schema.items() if t.base_type() == pl.Datetime
                and frame[c].drop_nulls().dt.time().cast(pl.Utf8).eq("00:00:00").all()]
    frame = frame.with_columns(pl.col(midnight).cast(pl.Date)) if midnight else frame
    if screen:   # a column empty in every record says nothing on screen
        frame = readable(frame.select([c for c in frame.columns if frame[c].null_count() < frame.height]
                                      or frame.columns))
    return frame.rename({c: COLUMN_LABELS.get(c, c) for c in frame.columns})


TOWNSHIP_COLUMNS = {"township": "乡镇(街道)", "records": "记录数", "numerator": "分子", "denominator": "分母",
                    "value": "值"}


def township_table(tr: Trace, screen: bool = False) -> pl.DataFrame:
    """The trace per township (warehouse.trace.by_township) with Chinese headings: 乡镇(街道), 记录数, and for an
    indicator 分子, 分母, 值 (a share; empty where the value cannot be cut by township). On `screen` the share is
    text (93.5%, or — where there is none)."""
    frame = by_township(tr).drop("township_code")
    if screen and "value" in frame.columns:
        frame = frame.with_columns(pl.col("value").map_elements(pct_text, return_dtype=pl.String).fill_null("—"))
    return frame.rename({c: TOWNSHIP_COLUMNS[c] for c in frame.columns})


def trace_workbook(tr: Trace, quarantine: pl.DataFrame) -> bytes:
    """The trace as one XLSX: the township breakdown, the records (numerator and denominator, or the deduction's),
    and the county's quarantined rows in the datasets the rule reads."""
    sheets = [("按乡镇(街道)", township_table(tr), ("值",))]
    if tr.result is not None:
        sheets += [("计入分子的记录", labelled(tr.numerator, screen=False), ()),
                   ("计入分母的记录", labelled(tr.denominator, screen=False), ())]
    else:
        sheets.append(("计入的记录", labelled(tr.records, screen=False), ()))
    sheets.append(("隔离数据", quarantine, ()))
    return workbook_bytes(f"{tr.county}·{tr.name} 明细追溯", f"截至 {tr.as_of:%Y-%m-%d}", sheets)


def trace_file_name(tr: Trace) -> str:
    return f"{tr.county}_{tr.name}_明细追溯_截至{tr.as_of:%Y-%m-%d}.xlsx"


def cell_target(card: Scorecard, row: int, column: str) -> tuple[str, str] | None:
    """(county code, indicator or deduction key) of a cell of display_table — its value, its points or its
    deduction column — or None for the other columns (排名, 总分, 通报 …)."""
    if not 0 <= row < len(card.counties):
        return None
    keys = {card.rubric.indicators[k].name: k for k in INDICATOR_KEYS}
    keys |= {f"{name}得分": k for name, k in list(keys.items())}
    keys |= {f"扣分:{card.rubric.deductions[k].name}": k for k in DEDUCTION_KEYS}
    return (card.counties[row].county_code, keys[column]) if column in keys else None


def township_value_cut(key: str) -> bool:
    """Whether an indicator's value has a meaning per township (its SQL's `-- cut by:` line names township)."""
    return "township_code" in wh_metrics.cut_by(key)


def quarantined(county: str, key: str, path: Path | None = None) -> pl.DataFrame:
    """The county's rows held in quarantine in the datasets indicator or deduction `key` reads
    (warehouse.metrics.datasets_read): 数据集, 隔离行数, 原因 — rows a county may be missing from its score."""
    return quality.quarantine_summary(
        quality.QuarantineFilter(datasets=wh_metrics.datasets_read(key), counties=(county,)), path)


def date_columns(frame: pl.DataFrame) -> tuple[list[str], list[str]]:
    """(date columns, datetime columns) of a frame, for the page's column formats."""
    dates = [c for c, t in frame.schema.items() if t == pl.Date]
    datetimes = [c for c, t in frame.schema.items() if t.base_type() == pl.Datetime]
    return dates, datetimes


def drill_options(card: Scorecard) -> dict[str, str]:
    """key → Chinese name, indicators (numbered) then deductions."""
    out = {k: f"{i}. {card.rubric.indicators[k].name}" for i, k in enumerate(INDICATOR_KEYS, start=1)}
    out |= {k: f"扣分:{card.rubric.deductions[k].name}" for k in DEDUCTION_KEYS}
    return out


def definitions_markdown(rubric: Rubric | None = None) -> str:
    """口径 of the twelve indicators, the deductions and the points, with the values of the rubric (in force)."""
    rubric = rubric or rubric_in_force()
    texts, deductions = indicator_definitions(rubric), deduction_definitions(rubric)
    lines = [f"{i}. **{rubric.indicators[k].name}**(权重 {rubric.indicators[k].weight:g} 分):{texts[k]}"
             for i, k in enumerate(INDICATOR_KEYS, 1)]
    lines += [f"- **扣分:{rubric.deductions[k].name}**:{deductions[k]}" for k in DEDUCTION_KEYS]
    lines += ["", SCORING_RULES, "", f"考评细则:{rubric.label}"]
    return "\n".join(lines)

