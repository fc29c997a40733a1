"""Plotly figures for the pages: frames in, figures out, every title and axis in Chinese."""
from __future__ import annotations

import numbers

import plotly.graph_objects as go
import polars as pl

from dashboard.definitions import pct

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
RED, GREEN, GREY, BLUE, AMBER = "#c0392b", "#2e7d32", "#9e9e9e", "#1f5fa8", "#e69100"


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"}, height=height, font={"family": FONT},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10}, separators=".,",
                      legend={"orientation": "h", "y": -0.18}, plot_bgcolor="white", hoverlabel={"font_family": FONT})
    fig.update_xaxes(gridcolor="#eeeeee")
    fig.update_yaxes(gridcolor="#eeeeee")
    _whole_number_ticks(fig)
    return fig


def _whole_number_ticks(fig: go.Figure) -> None:
    """A count axis (tick format ',d') over a small range gets a tick per whole number: plotly would put ticks at
    0.5 steps and the format would print them as 0 0 1 1 2 2."""
    for axis_name, horizontal in (("yaxis", False), ("xaxis", True)):
        axis = fig.layout[axis_name]
        if not (axis.tickformat or "").endswith("d"):
            continue
        tops = []
        for trace in fig.data:
            if trace.type not in ("bar", "scatter") or (getattr(trace, "orientation", None) == "h") != horizontal:
                continue
            along = trace.x if horizontal else trace.y
            values = [float(v) for v in (() if along is None else along)
                      if isinstance(v, numbers.Real) and not isinstance(v, bool) and v == v]
            tops.append(max(values, default=0))
        top = sum(tops) if fig.layout.barmode in ("stack", "relative") else max(tops, default=0)
        if top < 10:
            axis.update(dtick=1 if top < 6 else 2, tick0=0, rangemode="tozero")


def reference_line(fig: go.Figure, y: float, label: str) -> None:
    """A dashed red line (a target, a threshold) labelled in the right margin, where no bar label collides."""
    fig.add_hline(y=y, line_dash="dash", line_color=RED)
    fig.add_annotation(xref="paper", x=1, xanchor="left", y=y, yanchor="middle", text=label, showarrow=False,
                       font={"color": RED})


INCOMPLETE = "*"  # short: a longer mark tilts the month labels into each other


def month_labels(months, complete=None) -> list[str]:
    """'5月' on a chart axis (the year in the axis title), '12月*' for a month whose figures are not all in yet
    (not over, its reports not yet due or not all received): it must not read as a drop."""
    complete = [True] * len(months) if complete is None else list(complete)
    return [f"{m.month}月" + ("" if ok else INCOMPLETE) for m, ok in zip(months, complete)]


def month_axis_title(months, what: str) -> str:
    years = sorted({m.year for m in months})
    return f"{what}({'、'.join(f'{y}年' for y in years)})" if years else what


def mark_incomplete(fig: go.Figure, complete) -> go.Figure:
    """Fade the bars of incomplete months and say why in the subtitle."""
    complete = list(complete)
    if all(complete):
        return fig
    for trace in fig.data:
        if trace.type == "bar":
            trace.marker.opacity = [1.0 if ok else 0.4 for ok in complete]
    fig.update_layout(title_subtitle={"text": f"标“{INCOMPLETE}”(色浅)的月份未完:尚未结束、月报未到期或未报齐,数字还会增加",
                                      "font": {"color": GREY, "size": 11}}, margin={"t": 70})
    return fig


def empty(title: str, message: str = "当前筛选条件下没有数据") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 16, "color": GREY})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=240)


def cases_by_type(frame: pl.DataFrame) -> go.Figure:
    title = "各类纠纷案件数(件)"
    if frame.is_empty():
        return empty(title)
    frame = frame.sort("案件数")
    fig = go.Figure(go.Bar(
        x=frame["案件数"], y=frame["纠纷类型"], orientation="h", marker_color=BLUE,
        text=[f"{n:,}({s:.1%})" for n, s in zip(frame["案件数"], frame["占比"])], textposition="outside",
        hovertemplate="%{y}<br>案件数:%{x:,} 件<extra></extra>", cliponaxis=False))
    # headroom on the right so the label beside the longest bar is not cut off
    fig.update_xaxes(title_text="案件数(件)", tickformat=",d", range=[0, float(frame["案件数"].max()) * 1.3])
    fig.update_yaxes(title_text="纠纷类型")
    return _layout(fig, title, height=max(320, 26 * frame.height + 80))


def monthly_trend(frame: pl.DataFrame) -> go.Figure:
    title = "各月案件趋势(件)"
    if frame.is_empty() or not (frame["系统录入案件数"].sum() or (frame["月报受理案件数"].fill_null(0).sum())):
        return empty(title)
    months = month_labels(frame["月份"], frame["完整"])
    fig = go.Figure([
        go.Bar(x=months, y=frame["系统录入案件数"], name="系统录入案件数", marker_color=BLUE,
               hovertemplate="%{x}<br>系统录入:%{y:,} 件<extra></extra>"),
        go.Bar(x=months, y=frame["调解成功数"], name="其中已调解成功(按受理月份)", marker_color=GREEN,
               hovertemplate="%{x}<br>调解成功:%{y:,} 件<extra></extra>"),
        go.Scatter(x=months, y=frame["月报受理案件数"], name="统计月报受理案件数", mode="lines+markers",
                   line={"color": AMBER, "width": 3}, hovertemplate="%{x}<br>月报受理:%{y:,} 件<extra></extra>"),
    ])
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=month_axis_title(frame["月份"], "受理月份"))
    fig.update_yaxes(title_text="案件数(件)", tickformat=",d")
    return mark_incomplete(_layout(fig, title), frame["完整"])


def entry_rate_by_county(frame: pl.DataFrame, target: float) -> go.Figure:
    title = f"各区县人民调解案件录入率(目标 ≥ {pct(target)})"
    frame = frame.filter(pl.col("录入率").is_not_null())
    if frame.is_empty():
        return empty(title)
    colours = [AMBER if r > 1 else GREEN if r >= target else RED for r in frame["录入率"]]
    fig = go.Figure(go.Bar(
        x=frame["区县"], y=frame["录入率"], marker_color=colours,
        text=[f"{r:.1%}" + (" ⚠" if r > 1 else "") for r in frame["录入率"]], textposition="outside",
        customdata=frame.select("系统录入案件数", "月报受理案件数", "状态").rows(),
        hovertemplate="%{x}<br>录入率:%{y:.1%}<br>系统录入:%{customdata[0]:,} 件"
                      "<br>月报受理:%{customdata[1]:,} 件<br>%{customdata[2]}<extra></extra>", cliponaxis=False))
    reference_line(fig, target, f"目标<br>{pct(target)}")
    top = max(1.1, float(frame["录入率"].max()) + 0.1)
    fig.update_yaxes(title_text="录入率(%)", tickformat=".0%", range=[0, top])
    fig.update_xaxes(title_text="区县")
    fig = _layout(fig, title)
    fig.update_layout(margin={"r": 50})
    return fig


# Plotly's toolbar (modebar) tooltips and its date formats in Chinese, registered inline: no locale file to fetch
PLOTLY_ZH = {
    "dictionary": {
        "Autoscale": "自动缩放", "Box Select": "矩形框选择", "Download plot as a png": "下载图表为 PNG 图片",
        "Download plot": "下载图表", "Lasso Select": "套索选择", "Pan": "平移", "Produced with Plotly.js": "由 Plotly.js 生成",
        "Reset": "重置", "Reset axes": "重置坐标轴", "Reset view": "重置视图", "Toggle Spike Lines": "显示/隐藏辅助线",
        "Toggle show closest data on hover": "显示/隐藏最近的数据点", "Zoom": "缩放", "Zoom in": "放大", "Zoom out": "缩小",
        "Show closest data on hover": "悬停时显示最近的数据点", "Compare data on hover": "悬停时比较数据",
        "Taking snapshot - this may take a few seconds": "正在截图,请稍候", "Snapshot succeeded": "截图成功",
        "Double-click to zoom back out": "双击还原", "Double-click on legend to isolate one trace": "双击图例只显示该项",
        "Click to enter Colorscale title": "点击输入色阶标题", "Click to enter Plot title": "点击输入图表标题",
        "Click to enter X axis title": "点击输入横轴标题", "Click to enter Y axis title": "点击输入纵轴标题",
        "Reset camera to default": "重置视角", "Reset camera to last save": "恢复上次保存的视角",
        "Orbital rotation": "轨道旋转", "Turntable rotation": "转盘旋转", "Zoom to fit": "缩放以适应",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "date": "%Y-%m-%d", "decimal": ".", "thousands": ",",
    },
}
PLOTLY_CONFIG = {"displaylogo": False, "locale": "zh-CN", "locales": {"zh-CN": PLOTLY_ZH}}
