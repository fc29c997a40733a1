"""核查与帮教: are inmate verification tasks done on time, and are released persons handed over and supervised?"""
import streamlit as st

from dashboard import metrics
from dashboard import verification as v
from dashboard.charts import PLOTLY_CONFIG
from dashboard.definitions import deduction_definitions, indicator_definitions
from dashboard.definitions import pct as target_text
from dashboard.downloads import to_csv_bytes
from dashboard.frame import data, download_button, filters, may_list, not_applied_note

f = filters()
day = data(metrics.as_of, f)
WINDOW, TARGETS, RULES = v.window_days(), v.targets(), indicator_definitions()
st.title("核查与帮教")
st.caption(f"服刑人员信息核查是否按时完成、刑满释放人员是否衔接到位并纳入帮教 · {f.period_label()} · "
           f"截至 {day:%Y-%m-%d}(所选期间末与最新数据日期中较早者)")
not_applied_note(f, "townships")

PERIOD = "本页按所选期间(下发、释放月份)统计,按户籍地区县、乡镇统计。"
DEF_RATE = "核查率(考评指标2)= " + RULES["verification_rate"] + PERIOD
DEF_SUCCESS = "核查成功率(考评指标3)= " + RULES["verification_success_rate"] + PERIOD
DEF_HANDOVER = "重点帮教对象必接必送率(考评指标10)= " + RULES["key_handover_rate"] + PERIOD
DEF_LOST = ("帮教情况(最新一次导出)为脱管或漏管的刑满释放人员人数,不论释放日期、不随期间筛选变化,即年终考评扣分项:"
            + deduction_definitions()["lost_contact"])
DEF_OVERDUE = (f"下发日期在所选期间内、至截至日期已超过 {WINDOW} 天仍未核查(截至日期前未反馈核查结果)的任务;"
               f"超期天数 = 截至日期 − 下发日期 − {WINDOW}。")

k = data(v.kpis, f, day)
pct = lambda x: "—" if x is None else f"{x:.1%}"  # noqa: E731


def gap(x, target):
    return None if x is None else f"{(x - target) * 100:+.1f} 个百分点(较目标)"


c1, c2, c3, c4 = st.columns(4)
t_rate, t_success, t_handover = (TARGETS[k] for k in ("verification_rate", "verification_success_rate",
                                                       "key_handover_rate"))
c1.metric(f"核查率(目标 ≥ {target_text(t_rate)})", pct(k["verification_rate"]),
          delta=gap(k["verification_rate"], t_rate), help=DEF_RATE)
c2.metric(f"核查成功率(目标 ≥ {target_text(t_success)})", pct(k["success_rate"]),
          delta=gap(k["success_rate"], t_success), help=DEF_SUCCESS)
c3.metric(f"重点帮教对象必接必送率(目标 {target_text(t_handover)})", pct(k["handover_rate"]),
          delta=gap(k["handover_rate"], t_handover), help=DEF_HANDOVER)
c4.metric("脱管/漏管人数", f"{k['lost_contact']:,} 人", help=DEF_LOST)
st.caption(f"应核查任务 {k['tasks']:,} 件,已核查 {k['verified']:,} 件,其中核查成功 {k['succeeded']:,} 件;"
           f"重点帮教对象 {k['key_persons']:,} 人,其中必接必送 {k['key_escorted']:,} 人。")

left, right = st.columns(2)
with left:
    st.plotly_chart(v.rates_by_county_chart(data(v.rates_by_county, f, day)), config=PLOTLY_CONFIG)
with right:
    st.plotly_chart(v.rates_by_month_chart(data(v.rates_by_month, f, day)), config=PLOTLY_CONFIG)

st.subheader("超期未核查任务", help=DEF_OVERDUE)
overdue = data(v.overdue, f, day) if may_list("超期未核查任务清单") else None
if overdue is None:
    pass
elif overdue.is_empty():
    st.success("当前筛选条件下没有超期未核查的任务。")
else:
    st.markdown(f"超期未核查任务共 **{overdue.height:,} 件**,按超期天数从多到少排列,请相关区县、乡镇督促核查。")
    st.dataframe(overdue, hide_index=True, key="overdue_table", column_config={
        "下发日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "超期天数": st.column_config.NumberColumn("超期天数(天)", format="%d", help=DEF_OVERDUE),
    })
    download_button("下载超期未核查任务(CSV)", to_csv_bytes(overdue), rows=overdue.height,
                    file_name=f"超期未核查任务_截至{day:%Y%m%d}.csv", mime="text/csv")

st.subheader("刑满释放人员衔接与帮教", help="释放日期在所选期间内(且不晚于截至日期)的刑满释放人员:衔接方式、安置情况、"
             f"帮教情况按人员最新一次导出的状态统计;重点帮教对象应“必接必送”(目标 {target_text(t_handover)})。")
left, right = st.columns(2)
with left:
    st.plotly_chart(v.handover_chart(data(v.key_handover_by_county, f, day)), config=PLOTLY_CONFIG)
with right:
    separated = data(v.separated_by_county, f, day)
    if separated.is_empty():
        st.info("当前筛选条件下没有刑满释放人员。")
    else:
        st.markdown("**各区县人户分离人数**")
        st.dataframe(separated, hide_index=True, column_config={
            "人户分离人数": st.column_config.NumberColumn(help="释放日期在所选期间内、户籍地与居住地不一致的刑满释放人员人数"),
        })
left, right = st.columns(2)
with left:
    st.plotly_chart(v.status_chart(data(v.status_by_county, "resettlement_status", f, day),
                                   "各区县刑满释放人员安置情况(人)"), config=PLOTLY_CONFIG)
with right:
    st.plotly_chart(v.status_chart(data(v.status_by_county, "assistance_status", f, day),
                                   "各区县刑满释放人员帮教情况(人)"), config=PLOTLY_CONFIG)

st.subheader("脱管/漏管人员", help=DEF_LOST + "姓名已脱敏。")
lost = data(v.lost_contact, f, day) if may_list("脱管/漏管人员名单") else None
if lost is None:
    pass
elif lost.is_empty():
    st.success("当前筛选条件下没有脱管或漏管人员。")
else:
    st.dataframe(lost, hide_index=True, key="lost_table", column_config={
        "释放日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "姓名": st.column_config.TextColumn("姓名(已脱敏)"),
    })
