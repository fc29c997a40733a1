"""总览: is the city on track for the campaign's case targets, and which counties lag?"""
import streamlit as st

from dashboard import charts, queries
from dashboard.definitions import DEFINITIONS
from dashboard.downloads import to_csv_bytes, to_xlsx_bytes
from dashboard.frame import data, filters

f = filters()
st.title("总览")
st.caption(f"各区县人民调解案件受理、办结与录入情况是否达到专项行动目标 · {f.period_label()}")

k = data(queries.kpis, f)
pct = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
c1, c2, c3, c4 = st.columns(4)
c1.metric("受理案件数", f"{k['accepted']:,} 件", help=DEFINITIONS["受理案件数"])
c2.metric("办结案件数", f"{k['closed']:,} 件", help=DEFINITIONS["办结案件数"])
c3.metric("调解成功率", pct(k["success_rate"]), help=DEFINITIONS["调解成功率"])
gap = None if k["entry_rate"] is None else (k["entry_rate"] - k["entry_rate_target"]) * 100
c4.metric("案件录入率(目标 ≥ 90%)", pct(k["entry_rate"]),
          delta=None if gap is None else f"{gap:+.1f} 个百分点(较目标)", delta_color="normal",
          help=DEFINITIONS["录入率"])

rates = data(queries.entry_rate_by_county, f)
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.entry_rate_by_county(rates, queries.ENTRY_RATE_TARGET), config={"displaylogo": False})
with right:
    st.plotly_chart(charts.cases_by_type(data(queries.cases_by_type, f)), config={"displaylogo": False})
st.plotly_chart(charts.monthly_trend(data(queries.monthly_trend, f)), config={"displaylogo": False})

st.subheader("各区县案件录入率")
table = rates.drop("区县代码")
if table.is_empty():
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
    d1.download_button("下载 Excel(XLSX)", to_xlsx_bytes(table, "铁岭市人民调解案件录入率", f.period_label(),
                                                      percent_columns=("录入率", "目标")),
                       file_name=f"{name}.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    d2.download_button("下载 CSV", to_csv_bytes(table), file_name=f"{name}.csv", mime="text/csv")
