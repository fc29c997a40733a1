"""审计日志: who logged in (or failed to), which pages they viewed, what they downloaded, which accounts changed.

The trail is append-only (the store refuses UPDATE and DELETE) and read here one page at a time, cut in SQL; the CSV
download is bounded (dashboard.admin.DOWNLOAD_LIMIT) and itself recorded in the trail.
"""
from datetime import datetime, timedelta

import streamlit as st

from dashboard import access, admin
from dashboard.access import Forbidden
from dashboard.accounts import AccountError
from dashboard.frame import download_button, filters

filters()  # the shared frame: the login, and a link straight to this page handed to app.py (no filter applies here)
st.title("审计日志")
st.caption("谁在何时登录或登录失败、浏览了哪些页面、下载了什么、开设或修改了哪些账号(仅管理员可查看)。"
           "日志只能追加,不能修改或删除;时间为北京时间;其中的身份证号、手机号已脱敏。")
try:
    access.require("audit")
except Forbidden as exc:
    st.error(str(exc), icon=":material/block:")
    st.stop()

state = st.session_state
today = datetime.now(admin.BEIJING).date()
events = admin.event_options()
c1, c2, c3 = st.columns([1.2, 1, 1])
days = c1.date_input("起止日期", value=(today - timedelta(days=29), today), max_value=today, format="YYYY-MM-DD",
                     key="audit_days", help="按北京时间的日期,含首尾两天;默认为最近 30 天")
users = c2.multiselect("用户", options=admin.user_options(), key="audit_users", placeholder="全部用户(可多选)",
                       accept_new_options=True, help="可输入列表以外的名称,如登录失败时所输入的用户名")
chosen_events = c3.multiselect("事件类型", options=list(events), format_func=events.get, key="audit_events",
                               placeholder="全部事件(可多选)")
days = tuple(days) if isinstance(days, (tuple, list)) else (days,)
start = days[0] if days else None
end = days[1] if len(days) > 1 else None     # a range being chosen: from its first day on
try:
    flt = admin.AuditFilter(start, end, tuple(sorted(users)), tuple(chosen_events))
except AccountError as exc:
    st.error(str(exc))
    st.stop()

total = admin.audit_count(flt)
if not total:
    st.info("所选条件下没有审计记录。", icon=":material/inbox:")
    st.stop()
st.markdown(f"符合条件的记录 **{total:,} 条**(最新的在前)。")
size = admin.PAGE_SIZE
pages = -(-total // size)
page = 1
if pages > 1:
    if state.get("audit_page", 1) > pages:   # a narrower filter has fewer pages: back to the first
        state["audit_page"] = 1
    page = int(st.number_input(f"页码(共 {pages:,} 页,每页 {size:,} 条)", min_value=1, max_value=pages, step=1,
                               key="audit_page"))
table = admin.audit_trail(flt, (page - 1) * size, size)
st.caption(f"第 {(page - 1) * size + 1:,}–{(page - 1) * size + table.height:,} 条,共 {total:,} 条。")
st.dataframe(table, hide_index=True, column_config={
    admin.TIME: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
    "事件": st.column_config.TextColumn("事件", help="登录成功、登录失败、账号锁定、退出登录、登录超时、浏览页面、下载、"
                                        "越权访问被拒绝,以及账号的新建、修改、停用、启用和密码重置"),
    "详情": st.column_config.TextColumn("详情", width="large"),
    "客户端地址": st.column_config.TextColumn("客户端地址", help="浏览器的网络地址;命令行操作为空")})

limit = admin.DOWNLOAD_LIMIT
st.caption(f"下载包含最新的 {limit:,} 条(共 {total:,} 条);请缩小日期、用户或事件范围后分批下载。" if total > limit
           else f"下载包含符合条件的全部 {total:,} 条(每次最多 {limit:,} 条);下载本身也记入审计日志。")
me = access.current()   # a deferred download runs on a server thread: it is made for, and checked against, this user
download_button("下载 CSV", lambda: admin.audit_csv(flt, me), file_name=f"审计日志_{today:%Y%m%d}.csv",
                mime="text/csv", rows=min(total, limit), filters=flt.label())
