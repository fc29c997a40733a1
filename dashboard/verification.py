"""核查与帮教: inmate verification tasks and released persons. Plain queries and charts, no Streamlit.

核查率, 核查成功率, 必接必送率 and 脱管/漏管 are the scoring's own records (indicators 2, 3, 10 and the lost_contact
deduction, via dashboard.metrics) cut by the sidebar's county, township and period and summed per county or month:
the page and 考评排名 count the same tasks and persons. The verification window is the rubric's.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from dashboard import access, metrics
from dashboard.charts import (AMBER, BLUE, GREEN, GREY, INCOMPLETE, RED, _layout, empty, month_axis_title,
                              month_labels, reference_line)
from dashboard.db import query
from dashboard.definitions import pct
from dashboard.filters import Filters, month_end
from warehouse.rubric import rubric_in_force


FIELDS = ("townships",)  # the sidebar filters this page's data can be cut by (pages say which it is not)


def window_days() -> int:
    """Days a task has to be verified before it counts (the rubric's verification window)."""
    return int(rubric_in_force().param("verification_rate", "window_days"))


def targets() -> dict[str, float]:
    r = rubric_in_force().indicators
    return {k: r[k].target for k in ("verification_rate", "verification_success_rate", "key_handover_rate")}


def _both(f: Filters, day: date, by: tuple[str, ...], path: Path | None) -> pl.DataFrame:
    """核查率 (indicator 2) and 核查成功率 (indicator 3) per group: tasks due, verified, verified successfully."""
    rate = metrics.results("verification_rate", f, day, by, fields=FIELDS, path=path)
    success = metrics.results("verification_success_rate", f, day, by, fields=FIELDS, path=path)
    frame = rate.select(*by, pl.col("denominator").alias("应核查任务数"), pl.col("numerator").cast(pl.Int64).alias("已核查任务数"),
                        pl.col("value").alias("核查率"))
    success = success.select(*by, pl.col("numerator").cast(pl.Int64).alias("核查成功数"), pl.col("value").alias("核查成功率"))
    return metrics.side_by_side(frame, success, by).with_columns(pl.col("核查成功数").fill_null(0))


def rates_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    names = metrics.county_names(path)
    return (_both(f, day, ("county_code",), path).join(names, on="county_code", how="left")
            .select(pl.col("county_code").alias("区县代码"), "区县", pl.exclude("county_code", "区县")))


def rates_by_month(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Per issue month; a month is complete (完整) when every task issued in it has had its window by `day`: until
    then it holds only the tasks of its first days and would show a collapse or a jump."""
    frame = _both(f, day, ("month",), path).rename({"month": "下发月份"})
    cutoff = day - timedelta(days=window_days())
    return frame.with_columns(pl.col("下发月份").map_elements(lambda m: month_end(m) <= cutoff, return_dtype=pl.Boolean)
                              .alias("完整"))


def kpis(f: Filters, day: date, path: Path | None = None) -> dict:
    both = _both(f, day, (), path).row(0, named=True)
    handover = metrics.result("key_handover_rate", f, day, fields=FIELDS, path=path)
    lost = metrics.counts("lost_contact", f, day, fields=FIELDS, path=path).item()
    return {
        "tasks": both["应核查任务数"], "verified": both["已核查任务数"], "succeeded": both["核查成功数"],
        "verification_rate": both["核查率"], "success_rate": both["核查成功率"],
        "key_persons": handover["denominator"], "key_escorted": int(handover["numerator"]),
        "handover_rate": handover["value"], "lost_contact": lost,
    }


def overdue(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Tasks due (issued in the period, their window past by `day`) still not verified; most overdue first."""
    access.require("records")
    tasks = metrics.records("verification_rate", f, day, fields=FIELDS, path=path).filter(~pl.col("in_numerator"))
    names = metrics.county_names(path)
    return (tasks.join(names, on="county_code", how="left")
            .select("区县", pl.col("township").fill_null("未识别乡镇").alias("乡镇"), pl.col("record_id").alias("核查编号"),
                    pl.col("prison_name").alias("监狱名称"), pl.col("issued_date").alias("下发日期"),
                    pl.col("days_overdue").alias("超期天数"))
            .sort(["超期天数", "区县", "乡镇", "核查编号"], descending=[True, False, False, False]))


def _person_where(f: Filters, day: date) -> tuple[str, dict]:
    where, params = f.sql(month_col=None, township_col="township_code")
    params.update(start=f.start, asof=day)
    return f"{where} AND released_date >= $start AND released_date <= $asof", params


def key_handover_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Indicator 10 per county: key persons released in the period handed over 必接必送, and the others."""
    rate = metrics.results("key_handover_rate", f, day, ("county_code",), fields=FIELDS, path=path)
    return (rate.join(metrics.county_names(path), on="county_code", how="left")
            .select("区县", pl.col("numerator").cast(pl.Int64).alias("必接必送"),
                    (pl.col("denominator") - pl.col("numerator").cast(pl.Int64)).alias("其他衔接方式"),
                    pl.col("value").alias("必接必送率")))


def status_by_county(column: str, f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """Persons per county and 安置情况 (resettlement_status) or 帮教情况 (assistance_status), long form."""
    assert column in ("resettlement_status", "assistance_status")
    where, params = _person_where(f, day)
    return query(f"""
        SELECT county AS 区县, coalesce({column}, '未填写') AS 情况, count(*) AS 人数
        FROM marts.released_persons WHERE {where} GROUP BY ALL ORDER BY 区县, 情况""", params, path)


def lost_contact(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    """The persons of the lost_contact deduction (their latest status 脱管 or 漏管, whatever the release date)."""
    access.require("records")
    lost = metrics.records("lost_contact", f, day, fields=FIELDS, path=path)
    return (lost.join(metrics.county_names(path), on="county_code", how="left")
            .select("区县", pl.col("township").fill_null("未识别乡镇").alias("乡镇"), pl.col("record_id").alias("人员编号"),
                    pl.col("name_masked").alias("姓名"), pl.col("released_date").alias("释放日期"),
                    pl.col("assistance_status").alias("帮教情况"))
            .sort(["区县", "乡镇", "释放日期", "人员编号"], nulls_last=True))


def separated_by_county(f: Filters, day: date, path: Path | None = None) -> pl.DataFrame:
    where, params = _person_where(f, day)
    return query(f"""
        SELECT county AS 区县, count(*) FILTER (WHERE is_away_from_registered_residence) AS 人户分离人数,
               count(*) AS 释放人数
        FROM marts.released_persons WHERE {where} GROUP BY ALL ORDER BY 区县""", params, path)


# ------------------------------------------------------------------ charts

def _target_line(fig: go.Figure, target: float) -> None:
    reference_line(fig, target, f"目标<br>{pct(target)}")


def _target_text() -> str:
    t = targets()
    rate, success = t["verification_rate"], t["verification_success_rate"]
    return f"目标 ≥ {pct(rate)}" if rate == success else f"目标:核查率 ≥ {pct(rate)},核查成功率 ≥ {pct(success)}"


def rates_by_county_chart(frame: pl.DataFrame) -> go.Figure:
    title = f"各区县核查率与核查成功率({_target_text()})"
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
    _target_line(fig, targets()["verification_rate"])
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="比率(%)", tickformat=".0%", range=[0, 1.15])
    fig.update_xaxes(title_text="区县(户籍地)")
    fig = _layout(fig, title)
    fig.update_layout(margin={"r": 50})
    return fig


def rates_by_month_chart(frame: pl.DataFrame) -> go.Figure:
    title = f"各下发月份核查率与核查成功率(下发满 {window_days()} 天的任务)"
    if frame.is_empty():
        return empty(title, f"当前筛选条件下没有下发满 {window_days()} 天的任务")
    months = month_labels(frame["下发月份"], frame["完整"])
    fig = go.Figure([
        go.Scatter(x=months, y=frame["核查率"], name="核查率", mode="lines+markers", line={"color": BLUE, "width": 3},
                   hovertemplate="%{x}<br>核查率:%{y:.1%}<extra></extra>"),
        go.Scatter(x=months, y=frame["核查成功率"], name="核查成功率", mode="lines+markers",
                   line={"color": GREEN, "width": 3}, hovertemplate="%{x}<br>核查成功率:%{y:.1%}<extra></extra>"),
    ])
    _target_line(fig, targets()["verification_rate"])
    fig.update_yaxes(title_text="比率(%)", tickformat=".0%", range=[0, 1.1])
    fig.update_xaxes(title_text=month_axis_title(frame["下发月份"], "下发月份"))
    fig = _layout(fig, title)
    fig.update_layout(margin={"r": 50})
    if not frame["完整"].all():  # lines, not bars: say which months are not complete yet
        fig.update_layout(title_subtitle={"text": f"标“{INCOMPLETE}”的月份未完:尚有任务未满 {window_days()} 天,比率还会变化",
                                          "font": {"color": GREY, "size": 11}}, margin={"t": 70})
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
