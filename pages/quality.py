"""数据质量: what did each load read, which files were refused, which rows were held back and where?"""
import polars as pl
import streamlit as st

from dashboard import quality, queries
from dashboard.charts import PLOTLY_CONFIG
from dashboard.definitions import definitions
from dashboard.downloads import to_csv_bytes, to_xlsx_bytes
from dashboard.frame import data, download_button, filters, may_list, not_applied_note, pager

f = filters()
DEFINITIONS = definitions()
st.title("数据质量")
st.caption("每次入库读取了哪些文件、哪些文件被拒收、哪些行因不合规被隔离(不计入任何指标),问题集中在哪些区县")
not_applied_note(f)

s = data(quality.summary)
last = s["last_finished"]
c1, c2, c3, c4 = st.columns(4)
c1.metric("入库批次", f"{s['runs']:,} 次",
          help=f"最近一次入库完成于 {last:%Y-%m-%d %H:%M}(北京时间)" if last else "尚未入库")
c2.metric("拒收文件", f"{s['files_refused']:,} 个", help=DEFINITIONS["拒收文件"])
c3.metric("隔离数据", f"{s['rows_quarantined']:,} 行", help=DEFINITIONS["隔离数据"]
          + f"目前共 {s['issues']:,} 条问题。")
c4.metric("未通过的校验", f"{s['expectations_failed']:,} 项", help=DEFINITIONS["数据校验"])

DATETIME = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")
NUMBER = st.column_config.NumberColumn(format="localized")

# ------------------------------------------------------------------ 入库批次
st.subheader("入库批次", help="每次夜间入库(ETL)一行:开始与结束时间(北京时间)、读取的文件数、入库与隔离的行数、是否发布。")
runs = data(quality.runs)
if runs.is_empty():
    st.info("还没有入库批次记录。运行一次入库(python -m etl run)后,这里会列出每次入库的情况。")
else:
    st.caption("每次运行入库程序为一个批次,最新的在前;时间为北京时间。")
    st.dataframe(runs, hide_index=True, column_config={
        "开始时间(北京时间)": DATETIME, "完成时间(北京时间)": DATETIME,
        **{c: NUMBER for c in ("读取行数", "入库行数", "隔离行数")}})

# ------------------------------------------------------------------ 文件
st.subheader("文件", help=DEFINITIONS["文件状态"])
labels = {None: "全部批次"}
for run_id, started, seen in runs.select("批次编号", "开始时间(北京时间)", "文件数").iter_rows():
    # a county user's runs carry no city-wide counts (dashboard.db: the runs' counts are for all counties only)
    labels[run_id] = f"{started:%Y-%m-%d %H:%M}(北京时间)" + (f"· {seen:,} 个文件" if seen is not None else "")
run_id = st.selectbox("查看入库批次", options=list(labels), format_func=labels.get, index=1 if len(labels) > 1 else 0,
                      key="q_run", help="只影响本节“文件”和下节“校验结果”;默认为最近一次入库。")
files = data(quality.files, run_id)
if files.is_empty():
    st.info("所选批次没有收到文件。")
else:
    # over all runs the same file is refused night after night: name it once
    refused = files.filter(pl.col("状态") == "拒收").unique(["文件名", "原因"], maintain_order=True)
    if refused.height:
        st.error(f"**拒收 {refused.height:,} 个文件**(未入库,请县区按口径重新导出):\n"
                 + "\n".join(f"- {name}:{reason}" for name, reason in refused.select("文件名", "原因").iter_rows()),
                 icon=":material/block:")
    else:
        st.success("所选批次没有被拒收的文件。", icon=":material/check_circle:")
    skipped = files.filter(pl.col("状态") == "跳过").unique(["文件名"], maintain_order=True)
    if skipped.height:   # not read, but not silently gone either
        st.info(f"跳过 {skipped.height:,} 个文件(未读取):" + "、".join(skipped["文件名"])
                + "。隐藏文件、Office 临时文件(“~$”开头)和子目录不是导出文件;若其中有应入库的文件,请改名后重新放入收件目录。",
                icon=":material/visibility_off:")

    def _refused_red(row):
        return ["background-color: #fde8e6; color: #8e1b10; font-weight: 600" if row["状态"] == "拒收" else ""] * len(row)

    shown = files.drop("文件序号", *(["入库批次(北京时间)"] if run_id else []))  # one run: its time is in the selector
    st.dataframe(shown.to_pandas().style.apply(_refused_red, axis=1), hide_index=True,
                 column_config={"入库批次(北京时间)": DATETIME,
                                **{c: NUMBER for c in ("读取行数", "入库行数", "隔离行数")},
                                "状态": st.column_config.TextColumn("状态", help=DEFINITIONS["文件状态"]),
                                "原因": st.column_config.TextColumn("原因", width="large")})

# ------------------------------------------------------------------ 校验结果
st.subheader("校验结果", help=DEFINITIONS["数据校验"])
failed_only = st.toggle("只看未通过的校验", value=True, key="q_failed_only")
checked = data(quality.expectation_results, run_id, False)
results = data(quality.expectation_results, run_id, True) if failed_only else checked
if checked.is_empty():
    st.info("所选批次没有校验记录:校验只对新入库的文件运行,重复文件和拒收文件不校验。", icon=":material/info:")
elif results.is_empty():
    st.success(f"所选批次的全部 {checked.height:,} 项数据校验均已通过。", icon=":material/check_circle:")
else:
    st.caption("每个新入库的文件逐项运行数据校验,逐行校验中“不符合行数”的行已进入隔离区;"
               "“整表行数不骤降”只作警示,行照常入库;“(入库后的数据表)”是发布前对数据表主键的校验,不通过则本次不发布。")
    order = ([] if run_id else ["入库批次(北京时间)"]) + ["结果", "文件名", "数据集", "列", "规则", "不符合行数",
                                                          "不符合值示例", "校验类型"]
    st.dataframe(results, hide_index=True, column_order=order, column_config={
        "入库批次(北京时间)": DATETIME, "不符合行数": NUMBER})

# ------------------------------------------------------------------ 隔离数据
st.subheader("隔离数据", help=DEFINITIONS["隔离数据"])
st.caption("不合规的行不入库、不计入任何指标,在此列出以便县区核对更正。侧栏所选区县同样适用(选了区县时不显示未识别区县的行);"
           "隔离数据不按期间筛选,因为不合规的行常常没有可用的日期。值中的个人信息已脱敏。")
options = data(quality.quarantine_options)
s1, s2, s3 = st.columns(3)
chosen_files = s1.multiselect("文件", options=list(options["files"]), format_func=options["files"].get,
                              key="q_files", placeholder="全部文件(可多选)")
chosen_datasets = s2.multiselect("数据集", options=list(options["datasets"]), format_func=options["datasets"].get,
                                 key="q_datasets", placeholder="全部数据集(可多选)")
chosen_rules = s3.multiselect("规则", options=list(options["rules"]), format_func=options["rules"].get,
                              key="q_rules", placeholder="全部规则(可多选)")
qf = quality.QuarantineFilter(tuple(sorted(chosen_files)), tuple(sorted(chosen_datasets)),
                              tuple(sorted(chosen_rules)), f.counties)

by_county = data(quality.quarantine_by_county, qf)
rows_total = int(by_county["隔离行数"].sum()) if by_county.height else 0
threshold, high = quality.standout(by_county)
st.plotly_chart(quality.quarantine_by_county_chart(by_county), config=PLOTLY_CONFIG)
if rows_total:
    note = (f"红色为隔离行数明显偏多的区县({'、'.join(high)}):高于各区县平均值加一个标准差(虚线,{threshold:,.1f} 行)。"
            if high else "没有区县的隔离行数高于各区县平均值加一个标准差(虚线),各区县差别不大。")
    st.caption(f"按行计数(一行违反多条规则只计一次);灰色为区县无法识别的行。{note}")

counts = data(quality.quarantine_count, qf)
if not counts["issues"]:
    st.info("当前筛选条件下没有隔离数据。" if s["issues"] else "隔离区为空:所有已入库文件的每一行都通过了校验。",
            icon=":material/inbox:")
elif may_list("隔离数据的逐行明细"):
    st.markdown(f"符合条件的隔离数据 **{counts['rows']:,} 行**,共 **{counts['issues']:,} 条问题**(一行可违反多条规则)。")
    # one page at a time, cut in SQL: a quarantine of millions of issues never comes into the session whole
    size = quality.PAGE_SIZE
    page = pager(counts["issues"], "q_page", size, "条问题")
    table = data(quality.quarantine, qf, None, (page - 1) * size, size)
    st.caption(f"第 {(page - 1) * size + 1:,}–{(page - 1) * size + table.height:,} 条问题,共 {counts['issues']:,} 条;"
               "按文件、行号排列。")
    st.dataframe(table, hide_index=True, column_config={
        "行号": st.column_config.NumberColumn("行号", help="该行在原文件中的行号(含表头和标题行)", format="%d"),
        "值": st.column_config.TextColumn("值", help="原文件中的取值,个人信息已脱敏"),
        "说明": st.column_config.TextColumn("说明", width="large",
                                            help="补充说明,如有歧义的地名可能指哪几处:请县区写明全称后重新导出")})
    parts = [("区县", "、".join(c for c in by_county["区县"] if c) if f.counties else None),
             ("文件", "、".join(options["files"][x] for x in qf.files)),
             ("数据集", "、".join(options["datasets"][x] for x in qf.datasets)),
             ("规则", "、".join(options["rules"][x] for x in qf.rules))]
    subtitle = ";".join(f"{k}:{v}" for k, v in parts if v) or "全部隔离数据"
    if last:
        subtitle += f" · 数据截至 {last:%Y-%m-%d %H:%M}(北京时间)"
    name = f"铁岭市隔离数据_{last:%Y%m%d}" if last else "铁岭市隔离数据"

    def _download_rows():
        # read when the button is pressed, and bounded like the page: at most DOWNLOAD_LIMIT issues
        return quality.quarantine(qf, None, 0, quality.DOWNLOAD_LIMIT)

    limit = quality.DOWNLOAD_LIMIT
    st.caption(f"下载包含前 {limit:,} 条问题(共 {counts['issues']:,} 条);请用上方的文件、数据集、规则或侧栏区县缩小范围后分批下载。"
               if counts["issues"] > limit else f"下载包含符合条件的全部 {counts['issues']:,} 条问题(每次下载最多 {limit:,} 条)。")
    d1, d2, _ = st.columns([1, 1, 4])
    shipped = min(counts["issues"], limit)
    download_button("下载 Excel(XLSX)", lambda: to_xlsx_bytes(_download_rows(), "铁岭市矛盾纠纷数据隔离明细", subtitle),
                    where=d1, rows=shipped, file_name=f"{name}.xlsx",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    download_button("下载 CSV", lambda: to_csv_bytes(_download_rows()), where=d2, rows=shipped,
                    file_name=f"{name}.csv", mime="text/csv")

st.subheader("案件版本历史", help="同一案件编号在各次导出中的每个版本:来源文件、行号、录入时间、调解结果和变化的字段;"
             "指标只用最新版本(录入时间最晚,其次文件较晚、行号较后)。")
st.caption("同一案件在后续导出中再次出现时(如调解结果更新),每个版本都保留并注明来源文件;指标只采用最新版本。")
case_id = st.text_input("案件编号", placeholder="输入完整案件编号,如 (2023)辽1224民调字第00012号", key="q_case_id").strip()
if case_id and may_list("案件版本历史"):
    history = data(queries.case_history, case_id)
    if history.is_empty():
        st.info(f"未找到案件编号“{case_id}”。")
    else:
        st.dataframe(history, hide_index=True)
