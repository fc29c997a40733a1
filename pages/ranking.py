"""考评排名: at a chosen date, how do the seven counties score and rank under the campaign rubric, who is named in
the 通报 and why, how ranks moved, what other weights would change, and which records stand behind each number."""
from datetime import date

import streamlit as st

from dashboard import access, documents, metrics, ranking
from dashboard.charts import PLOTLY_CONFIG
from dashboard.definitions import deduction_definitions, definitions, indicator_definitions, pct
from dashboard.frame import data, download_button, filters, may_list, not_applied_note, pager
from warehouse import score_export

f = filters()  # the shared frame (sidebar): its as-of date is this page's; the area filters do not apply
st.title("考评排名")
st.caption("截至侧栏所选日期,七个区县按专项行动考评细则各得多少分、排第几,哪些区县列入通报、原因是什么"
           "(与总览等各页同一截至日期;七个区县全部排名,不受区县、乡镇等筛选影响)")
not_applied_note(f)

DEFINITIONS, RULES, DEDUCTIONS = definitions(), indicator_definitions(), deduction_definitions()
as_of: date = data(metrics.as_of, f)  # the sidebar's as-of date (?asof= in a link), the same on every page
cards = data(ranking.history, as_of)   # the month ends before the as-of date, then the as-of date: 环比 and trend
card = cards[-1]
rubric = card.rubric
st.markdown(f"**截至日期:{as_of:%Y-%m-%d}**(在侧栏“截至日期”中可按日选择) · 考评细则:{rubric.label}",
            help=DEFINITIONS["截至日期"])

with st.expander("指标口径(十二项指标、扣分与计分规则)", icon=":material/menu_book:"):
    st.markdown(ranking.definitions_markdown(rubric))

# ------------------------------------------------------------------ 概况
flagged = [c for c in card.counties if c.notice]
top = card.counties[0]
c1, c2, c3 = st.columns(3)
c1.metric("第一名", f"{top.county} {float(top.total):,.2f} 分", help=DEFINITIONS["考评总分"])
c2.metric("列入通报的区县", f"{len(flagged)} 个(共 {len(card.counties)} 个)", help=DEFINITIONS["通报"])
c3.metric("截至日期", f"{card.as_of.year}年{card.as_of.month}月{card.as_of.day}日",
          help=score_export.provenance(card))

# ------------------------------------------------------------------ 排名表
st.subheader("考评排名表", help=DEFINITIONS["考评总分"] + " " + DEFINITIONS["通报"])
st.caption("值后标记:✓ 达到目标;✗ 未达目标;⚠ 超过100%(数据异常,得分不超过权重);不适用(分母为 0,记满分);"
           "数据缺失(分母为 0,记 0 分)。底色标红的区县列入通报。将鼠标移到列名上可查看该指标口径。")
show_points = st.toggle("同时显示各项得分", value=False, key="r_show_points")
table = ranking.display_table(card, ranking.county_trends(cards))
indicator_cols = ranking.indicator_columns(card)
points_cols = [f"{rubric.indicators[k].name}得分" for k in ranking.INDICATOR_KEYS]
shown = table if show_points else table.drop(points_cols)
if show_points:  # each indicator's points right after its value
    order = ["排名", "区县", "总分", "较上月末", "总分走势"]
    for name in indicator_cols:
        order += [name, f"{name}得分"]
    shown = shown.select(order + [c for c in shown.columns if c not in order])


def _notice_red(row):
    if row["通报"] == "—":
        return [""] * len(row)
    return ["background-color: #fde8e6" + ("; color: #8e1b10; font-weight: 600" if col == "通报" else "")
            for col in row.index]


def _missed(value):
    text = str(value)
    if "✗" in text:
        return "color: #c0392b; font-weight: 600"
    if "⚠" in text:
        return "background-color: #fff3cd; color: #7a5200"
    return ""


styled = (shown.to_pandas().style.apply(_notice_red, axis=1)
          .map(_missed, subset=list(indicator_cols))
          .format("{:,.2f}", subset=[c for c in shown.columns if c == "总分" or c.endswith("得分") or c.startswith("扣分")]))
config = {
    "排名": st.column_config.NumberColumn("排名", format="%d", pinned=True, width="small"),
    "区县": st.column_config.TextColumn("区县", pinned=True, width="small"),
    "总分": st.column_config.NumberColumn("总分", help=DEFINITIONS["考评总分"]),
    "较上月末": st.column_config.TextColumn("较上月末", width="small",
                                         help=f"总分和名次与上月末({ranking.trend_dates(as_of)[-2]:%Y-%m-%d})相比的变化"
                                         if len(cards) > 1 else "专项行动第一个月,没有上月末可比"),
    "总分走势": st.column_config.LineChartColumn(
        "总分走势", width="small", help="近几个月月末的总分(最后一点为截至日期):"
        + "、".join(f"{d:%m-%d}" for d in ranking.trend_dates(as_of))),
    "通报": st.column_config.TextColumn("通报", help=DEFINITIONS["通报"], width="small"),
    "通报原因": st.column_config.TextColumn("通报原因", width="large"),
}
for name, key in indicator_cols.items():
    rule = rubric.indicators[key]
    config[name] = st.column_config.TextColumn(
        name, help=f"权重 {rule.weight:g} 分。{RULES[key]}")
    config[f"{name}得分"] = st.column_config.NumberColumn(f"{name}得分", help=f"满分 {rule.weight:g} 分")
for key in ranking.DEDUCTION_KEYS:
    name = f"扣分:{rubric.deductions[key].name}"
    config[name] = st.column_config.NumberColumn(name, help=DEDUCTIONS[key])


def _cell_chosen() -> None:
    """A click on an indicator, points or deduction cell opens its trace below (a county user: the own county's)."""
    cells = st.session_state["r_table"].selection.cells
    # a callback runs before the page knows its user (dashboard.access): the trace below judges the choice
    st.session_state["r_cell"] = ranking.cell_target(card, *cells[0]) if cells else None


st.dataframe(styled, hide_index=True, column_config=config, key="r_table", on_select=_cell_chosen,
             selection_mode="single-cell")
if flagged:
    st.error("**列入通报的区县及原因**\n" + "\n".join(
        f"- **{c.county}**(第 {c.rank} 名,{float(c.total):,.2f} 分):" + ";".join(c.notice_reasons) for c in flagged),
        icon=":material/campaign:")

d1, d2, _ = st.columns([1, 1, 3])
download_button("下载 Excel(XLSX)", ranking.xlsx_bytes(card), file_name=score_export.file_name(card.as_of, "xlsx"),
                where=d1, rows=len(ranking.for_download(card).counties), mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key="r_xlsx", icon=":material/download:")
download_button("下载 CSV", ranking.csv_bytes(card), file_name=score_export.file_name(card.as_of, "csv"),
                where=d2, rows=len(ranking.for_download(card).counties), mime="text/csv", key="r_csv", icon=":material/download:")
documents.buttons(card, "r")   # the 通报 draft and the 简报 (Word), for users of all counties

# ------------------------------------------------------------------ 明细追溯
st.subheader("明细追溯", help="某区县某项指标或扣分实际计入的每一条记录(分子、分母标记),其合计与排名表中的数值一致。")
st.caption("点击上表中某区县的指标值、得分或扣分单元格,或在下面选择区县和指标:按乡镇(街道)列出分子、分母,"
           "逐条列出计入的记录(案件、核查任务、帮教对象、报送事项等),以及该区县在本指标所用数据中被隔离、未计入的行。")
own = access.current().county   # a 县区用户 traces only the own county (drill_down refuses another)
clicked = st.session_state.pop("r_cell", None)
if clicked and own not in (None, clicked[0]):
    st.warning(f"县区用户只能追溯本区县的明细,{card.county(clicked[0]).county}的明细不可查看。", icon=":material/lock:")
elif clicked:
    st.session_state.update(r_drill_county=clicked[0], r_drill_key=clicked[1])
counties = {c.county_code: c.county for c in card.counties if own in (None, c.county_code)}
options = ranking.drill_options(card)
s1, s2 = st.columns(2)
# nothing is traced until a county and an indicator are chosen: a province's trace is tens of thousands of records
county_code = s1.selectbox("区县", options=list(counties), format_func=counties.get, key="r_drill_county",
                           index=None, placeholder="请选择区县")
key = s2.selectbox("指标或扣分项", options=list(options), format_func=options.get, key="r_drill_key",
                   index=None, placeholder="请选择指标或扣分项")
TRACE_PAGE = 200   # records per page of a trace: the browser gets one page, never the whole trace


def _records(frame, key: str) -> None:
    page = pager(frame.height, f"{key}_page", TRACE_PAGE)
    if frame.height > TRACE_PAGE:
        st.caption(f"第 {(page - 1) * TRACE_PAGE + 1:,}–{min(page * TRACE_PAGE, frame.height):,} 条,"
                   f"共 {frame.height:,} 条")
    frame = frame.slice((page - 1) * TRACE_PAGE, TRACE_PAGE)
    dates, datetimes = ranking.date_columns(frame)
    st.dataframe(frame, hide_index=True, key=key, column_config={
        **{c: st.column_config.DateColumn(c, format="YYYY-MM-DD") for c in dates},
        **{c: st.column_config.DatetimeColumn(c, format="YYYY-MM-DD HH:mm") for c in datetimes}})


def _quarantine_note(county: str, key: str) -> object:
    """The county's rows in quarantine in the datasets the rule reads: how many and why, beside the value."""
    held = data(ranking.quarantined, county, key)
    if held.is_empty():
        st.caption("本区县在本指标所用数据中没有被隔离的行。")
    else:
        st.warning(f"**{card.county(county).county}在本指标所用数据中有 {held['隔离行数'].sum():,} 行被隔离,未计入上面的数值**"
                   "(数据有误的行,改正后重新报送即可计入;详见“数据质量”页):\n"
                   + "\n".join(f"- {d}:{n:,} 行({why})" for d, n, why in held.iter_rows()),
                   icon=":material/report:")
    return held


def _by_township(tr) -> None:
    frame = ranking.township_table(tr, screen=True)
    if tr.result is not None and not ranking.township_value_cut(key):
        st.caption("本指标的值不按乡镇(街道)计算(如常住人口、县级中心只属于区县),表中列出各乡镇(街道)计入的分子和分母,"
                   "值只在区县一级计算。")
    st.dataframe(frame, hide_index=True, key="r_drill_towns", column_config={
        "记录数": st.column_config.NumberColumn("记录数", format="localized"),
        "分子": st.column_config.NumberColumn("分子", format="localized"),
        "分母": st.column_config.NumberColumn("分母", format="localized")})


if not (county_code and key):
    st.info("点击上表中的指标单元格,或选择区县和指标(或扣分项)后显示其逐条记录。", icon=":material/manage_search:")
elif may_list("指标的逐条记录"):
    tr = data(ranking.drill_down, county_code, key, as_of)
    county = card.county(county_code)
    if tr.result is not None:
        r = county.indicators[key]
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("分子", f"{tr.numerator_total:,}", help="计入分子的记录合计(见下表“计入分子的记录”)")
        m2.metric("分母", f"{tr.denominator_total:,}", help="计入分母的记录合计(见下表“计入分母的记录”)")
        m3.metric(f"值({ranking.mark(r)})", "—" if r.value is None else ranking.pct_text(float(r.value), float(r.target)),
                  help=f"目标 {pct(rubric.indicators[key].target)}")
        m4.metric(f"得分(满分 {rubric.indicators[key].weight:g} 分)", f"{float(r.points):,.2f} 分",
                   help="本项得分 = 权重 × 值 ÷ 目标(最高按 1 计)(调处化解中心建设为 权重 × 值),保留两位小数;不适用记满分,数据缺失记 0 分。")
        st.caption(RULES[key])
        held = _quarantine_note(county_code, key)
        t0, t1, t2 = st.tabs(["按乡镇(街道)", f"计入分子的记录({tr.numerator.height:,} 条)",
                              f"计入分母的记录({tr.denominator.height:,} 条)"])
        with t0:
            _by_township(tr)
        with t1:
            _records(ranking.labelled(tr.numerator), "r_drill_num")
        with t2:
            _records(ranking.labelled(tr.denominator), "r_drill_den")
    else:
        st.metric("计入的记录", f"{tr.count:,} 条", help=DEDUCTIONS[key])
        st.caption(f"扣 {float(county.deductions[key]):,.2f} 分。{DEDUCTIONS[key]}")
        held = _quarantine_note(county_code, key)
        if tr.records.is_empty():
            st.success("截至所选日期没有需要扣分的记录。", icon=":material/check_circle:")
        else:
            t0, t1 = st.tabs(["按乡镇(街道)", f"计入的记录({tr.records.height:,} 条)"])
            with t0:
                _by_township(tr)
            with t1:
                _records(ranking.labelled(tr.records), "r_drill_ded")
    download_button("下载明细追溯(XLSX)", lambda: ranking.trace_workbook(tr, held), file_name=ranking.trace_file_name(tr),
                    rows=lambda: tr.records.height, key="r_drill_xlsx", icon=":material/download:",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    filters={"区县": county_code, "指标": key, "截至日期": as_of.isoformat()})


# ------------------------------------------------------------------ 得分构成
st.subheader("分项得分构成", help="每个区县十二项指标各得多少分(堆叠条形),扣分画在零点左侧;条形总长减去扣分即总分。")
st.plotly_chart(ranking.points_breakdown(card), config=PLOTLY_CONFIG, key="r_breakdown")

# ------------------------------------------------------------------ 排名对比
st.subheader("排名对比", help="同一考评细则在两个截至日期的排名与总分对比,看哪些区县上升、哪些下降。")
compare_default = ranking.compare_default(as_of)
# keyed by the as-of date: a new as-of date brings a new default comparison (the end of the month before it)
compare: date = st.date_input("对比日期", value=compare_default, min_value=rubric.campaign_start,
                              max_value=rubric.campaign_end, format="YYYY-MM-DD", key=f"r_compare_{as_of}",
                              help=f"与截至日期 {as_of:%Y-%m-%d} 的排名对比,默认为上月末({compare_default:%Y-%m-%d})。")
before = data(ranking.scorecard, compare)
moves = ranking.rank_comparison(before, card)
left, right = st.columns([2, 3])
with left:
    st.plotly_chart(ranking.rank_slope(before, card), config=PLOTLY_CONFIG, key="r_slope")
with right:
    st.dataframe(moves.drop("变化位数"), hide_index=True, key="r_moves",
                 column_config={c: st.column_config.NumberColumn(c, format="%.2f")
                                for c in moves.columns if c.startswith("总分")})

# ------------------------------------------------------------------ 权重模拟
with st.expander("权重模拟", icon=":material/tune:"):
    st.caption("临时调整十二项指标的权重,看排名如何变化。只在本页模拟,不修改考评细则文件;目标、截止日期、扣分不变。")
    defaults = ranking.default_weights()

    def _reset() -> None:
        for k, w in zip(ranking.INDICATOR_KEYS, defaults):
            st.session_state[f"r_w_{k}"] = w

    cols = st.columns(4)
    for i, key in enumerate(ranking.INDICATOR_KEYS):
        if f"r_w_{key}" not in st.session_state:
            st.session_state[f"r_w_{key}"] = defaults[i]
        cols[i % 4].number_input(f"{i + 1}. {rubric.indicators[key].name}", min_value=0.0, max_value=100.0,
                                 step=1.0, format="%.1f", key=f"r_w_{key}",
                                 help=f"默认权重 {defaults[i]:g} 分。{RULES[key]}")
    weights = tuple(float(st.session_state[f"r_w_{k}"]) for k in ranking.INDICATOR_KEYS)
    total_weight = ranking.weight_sum(weights)
    st.button("恢复默认权重", on_click=_reset, key="r_reset")
    if total_weight != 100:
        st.warning(f"十二项权重之和为 {total_weight:g} 分,不是 100 分:模拟总分的满分随之变化。", icon=":material/warning:")
    else:
        st.caption("十二项权重之和为 100 分。")
    if weights == defaults:
        st.info("当前为考评细则的默认权重,模拟排名与正式排名相同。修改上面的权重即可看到排名变化。")
    simulated = data(ranking.scorecard, as_of, weights)
    sim = ranking.whatif_comparison(card, simulated)
    w_left, w_right = st.columns([3, 2])
    with w_left:
        st.dataframe(sim.drop("变化位数"), hide_index=True, key="r_whatif",
                     column_config={c: st.column_config.NumberColumn(c, format="%.2f")
                                    for c in sim.columns if c.startswith("总分")})
    with w_right:
        st.plotly_chart(ranking.rank_slope(card, simulated, title="正式排名 → 模拟排名", before_label="正式排名",
                                           after_label="模拟排名"), config=PLOTLY_CONFIG, key="r_whatif_chart")

