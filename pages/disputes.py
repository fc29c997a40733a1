"""纠纷分析: which disputes, where, when, from which source, settled at which level; and the case list."""
import polars as pl
import streamlit as st

from dashboard import disputes as d
from dashboard import metrics, queries
from dashboard.charts import PLOTLY_CONFIG
from dashboard.definitions import indicator_definitions
from dashboard.display import with_config
from dashboard.frame import data, download_button, filters, may_list

f = filters()
day = data(metrics.as_of, f)
RULES = indicator_definitions()
st.title("纠纷分析")
st.caption(f"哪些纠纷、发生在哪里、各月如何变化、从何而来、在哪一级化解、调解是否成功 · {f.period_label()}")

BASE = ("口径:受理日期在所选期间内(不晚于截至日期)、符合侧栏全部筛选条件(区县、乡镇(街道)、纠纷类型、组织类型)的"
        "人民调解案件,同一案件编号只计一次,取最新一次导出的版本。")
CLOSED = ("调解成功率、矛盾不上交率与考评指标同一口径:按调解日期在所选期间内(不晚于截至日期)调结的案件"
          "(调解成功、调解不成功、终止调解)统计,符合侧栏全部筛选条件;与按受理日期统计的受理案件数不是同一批案件。")
DEF_ACCEPTED = "受理案件数 = " + BASE
DEF_SUCCESS = "调解成功率(考评指标9)= " + RULES["mediation_success_rate"] + CLOSED
DEF_LOCAL = ("矛盾不上交率(考评指标8)= " + RULES["local_resolution_rate"] + "对应方案“小事不出村(社区),"
             "大事不出乡镇(街道),矛盾不上交”。" + CLOSED)
DEF_GROUP = "群体性纠纷 = 涉及人数 ≥ 5 人的案件数(导出口径“5人及以上为群体性纠纷”)。" + BASE
DEF_PETITION = "涉访案件 = “是否信访案件”为“是”的案件数(未填写的不计)。" + BASE
DEF_TYPE = ("按《人民调解统计月报》纠纷类型目录的一级类型统计,子类计入其上级类型(如拖欠农民工工资纠纷计入劳动争议纠纷)。"
            "条形右侧为受理案件数和该类纠纷的调解成功率。" + BASE + CLOSED)
DEF_DOMAIN = ("按方案“紧盯家庭、邻里、婚姻、劳动就业、土地承包、征地拆迁、经济金融、房地产、物业、教育、医疗、交通、"
              "生态环境保护等重点领域”,由纠纷类型目录(warehouse/reference/dispute_types.csv)把每个纠纷类型归入一个领域。"
              "目录中婚姻与家庭同为“婚姻家庭纠纷”一类,无法区分,合并为“家庭/婚姻”领域;合同纠纷、生产经营纠纷计入经济金融,"
              "房屋宅基地纠纷计入房地产,山林土地纠纷计入土地承包,环境污染纠纷计入生态环境保护;"
              "损害赔偿、消费、知识产权、互联网及其他纠纷不属于重点领域,计入“其他”(灰色)。"
              "没有案件的重点领域也列出(红色),便于发现排查盲区。" + BASE)
DEF_AREA = ("按案件所属区县、乡镇(街道)和受理的调解组织统计。所选范围内的区县、乡镇(街道)全部列出,没有案件的为红色;"
            "调解组织只列出有案件的。可逐级下钻:区县 → 乡镇(街道) → 调解组织;侧栏只选一个区县时从乡镇(街道)开始。"
            "矛盾不上交率 = 调结案件中在村(社区)、乡镇(街道)层级化解的 ÷ 调结案件。" + BASE + CLOSED)
DEF_TREND = ("受理案件数按受理月份统计;调解成功数和调解成功率(右轴)按调解月份统计,即考评指标9逐月的值;"
             "选了纠纷类型时即为该类型的趋势。标“*”的月份未完:尚未结束或月报未到期,数字还会增加。" + BASE + CLOSED)
DEF_SOURCE = ("按导出的“纠纷来源”统计:排查发现、主动调解为主动发现化解;当事人申请;法院委托移送、公安移送、信访部门移送、"
              "其他部门移送合称部门移送。占比 = 该来源受理案件数 ÷ 受理案件数。" + BASE)
DEF_LEVEL = ("调结案件按导出的“化解层级”统计:村(社区)为小事不出村(社区),乡镇(街道)为大事不出乡镇(街道),"
             "两者合计即矛盾不上交(考评指标8);县(市、区)、市为上交化解。占比 = 该层级调结案件数 ÷ 调结案件数。" + CLOSED)
DEF_GROUP_SECTION = ("群体性纠纷:涉及人数 ≥ 5 人;涉访案件:“是否信访案件”为“是”;移交公安:“是否移交公安”为“是”"
                     "(移交公安机关管控)。一件案件可同时属于多项。" + BASE)
DEF_LIST = (f"符合侧栏筛选条件、上方下钻选择和“案件范围”的案件,按受理日期从新到旧排列;页面最多显示 {d.LIST_ROWS:,} 件,"
            "下载为全部符合条件的案件。调解员姓名已脱敏(如 张*),不含当事人姓名、身份证号和电话。")

pct = lambda x: "—" if x is None else f"{x:.1%}"  # noqa: E731
k = data(d.kpis, f, day)
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("受理案件数", f"{k['accepted']:,} 件", help=DEF_ACCEPTED)
c2.metric("调解成功率", pct(k["success_rate"]), help=DEF_SUCCESS)
c3.metric("矛盾不上交率", pct(k["local_rate"]), help=DEF_LOCAL)
c4.metric("群体性纠纷(≥5人)", f"{k['group_cases']:,} 件", help=DEF_GROUP)
c5.metric("涉访案件", f"{k['petition']:,} 件", help=DEF_PETITION)
if not k["accepted"]:
    st.info("当前筛选条件下没有案件。请在左侧放宽区县、乡镇(街道)、纠纷类型、组织类型或期间。")
    st.stop()
st.caption(f"期间内调结 {k['closed']:,} 件(按调解日期),其中调解成功 {k['succeeded']:,} 件;小事不出村(社区){pct(k['village_rate'])},"
           f"大事不出乡镇(街道){pct(k['township_rate'])};群体性纠纷涉及 {k['group_people']:,} 人;"
           f"信访部门移送 {k['from_petition_office']:,} 件,移交公安 {k['to_police']:,} 件。")

names = dict(data(queries.counties).iter_rows())
tw = data(queries.townships)
tw_names = dict(zip(tw["township_code"], tw["township"]))
tw_county = dict(zip(tw["township_code"], tw["county_code"]))
types = dict(data(queries.dispute_categories).iter_rows())
subject = d.scope_label(f, names, tw_names, types)

PCT_COLUMNS = ("调解成功率", "矛盾不上交率", "占比")


def show_table(frame: pl.DataFrame, **config) -> None:
    """Rates as percentages with one decimal, counts with thousands separators."""
    frame = frame.with_columns([(pl.col(c) * 100) for c in PCT_COLUMNS if c in frame.columns])
    cfg = {c: st.column_config.NumberColumn(f"{c}(%)", format="%.1f%%") for c in PCT_COLUMNS if c in frame.columns}
    cfg.update({c: st.column_config.NumberColumn(c, format="localized") for c, t in frame.schema.items()
                if t.is_integer()})
    st.dataframe(frame, hide_index=True, column_config={**cfg, **config})


# ---------------------------------------------------------------- 1. types and the plan's domains
st.subheader("按纠纷类型与重点领域", help=DEF_TYPE)
left, right = st.columns(2)
with left:
    st.plotly_chart(d.type_chart(data(d.by_type, f, day)), config=PLOTLY_CONFIG)
with right:
    domains = data(d.by_domain, f, day)
    st.plotly_chart(d.domain_chart(domains), config=PLOTLY_CONFIG)
    gaps = domains.filter(pl.col("方案重点领域") & (pl.col("受理案件数") == 0))["重点领域"].to_list()
    if f.dispute_types:  # the other domains are empty by the filter, not by a gap in the work
        st.caption("已按纠纷类型筛选,只有所选类型所属的领域有案件。", help=DEF_DOMAIN)
    elif gaps:
        st.caption(f"没有受理案件的重点领域:{'、'.join(gaps)}。", help=DEF_DOMAIN)
    else:
        st.caption("方案所列重点领域均有受理案件。", help=DEF_DOMAIN)

# ---------------------------------------------------------------- 2. place, with drill-down
st.subheader("按区县与乡镇", help=DEF_AREA)
county = township = org = None
if len(f.townships) == 1:  # one township in the sidebar: its organisations straight away
    township = f.townships[0]
    county = tw_county[township]
elif len(f.counties) == 1:  # one county in the sidebar: start at its townships
    county = f.counties[0]
c1, c2, c3 = st.columns(3)
if county is None:
    options = data(d.by_area, f, day)["代码"].to_list()
    county = c1.selectbox("下钻到区县", options, index=None, format_func=names.get, placeholder="全市(按区县比较)",
                          key="disputes_county_" + ("-".join(f.counties) or "all"),
                          help="选择一个区县,查看其各乡镇(街道)")
else:
    c1.markdown(f"**区县**:{names[county]}(侧栏已选)")
if county and township is None:
    options = data(d.by_area, f, day, county)["代码"].to_list()
    township = c2.selectbox("下钻到乡镇(街道)", options, index=None, format_func=tw_names.get,
                            placeholder=f"{names[county]}全部乡镇(街道)",
                            key=f"disputes_township_{county}_{'-'.join(f.townships)}",
                            help="选择一个乡镇(街道),查看其各调解组织")
elif township:
    c2.markdown(f"**乡镇(街道)**:{tw_names[township]}(侧栏已选)")
if township:
    level, scope, area = "调解组织", tw_names[township], data(d.by_area, f, day, county, township)
    org = c3.selectbox("调解组织(案件明细只看该组织)", area["代码"].to_list(), index=None,
                       placeholder="全部调解组织", key=f"disputes_org_{township}_{'-'.join(f.org_types)}",
                       help="选择后,下方案件明细只列出该调解组织受理的案件")
elif county:
    level, scope, area = "乡镇(街道)", names[county], data(d.by_area, f, day, county)
else:
    level, scope, area = "区县", "全市" if not f.counties else "所选区县", data(d.by_area, f, day)
st.plotly_chart(d.area_chart(area, level, scope), config=PLOTLY_CONFIG)
shown = area.drop("代码").rename({"名称": level})
show_table(shown.select(level, *[c for c in shown.columns if c != level]))

# ---------------------------------------------------------------- 3. monthly trend
st.subheader("月度趋势", help=DEF_TREND)
st.plotly_chart(d.monthly_chart(data(d.monthly, f, day), subject), config=PLOTLY_CONFIG)

# ---------------------------------------------------------------- 4. source and settlement level
left, right = st.columns(2)
with left:
    st.subheader("案件来源", help=DEF_SOURCE)
    st.plotly_chart(d.source_chart(data(d.by_source, f, day)), config=PLOTLY_CONFIG)
with right:
    st.subheader("化解层级", help=DEF_LEVEL)
    st.plotly_chart(d.level_chart(data(d.by_level, f, day)), config=PLOTLY_CONFIG)

# ---------------------------------------------------------------- 5. group and petition cases
st.subheader("群体性与涉访案件", help=DEF_GROUP_SECTION)
gp = data(d.group_petition_by_type, f, day)
if gp.is_empty():
    st.info("当前筛选条件下没有群体性纠纷、涉访或移交公安的案件。")
else:
    left, right = st.columns(2)
    with left:
        st.plotly_chart(d.group_petition_chart(gp), config=PLOTLY_CONFIG)
    with right:
        show_table(gp)
    st.caption("在下方“案件明细”的“案件范围”中选择“群体性纠纷(≥5人)”或“涉访案件”可查看具体案件。")

# ---------------------------------------------------------------- 6. the case list
st.subheader("案件明细", help=DEF_LIST)
scope_choice = st.radio("案件范围", list(d.SCOPES), horizontal=True, key="disputes_scope",
                        help="在侧栏筛选和上方下钻选择的基础上进一步限定案件")
place = "·".join(p for p in (names.get(county or ""), tw_names.get(township or ""), org) if p) \
    or d.place_label(f, names, tw_names)
total = data(d.case_count, f, day, scope_choice, county, township, org)
if not total:
    st.info(f"当前筛选条件下没有案件({place} · {scope_choice})。")
elif may_list("案件清单"):
    rows = data(d.case_list, f, day, scope_choice, county, township, org)
    st.markdown(f"**{place} · {scope_choice}**:共 **{total:,} 件**"
                + (f",页面显示最新受理的 {rows.height:,} 件,完整名单请下载。" if total > rows.height else "。"))
    shown, config = with_config(rows, {   # gaps as —, never "None"
        "受理日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "调解日期": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "涉及人数": st.column_config.NumberColumn("涉及人数(人)", format="localized"),
        "涉及金额(元)": st.column_config.NumberColumn(format="localized"),
    })
    st.dataframe(shown, hide_index=True, key="disputes_cases", column_config=config)
    name = f"人民调解案件明细_{place}_{'' if scope_choice == '全部案件' else scope_choice + '_'}{f.period_label()}"
    title = f"{subject} · {place} · {scope_choice} · 受理期间 {f.period_label()}"
    left, right, _ = st.columns([1, 1, 3])
    # the files are built only when clicked (deferred), so the page stays fast with a large list
    download_button("下载全部(CSV)", lambda: d.case_list_csv(f, day, scope_choice, county, township, org),
                    where=left, rows=total, file_name=f"{name}.csv", mime="text/csv", key="disputes_csv")
    download_button("下载全部(Excel)", lambda: d.case_list_xlsx(f, day, scope_choice, county, township, org, title),
                    where=right, rows=total, file_name=f"{name}.xlsx", key="disputes_xlsx",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
