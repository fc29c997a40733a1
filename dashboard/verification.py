"""核查与帮教: inmate verification tasks and released persons. Plain queries and charts, no Streamlit.

Definitions follow the scoring rubric (shared/spec/scoring.md #2, #3, #10 and the lost_contact deduction):
a task counts when its 下发日期 is in the period and at least 30 days before the as-of date; the as-of date
is the end of the chosen period or the latest data date, whichever is earlier.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard.charts import AMBER, BLUE, GREEN, GREY, RED, _layout, empty, reference_line
from dashboard.db import query
from dashboard.filters import Filters

TARGET = 0.90           # campaign plan: 核查率, 核查成功率 ≥ 90%
HANDOVER_TARGET = 1.00  # campaign plan: 重点帮教对象必接必送率 100%
OVERDUE_DAYS = 30       # scoring default: a task counts 30 days after it is issued


def as_of(f: Filters, path: Path | None = None) -> date:
    """The end of the chosen period or the latest data date, whichever is earlier."""
    from dashboard.ranking import default_as_of

    return min(f.last_day, default_as_of(path))


def _task_where(f: Filters, cutoff: date) -> tuple[str, dict]:
    where, params = f.sql(month_col=None, township_col="township_code")
    params.update(start=f.start, cutoff=cutoff)
    return f"{where} AND issued_date >= $start AND issued_date <= $cutoff", params


def _rates(group: str, f: Filters, day: date, path: Path | None) -> pl.DataFrame:
    where, params = _task_where(f, day - timedelta(days=OVERDUE_DAYS))
    params["asof"] = day
    return query(f"""
        SELECT {group}, count(*) AS 应核查任务数,
               count(*) FILTER (WHERE is_verified AND feedback_date <= $asof) AS 已核查任务数,
               count(*) FILTER (WHERE is_verified_successfully AND feedback_date <= $asof) AS 核查成功数
        FROM marts.verification_tasks WHERE {where}
        GROUP BY ALL ORDER BY ALL""", params, path).with_columns(
        (pl.col("已核查任务数") / pl.col("应核查任务数")).alias("核查率"),
        pl.when(pl.col("已核查任务数") > 0).then(pl.col("核查成功数") / pl.col("已核查任务数")).alias("核查成功率"))


def rates_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    return _rates("county_code AS 区县代码, county AS 区县", f, day, path)


def rates_by_month(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Per issue month, only months whose every task has had its 30 days by `day`: a month with one task old
    enough (issued on the 1st) would otherwise show as a collapse to 0% or a jump to 100%."""
    frame = _rates("CAST(date_trunc('month', issued_date) AS DATE) AS 下发月份", f, day, path)
    cutoff = day - timedelta(days=OVERDUE_DAYS)
    return frame.filter(pl.col("下发月份").dt.month_end() <= cutoff)


def kpis(f: Filters, day: date, path: Path | None = None) -> dict:
    by_county = rates_by_county(f, day, path)
    tasks, verified, ok = (int(by_county[c].sum()) for c in ("应核查任务数", "已核查任务数", "核查成功数"))
    where, params = _person_where(f, day)
    p = query(f"""
        SELECT count(*) FILTER (WHERE is_key_person) AS key_persons,
               count(*) FILTER (WHERE is_key_person AND is_escorted_handover) AS key_escorted,
               count(*) FILTER (WHERE is_lost_contact) AS lost
        FROM marts.released_persons WHERE {where}""", params, path).row(0, named=True)
    lost_where, lost_params = _lost_where(f)
    p["lost"] = query(f"SELECT count(*) AS n FROM marts.released_persons WHERE {lost_where} AND is_lost_contact",
                      lost_params, path)["n"][0]
    return {
        "tasks": tasks, "verified": verified, "succeeded": ok,
        "verification_rate": verified / tasks if tasks else None,
        "success_rate": ok / verified if verified else None,
        "key_persons": p["key_persons"], "key_escorted": p["key_escorted"],
        "handover_rate": p["key_escorted"] / p["key_persons"] if p["key_persons"] else None,
        "lost_contact": p["lost"],
    }


def overdue(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Tasks issued in the period, at least 30 days before as-of, still not verified; most overdue first."""
    where, params = _task_where(f, day - timedelta(days=OVERDUE_DAYS))
    params["asof"] = day
    return query(f"""
        SELECT county AS 区县, coalesce(township, '未识别乡镇') AS 乡镇, task_id AS 核查编号, prison_name AS 监狱名称,
               issued_date AS 下发日期, (CAST($asof AS DATE) - issued_date) - {OVERDUE_DAYS} AS 超期天数
        FROM marts.verification_tasks
        WHERE {where} AND NOT (coalesce(is_verified, false) AND feedback_date <= $asof)
        ORDER BY 超期天数 DESC, 区县, 乡镇, 核查编号""", params, path)


def _person_where(f: Filters, day: date) -> tuple[str, dict]:
    where, params = f.sql(month_col=None, township_col="township_code")
    params.update(start=f.start, asof=day)
    return f"{where} AND released_date >= $start AND released_date <= $asof", params


def key_handover_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    where, params = _person_where(f, day)
    return query(f"""
        SELECT county AS 区县, count(*) FILTER (WHERE is_escorted_handover) AS 必接必送,
               count(*) FILTER (WHERE NOT coalesce(is_escorted_handover, false)) AS 其他衔接方式
        FROM marts.released_persons WHERE {where} AND is_key_person
        GROUP BY ALL ORDER BY 区县""", params, path).with_columns(
        (pl.col("必接必送") / (pl.col("必接必送") + pl.col("其他衔接方式"))).alias("必接必送率"))


def status_by_county(column: str, f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Persons per county and 安置情况 (resettlement_status) or 帮教情况 (assistance_status), long form."""
    assert column in ("resettlement_status", "assistance_status")
    where, params = _person_where(f, day)
    return query(f"""
        SELECT county AS 区县, coalesce({column}, '未填写') AS 情况, count(*) AS 人数
        FROM marts.released_persons WHERE {where} GROUP BY ALL ORDER BY 区县, 情况""", params, path)


def _lost_where(f: Filters) -> tuple[str, dict]:
    """脱管/漏管 as the scoring deduction counts it: a person's latest status, whatever the release date."""
    return f.sql(month_col=None, township_col="township_code")


def lost_contact(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    where, params = _lost_where(f)
    return query(f"""
        SELECT county AS 区县, coalesce(township, '未识别乡镇') AS 乡镇, person_id AS 人员编号, name_masked AS 姓名,
               released_date AS 释放日期, assistance_status AS 帮教情况
        FROM marts.released_persons WHERE {where} AND is_lost_contact
        ORDER BY 区县, 乡镇, 释放日期, 人员编号""", params, path)


def separated_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    where, params = _person_where(f, day)
    return query(f"""
        SELECT county AS 区县, count(*) FILTER (WHERE is_away_from_registered_residence) AS 人户分离人数,
               count(*) AS 释放人数
        FROM marts.released_persons WHERE {where} GROUP BY ALL ORDER BY 区县""", params, path)


# ------------------------------------------------------------------ charts

def _target_line(fig: go.Figure, target: float) -> None:
    reference_line(fig, target, f"目标<br>{target:.0%}")


def rates_by_county_chart(frame: pl.DataFrame) -> go.Figure:
    title = f"各区县核查率与核查成功率(目标 ≥ {TARGET:.0%})"
    if frame.is_empty():
        return empty(title, "当前筛选条件下没有应核查任务")
    fig = go.Figure([
        go.Bar(x=frame["区县"], y=frame["核查率"], name="核查率", marker_color=BLUE,
               text=[f"{v:.1%}" for v in frame["核查率"]], textposition="outside", cliponaxis=False,
               customdata=frame.select("已核查任务数", "应核查任务数").rows(),
               hovertemplate="%{x}<br>核查率:%{y:.1%}<br>已核查 %{customdata[0]:,} / 应核查 %{customdata[1]:,} 件"
                             "<extra></extra>"),
        go.Bar(x=frame["区县"], y=frame["核查成功率"], name="核查成功率", marker_color=GREEN,
               text=["—" if v is None else f"{v:.1%}" for v in frame["核查成功率"]], textposition="outside",
               cliponaxis=False, customdata=frame.select("核查成功数", "已核查任务数").rows(),
               hovertemplate="%{x}<br>核查成功率:%{y:.1%}<br>核查成功 %{customdata[0]:,} / 已核查 %{customdata[1]:,} 件"
                             "<extra></extra>"),
    ])
    _target_line(fig, TARGET)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="比率(%)", tickformat=".0%", range=[0, 1.15])
    fig.update_xaxes(title_text="区县(户籍地)")
    fig = _layout(fig, title)
    fig.update_layout(margin={"r": 50})
    return fig


def rates_by_month_chart(frame: pl.DataFrame) -> go.Figure:
    title = "各下发月份核查率与核查成功率(下发满30天的整月)"
    if frame.is_empty():
        return empty(title, "当前筛选条件下没有已满30天的整月任务")
    months = [f"{d.month}月" for d in frame["下发月份"]]
    fig = go.Figure([
        go.Scatter(x=months, y=frame["核查率"], name="核查率", mode="lines+markers", line={"color": BLUE, "width": 3},
                   hovertemplate="%{x}<br>核查率:%{y:.1%}<extra></extra>"),
        go.Scatter(x=months, y=frame["核查成功率"], name="核查成功率", mode="lines+markers",
                   line={"color": GREEN, "width": 3}, hovertemplate="%{x}<br>核查成功率:%{y:.1%}<extra></extra>"),
    ])
    _target_line(fig, TARGET)
    fig.update_yaxes(title_text="比率(%)", tickformat=".0%", range=[0, 1.1])
    fig.update_xaxes(title_text="下发月份(2023年)")
    fig = _layout(fig, title)
    fig.update_layout(margin={"r": 50})
    return fig


def handover_chart(frame: pl.DataFrame) -> go.Figure:
    title = "各区县重点帮教对象衔接方式(人)"
    if frame.is_empty():
        return empty(title, "当前筛选条件下没有重点帮教对象")
    fig = go.Figure([
        go.Bar(x=frame["区县"], y=frame["必接必送"], name="必接必送", marker_color=GREEN,
               hovertemplate="%{x}<br>必接必送:%{y:,} 人<extra></extra>"),
        go.Bar(x=frame["区县"], y=frame["其他衔接方式"], name="其他衔接方式", marker_color=RED,
               hovertemplate="%{x}<br>其他衔接方式:%{y:,} 人<extra></extra>"),
    ])
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="人数(人)", tickformat=",d")
    fig.update_xaxes(title_text="区县(户籍地)")
    return _layout(fig, title)


PALETTE = [BLUE, GREEN, AMBER, RED, GREY, "#6a1b9a", "#00838f", "#5d4037"]


def status_chart(frame: pl.DataFrame, title: str) -> go.Figure:
    if frame.is_empty():
        return empty(title, "当前筛选条件下没有刑满释放人员")
    fig = go.Figure([
        go.Bar(x=frame.filter(pl.col("情况") == name)["区县"], y=frame.filter(pl.col("情况") == name)["人数"],
               name=name, marker_color=PALETTE[i % len(PALETTE)],
               hovertemplate=f"%{{x}}<br>{name}:%{{y:,}} 人<extra></extra>")
        for i, name in enumerate(sorted(frame["情况"].unique()))
    ])
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="人数(人)", tickformat=",d")
    fig.update_xaxes(title_text="区县(户籍地)")
    return _layout(fig, title)
