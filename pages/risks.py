"""风险预警: what the townships' monthly risk reports found and did, and which reports came late or not at all."""
import streamlit as st

from dashboard import metrics
from dashboard import risks as r
from dashboard.charts import PLOTLY_CONFIG
from dashboard.definitions import pct
from dashboard.downloads import to_csv_bytes
from dashboard.frame import data, download_button, filters, not_applied_note

f = filters()
day = data(metrics.as_of, f)
DUE_DAY, TARGET = r.due_day(), r.target()
st.title("风险预警")
st.caption(f"各乡镇(街道)矛盾纠纷风险隐患排查月报:发现了多少风险隐患、化解和稳控了多少,月报是否于次月 {DUE_DAY} 日前"
           f"按期报送 · {f.period_label()} · 截至 {day:%Y-%m-%d}")
not_applied_note(f, "townships")

DEF_CONTENT = "按统计月份在所选期间内的全部风险隐患排查月报(每个乡镇每月取最新一次导出的版本)汇总。"
DEF_DUE = (f"应报月报 = 所选区县(乡镇)的每个乡镇(街道)× 所选期间内应报日期(次月 {DUE_DAY} 日)不晚于截至日期的每个月份,"
           "无论是否收到月报;报送日期不晚于应报日期为按期,晚于应报日期但不晚于截至日期为逾期,"
           "截至日期仍未收到为未报(按逾期计)。与年终考评指标11“报送及时率”中风险预警月报的计法一致。")
DEF_RATE = f"按期报送率 = 按期报送的月报份数 ÷ 应报月报份数;目标 {pct(TARGET)}(方案)。" + DEF_DUE
DEF_LATE = (DEF_DUE + "逾期天数:逾期月报为报送日期 − 应报日期;未报月报为截至日期 − 应报日期。"
            "截至日期之后才补报的月报在截至日期仍算未报,并注明补报日期。")

k = data(r.kpis, f, day)
n = lambda x, unit: f"{x:,} {unit}"  # noqa: E731

c1, c2, c3, c4 = st.columns(4)
c1.metric("排查次数", n(k["screenings"], "次"), help="月报“排查次数”之和。" + DEF_CONTENT)
c2.metric("排查发现矛盾纠纷", n(k["disputes_found"], "件"), help="月报“排查发现纠纷数”之和。" + DEF_CONTENT)
c3.metric("风险隐患", n(k["hazards"], "件"),
          help="月报高、中、低风险隐患数之和;各等级见下方说明和“各月排查发现风险隐患数”图。" + DEF_CONTENT)
c4.metric(f"月报按期报送率(目标 {pct(TARGET)})", "—" if k["on_time_rate"] is None else f"{k['on_time_rate']:.1%}",
          delta=None if k["on_time_rate"] is None else f"{(k['on_time_rate'] - TARGET) * 100:+.1f} 个百分点(较目标)",
          help=DEF_RATE)
c1, c2, c3, c4 = st.columns(4)
c1.metric("已化解", n(k["resolved"], "件"), help="月报“已化解数”之和。" + DEF_CONTENT)
c2.metric("稳控中", n(k["under_control"], "件"), help="月报“稳控中数”之和。" + DEF_CONTENT)
c3.metric("移交公安", n(k["referred_to_police"], "件"), help="月报“移交公安数”之和。" + DEF_CONTENT)
c4.metric("上报党委政府", n(k["reported_to_party_government"], "件"), help="月报“上报党委政府数”之和。" + DEF_CONTENT)
if k["reports"]:
    st.caption(f"收到月报 {k['reports']:,} 份;风险隐患中高风险 {k['high_risk_hazards']:,} 件、中风险 "
               f"{k['medium_risk_hazards']:,} 件、低风险 {k['low_risk_hazards']:,} 件。应报月报 {k['due']:,} 份,"
               f"按期 {k['on_time']:,} 份、逾期 {k['late']:,} 份、未报 {k['missing']:,} 份。")
else:
    st.info("当前筛选条件下没有收到风险隐患排查月报。")

st.subheader("风险隐患与处置", help="按统计月份汇总的高、中、低风险隐患数,以及各区县已化解、稳控中、移交公安、"
             "上报党委政府的件数。" + DEF_CONTENT)
left, right = st.columns(2)
with left:
    st.plotly_chart(r.hazards_chart(data(r.hazards_by_month, f, day)), config=PLOTLY_CONFIG)
with right:
    st.plotly_chart(r.outcomes_chart(data(r.outcomes_by_county, f)), config=PLOTLY_CONFIG)

st.subheader("月报报送及时性", help=DEF_RATE)
left, right = st.columns([2, 3])
with left:
    st.plotly_chart(r.timeliness_chart(data(r.timeliness_by_county, f, day)), config=PLOTLY_CONFIG)
with right:
    st.plotly_chart(r.timeliness_heatmap(data(r.timeliness_grid, f, day)), config=PLOTLY_CONFIG)

st.subheader("逾期或未报的月报", help=DEF_LATE)
late = data(r.late_reports, f, day)
if k["due"] == 0:
    st.info(f"所选期间内尚无到期的月报(每月月报于次月 {DUE_DAY} 日到期),请调整期间。")
elif late.is_empty():
    st.success("当前筛选条件下到期的月报均已按期报送。")
else:
    st.markdown(f"逾期或未报的月报共 **{late.height:,} 份**(其中未报 {k['missing']:,} 份),按逾期天数从多到少排列。")
    st.dataframe(late, hide_index=True, key="late_reports", column_config={
        "应报日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "报送日期": st.column_config.TextColumn(help="未报:截至日期仍未收到该月报"),
        "逾期天数": st.column_config.NumberColumn("逾期天数(天)", format="%d", help=DEF_LATE),
    })
    download_button("下载逾期或未报的月报(CSV)", to_csv_bytes(late), rows=late.height,
                    file_name=f"逾期或未报的风险隐患排查月报_截至{day:%Y%m%d}.csv", mime="text/csv")
