"""组织与队伍: which 评理说事点 were idle last month, and how the mediators, centres and star offices stand."""
import streamlit as st

from dashboard import metrics
from dashboard import organisations as org
from dashboard.charts import PLOTLY_CONFIG
from dashboard.display import with_config
from dashboard.definitions import indicator_definitions, pct
from dashboard.downloads import to_csv_bytes
from dashboard.filters import month_label
from dashboard.frame import data, download_button, filters, not_applied_note
from warehouse.rubric import rubric_in_force

f = filters()
day = data(metrics.as_of, f)
RULES, rubric = indicator_definitions(), rubric_in_force()
st.title("组织与队伍")
st.caption(f"评理说事点是否每月都有专职调解员受理案件,调解员队伍、调处化解中心和星级司法所建设是否按期 · {f.period_label()}")
not_applied_note(f, "townships")

# ---------------------------------------------------------------- 1. 评理说事点月度活跃
st.subheader("评理说事点月度活跃", help="口径(考评指标5):" + RULES["point_monthly_rate"]
             + "本页按所选期间内的整月统计;尚未结束的月份不计。")
pm = data(org.point_months, f, day)
POINT_ROWS = 120  # one row per point up to this many; above it the heatmap sums points per township
by_point = 0 < pm["org_id"].n_unique() <= POINT_ROWS if not pm.is_empty() else False
if pm.is_empty():
    first = rubric.param("point_monthly_rate", "first_month")
    st.info(f"当前筛选期间内没有可统计的整月(评理说事点自{month_label(first)}起按月统计),请调整期间。")
else:
    rate = data(org.point_rate, f, day)
    c1, c2 = st.columns(2)
    c1.metric(f"评理说事点月度达标率(目标 {pct(rate['target'])})", f"{rate['value']:.1%}",
              help=f"达标的(评理说事点×月份){int(rate['numerator']):,} 个 ÷ 全部 {rate['denominator']:,} 个。"
                   + RULES["point_monthly_rate"])
    c2.metric("评理说事点", f"{pm['org_id'].n_unique():,} 个", help="筛选区县内类型为村(居)民评理说事点的调解组织")
    # the list a county acts on comes first; the heatmap below shows how it got there
    last, idle = data(org.inactive_points, f, day)
    if last is not None:
        st.markdown(f"**{month_label(last)}未达标(无本点专职调解员受理案件)的评理说事点**(共 {idle.height:,} 个)")
        if idle.is_empty():
            st.success(f"{month_label(last)}所有评理说事点均已达标。")
        else:
            st.dataframe(idle, hide_index=True, height=280, column_config={
                "专职调解员": st.column_config.TextColumn("专职调解员", help="该点是否登记有专兼职为“专职”的调解员")})
            download_button("下载 CSV", to_csv_bytes(idle), file_name=f"未达标评理说事点_{last:%Y%m}.csv",
                            mime="text/csv", rows=idle.height)
    if not by_point:
        st.caption(f"所选范围内评理说事点超过 {POINT_ROWS} 个,热力图按乡镇(街道)汇总为达标点占比;"
                   "在侧栏选择乡镇(街道)可查看每个评理说事点。")
    st.plotly_chart(org.point_heatmap(pm, by_point), config=PLOTLY_CONFIG)

# ---------------------------------------------------------------- 2. 调解员队伍
st.subheader("调解员队伍", help="按调解员名册(最新一次导出):专职占比 = 专兼职为“专职”的调解员 ÷ 全部调解员;"
             "培训覆盖率(考评指标12)= " + RULES["training_rate"])
med = data(org.mediators_by_county, f, day)
left, right = st.columns(2)
with left:
    st.plotly_chart(org.rate_bars(med, "专职占比", "专职调解员数", "各区县专职调解员占比"),
                    config=PLOTLY_CONFIG)
with right:
    st.plotly_chart(org.rate_bars(med, "培训覆盖率", "已培训人数", "各区县调解员年度培训覆盖率"),
                    config=PLOTLY_CONFIG)
if med.is_empty():
    st.info("当前筛选条件下没有调解员数据。")
else:
    st.dataframe(med.drop("区县代码"), hide_index=True, column_config={
        **{c: st.column_config.NumberColumn(format="localized") for c in ("调解员数", "专职调解员数", "已培训人数")},
        "专职占比": st.column_config.NumberColumn(format="percent", help="口径:专兼职为“专职”的调解员 ÷ 全部调解员"),
        "培训覆盖率": st.column_config.NumberColumn(format="percent", help="口径(考评指标12):" + RULES["training_rate"]),
    })

# ---------------------------------------------------------------- 3. 调处化解中心
st.subheader("调处化解中心建设", help="口径(考评指标6):" + RULES["center_build"]
             + "下表每个区县一行县级中心、每个乡镇(街道)一行乡镇级中心,日期为空视为未按期。")
cen = data(org.centres, f, day)
if cen.is_empty():
    st.info("当前筛选条件下没有调处化解中心数据。")
else:
    cen_shown, cen_config = with_config(cen, {   # gaps as —, never "None"
        "专职人民调解员数": st.column_config.NumberColumn(format="localized"),
        "建成日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "挂牌运行日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "截止日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "状态": st.column_config.TextColumn("状态", help=f"⚠ 表示乡镇级中心专职人民调解员少于 "
                                          f"{rubric.param('center_build', 'township_centre_min_full_time')} 名;"
                                          "⏳ 表示截止日期晚于截至日期、尚未达标")})
    st.dataframe(cen_shown, hide_index=True, column_config=cen_config)

# ---------------------------------------------------------------- 4. 星级司法所
st.subheader("星级司法所创建", help="口径(考评指标7):" + RULES["star_office"])
star = data(org.star_offices, f, day)
st.plotly_chart(org.star_bars(star, rubric.param("star_office", "plan_deadline"),
                              rubric.param("star_office", "evidence_deadline")), config=PLOTLY_CONFIG)
if not star.is_empty():
    st.dataframe(star.drop("区县代码"), hide_index=True, column_config={
        **{c: st.column_config.NumberColumn(format="localized") for c in ("司法所数", "计划按期数", "材料按期数", "均按期数")},
        "按期率": st.column_config.NumberColumn(format="percent", help="两项均按期的司法所 ÷ 司法所数")})
