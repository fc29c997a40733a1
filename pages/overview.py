"""总览: is the city on track for the campaign plan's targets and deadlines, and which counties lag?"""
import streamlit as st

from dashboard import charts, documents, metrics, queries, ranking
from dashboard import county_map as cm
from dashboard import overview as ov
from dashboard.charts import PLOTLY_CONFIG
from dashboard.definitions import definitions, indicator_definitions, pct
from dashboard.downloads import to_csv_bytes, to_xlsx_bytes
from dashboard.frame import data, download_button, filters, to_url, url_widget
from warehouse.rubric import rubric_in_force

f = filters()
st.title("总览")
st.caption(f"专项行动方案各项目标是否达到、哪些区县落后、时间节点是否按期 · {f.period_label()}")

DEFINITIONS, RULES, rubric = definitions(), indicator_definitions(), rubric_in_force()
as_of = data(metrics.as_of, f)  # the sidebar's as-of date, the same on every page
card = data(ranking.scorecard, as_of)   # the same card as history's last (cached apart: other pages share it)
names = dict(data(queries.counties).iter_rows())
scope = "、".join(names[c] for c in f.counties) if f.counties else "全市"
skipped = f.not_applied()
if skipped:
    st.caption(f"注:目标、地图和时间轴按区县统计,不按{'、'.join(skipped)}筛选;案件数据部分按全部筛选条件统计。")

# ---------------------------------------------------------------- 1. the ranking and the county map (above the fold)
cards = data(ranking.history, as_of)   # the month ends before the as-of date, then the as-of date: 环比 and trend
st.subheader(f"考评排名与区县地图 · 截至 {as_of:%Y年%m月%d日}", help=DEFINITIONS["考评总分"] + " " + DEFINITIONS["通报"])
choices = ov.map_choices(card)
left, right = st.columns(2, gap="medium")   # the map needs half the width at 1440 px for its labels
with left:
    def _known(key: str) -> str:
        if key not in choices:
            raise ValueError(key)
        return key

    m1, m2 = st.columns(2)
    url_widget("map", "overview_metric", _known)  # ?map=entry_rate colours the map by that indicator
    metric = m1.selectbox("地图着色指标", options=list(choices), format_func=choices.get, key="overview_metric",
                          help="按考评总分或某项指标的值为区县着色(绿色好、红色差)")
    to_url("map", None if metric == ov.TOTAL else metric)
    # the selector and the sidebar 区县 filter are one: it shows the sidebar's single county, and choosing here
    # (or clicking the map) sets the sidebar filter for every page
    st.session_state["overview_county"] = f.counties[0] if len(f.counties) == 1 else ""

    def _choose_from_selector() -> None:
        code = st.session_state["overview_county"]
        st.session_state["f_counties"] = [code] if code else []

    m2.selectbox("选择区县(或点击地图)", options=["", *names], key="overview_county", on_change=_choose_from_selector,
                 format_func=lambda c: names.get(c, "全市(七个区县)"), help="选择后,所有页面都只显示该区县")
    values = ov.map_values(card, metric)

    def _choose_from_map() -> None:
        code = cm.clicked_county(st.session_state["overview_map"].selection)
        if code in names:
            st.session_state["f_counties"] = [code]

    st.plotly_chart(cm.county_map(values, choices[metric], f.counties), key="overview_map", on_select=_choose_from_map,
                    selection_mode="points", config={**PLOTLY_CONFIG, "scrollZoom": False})
with right:
    st.html(ov.ranking_html(card, ranking.county_trends(cards), f.counties))
    previous = ranking.trend_dates(as_of)
    st.caption(("较上月末:与 " + f"{previous[-2]:%Y-%m-%d}" + " 相比的总分和名次变化;" if len(previous) > 1 else "")
               + "走势:" + "、".join(f"{d:%m-%d}" for d in previous) + " 的总分。底色标红的区县列入通报;"
               "原因详见“考评排名”页(可点击指标查看逐条记录)。")
    documents.buttons(card, "o")   # the 通报 draft and the 简报 (Word), for users of all counties

# ---------------------------------------------------------------- 2. the plan's targets
st.subheader(f"专项行动目标 · {scope} · {rubric.campaign_start:%Y年%m月%d日}至 {as_of:%Y年%m月%d日}累计",
             help=DEFINITIONS["专项行动目标"])
targets = ov.plan_targets(card, f.counties)
trends = ov.target_trends(cards, f.counties)
for start in range(0, targets.height, 3):
    cols = st.columns(3)
    for col, row in zip(cols, targets.slice(start, 3).iter_rows(named=True)):
        value = ranking.pct_text(row["值"], row["目标"])  # 9.997% against 10% is not shown as 10.0%
        met = (f"{row['达标区县数']}/{row['适用区县数']} 个区县达标" if row["适用区县数"] else "不适用")
        points = ov.change_points(trends[row["key"]])
        line = [round(v * 100, 2) for v in trends[row["key"]] if v is not None]
        col.metric(f"{row['指标']}(目标 {pct(row['目标'])}) · {met}", value,
                   delta=None if points is None else f"较上月末 {points:+.2f} 个百分点", delta_color="normal",
                   chart_data=line if len(line) > 1 else None, chart_type="line", border=True,
                   help=RULES[row["key"]] + (f" 未达标:{row['未达标区县']}。" if row["未达标区县"] else "")
                   + " 走势为近几个月月末的值(%)。")

# ---------------------------------------------------------------- 3. the campaign timeline
ms = data(ov.milestones, f, as_of)
st.subheader("专项行动时间轴", help=DEFINITIONS["时间节点"])
st.plotly_chart(ov.timeline(ms, as_of, rubric), config=PLOTLY_CONFIG)
st.dataframe(ms.drop("序号"), hide_index=True, column_config={
    "截止日期": st.column_config.DateColumn("截止日期", format="YYYY年MM月DD日"),
    "按期完成区县数": st.column_config.NumberColumn("按期完成(个区县)", format="%d"),
    "区县数": st.column_config.NumberColumn("区县数(个)", format="%d"),
    "逾期区县": st.column_config.TextColumn("逾期或未完成的区县", width="large")})

# ---------------------------------------------------------------- 4. cases in the period
st.subheader(f"人民调解案件 · {f.period_label()}", help=DEFINITIONS["受理案件数"])
k = data(queries.kpis, f, as_of)
fmt = lambda v: "—" if v is None else ranking.pct_text(v)  # noqa: E731
c1, c2, c3, c4 = st.columns(4)
c1.metric("受理案件数", f"{k['accepted']:,} 件", help=DEFINITIONS["受理案件数"])
c2.metric("调结案件数", f"{k['closed']:,} 件", help=DEFINITIONS["调结案件数"])
c3.metric("调解成功率", fmt(k["success_rate"]), help=DEFINITIONS["调解成功率"]
          + f" 本期调结 {k['closed']:,} 件,其中调解成功 {k['succeeded']:,} 件。")
target = k["entry_rate_target"]
gap = None if k["entry_rate"] is None else (k["entry_rate"] - target) * 100
# the same indicator as the target card above, over the chosen months only: named apart, as it may differ
c4.metric(f"案件录入率·所选期间(目标 ≥ {pct(target)})", fmt(k["entry_rate"]),
          delta=None if gap is None else f"{gap:+.1f} 个百分点(较目标)", delta_color="normal",
          help=DEFINITIONS["录入率"] + ("" if k["entered"] is None else
                                       f" 本期系统录入 {k['entered']:,} 件,月报受理 {k['reported']:,} 件。"))

rates = data(queries.entry_rate_by_county, f, as_of)
rate_defined = not metrics.refused("entry_rate", f)  # the paper report has no dispute or organisation type
NO_RATE = ("录入率以乡镇(街道)统计月报的受理案件数为分母,月报不分纠纷类型和组织类型;"
           "清除侧栏“纠纷类型”“组织类型”筛选后显示各区县录入率。")
left, right = st.columns(2)
with left:
    if rate_defined:
        st.plotly_chart(charts.entry_rate_by_county(rates, target), config=PLOTLY_CONFIG)
    else:
        st.info(NO_RATE)
with right:
    st.plotly_chart(charts.cases_by_type(data(queries.cases_by_type, f, as_of)), config=PLOTLY_CONFIG)
st.plotly_chart(charts.monthly_trend(data(queries.monthly_trend, f, as_of)), config=PLOTLY_CONFIG)

st.subheader(f"各区县案件录入率 · {f.period_label()}", help=DEFINITIONS["录入率"])
table = rates.drop("区县代码")
if not rate_defined:
    st.info(NO_RATE)
elif table.is_empty():
    st.info("当前筛选条件下没有数据。")
else:
    st.dataframe(table, hide_index=True, column_config={
        "录入率": st.column_config.NumberColumn("录入率", format="percent", help=DEFINITIONS["录入率"]),
        "目标": st.column_config.NumberColumn("目标", format="percent"),
        "系统录入案件数": st.column_config.NumberColumn(format="localized"),
        "月报受理案件数": st.column_config.NumberColumn(format="localized"),
    })
    name = f"铁岭市人民调解案件录入率_{f.start:%Y%m}-{f.end:%Y%m}"
    d1, d2, _ = st.columns([1, 1, 4])
    download_button("下载 Excel(XLSX)", to_xlsx_bytes(table, "铁岭市人民调解案件录入率",
                                                   f"{f.period_label()} · 截至 {as_of:%Y-%m-%d}",
                                                   percent_columns=("录入率", "目标")),
                    where=d1, rows=table.height, file_name=f"{name}.xlsx",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    download_button("下载 CSV", to_csv_bytes(table), where=d2, rows=table.height, file_name=f"{name}.csv",
                    mime="text/csv")
