"""账号管理: who may use the dashboard, with which role and county; new accounts, 停用/启用, 重置密码, 修改角色.

The page only draws: every action goes through dashboard.admin, which checks the administrator's permission again
and records the change in 审计日志 under the administrator's name.
"""
import streamlit as st

from dashboard import access, admin
from dashboard.access import ROLES, Forbidden
from dashboard.accounts import AccountError
from dashboard.accounts.store import MIN_PASSWORD
from dashboard.frame import filters

filters()  # the shared frame: the login, and a link straight to this page handed to app.py (no filter applies here)
st.title("账号管理")
st.caption("看板账号的开设、停用、密码重置和角色调整(仅管理员可用);每项操作均记入审计日志。")
try:
    access.require("accounts")
except Forbidden as exc:
    st.error(str(exc), icon=":material/block:")
    st.stop()

PASSWORD_HELP = f"至少 {MIN_PASSWORD} 个字符,须同时包含字母和数字(或其他字符)"
COUNTY_OPTIONS = list(admin.COUNTIES)
state = st.session_state
me = access.current()


def _say(where: str, kind: str, text: str) -> None:
    """A message shown beside the section that made it, on the run after the action."""
    state[f"acct_msg_{where}"] = (kind, text)


def _said(where: str) -> None:
    message = state.pop(f"acct_msg_{where}", None)
    if message:
        kind, text = message
        (st.success if kind == "success" else st.error)(text, icon=":material/check_circle:" if kind == "success"
                                                        else ":material/error:")


def _attempt(where: str, action, done: str) -> bool:
    try:
        action()
    except (AccountError, Forbidden) as exc:
        _say(where, "error", str(exc))
        return False
    _say(where, "success", done)
    return True


def _describe(username: str) -> str:
    a = accounts_by_name[username]
    where = f"·{a['区县']}" if a["区县"] else ""
    return f"{username}({a['角色']}{where},{a['状态']})"


# ------------------------------------------------------------------ 账号列表
table = admin.accounts()
accounts_by_name = {r["用户名"]: r for r in table.iter_rows(named=True)}
counts = {s: table.filter(table["状态"] == s).height for s in admin.STATES}
st.subheader("账号列表")
st.caption(f"共 {table.height:,} 个账号:正常 {counts['正常']:,} 个,停用 {counts['停用']:,} 个,锁定 {counts['锁定']:,} 个。"
           "“锁定”为连续输错密码后暂时锁定,到时自动解除,重置密码可立即解除。")
st.dataframe(table, hide_index=True, column_config={
    "创建时间(北京时间)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
    "状态": st.column_config.TextColumn("状态", help="正常;停用(不能登录,已登录的立即退出);锁定(连续输错密码,到时自动解除)"),
    "区县": st.column_config.TextColumn("区县", help="县区用户只能看到本区县的数据"),
    "电子邮箱": st.column_config.TextColumn("电子邮箱", help="使用统一身份认证登录时,按电子邮箱对应账号")})

# ------------------------------------------------------------------ 新建账号
st.subheader("新建账号")


def _add() -> None:
    role = state["acct_new_role"]

    def add() -> None:
        admin.add_account(state["acct_new_user"].strip(), role, state["acct_new_pw"], state["acct_new_pw2"],
                          state.get("acct_new_county") if role == "county" else None, state["acct_new_email"])

    name = state["acct_new_user"].strip()
    where = f"·{admin.county_name(state.get('acct_new_county'))}" if role == "county" else ""
    if _attempt("new", add, f"已新建账号 {name}({ROLES[role]}{where})。请将初始密码当面或电话告知本人,并请其登录后修改。"):
        state["acct_new_user"] = state["acct_new_email"] = ""
        state["acct_new_county"] = None
    state["acct_new_pw"] = state["acct_new_pw2"] = ""   # a password never stays in the session


role = st.selectbox("角色", options=list(ROLES), format_func=ROLES.get, key="acct_new_role",
                    help="管理员:全部数据和账号管理;市局领导:全市汇总,不看明细清单;分析员:全市数据和明细;"
                         "县区用户:只看本区县的数据和明细")
with st.form("acct_new"):
    c1, c2 = st.columns(2)
    c1.text_input("用户名", key="acct_new_user", max_chars=64, help="登录用的名称,不能含空格;建议用姓名拼音或工号,"
                  "不要用身份证号或手机号", autocomplete="off")
    if role == "county":
        c2.selectbox("区县", options=COUNTY_OPTIONS, format_func=admin.COUNTIES.get, key="acct_new_county", index=None,
                     placeholder="选择所属区县", help="县区用户只能看到该区县的数据")
    c1, c2 = st.columns(2)
    c1.text_input("初始密码", type="password", key="acct_new_pw", help=PASSWORD_HELP, autocomplete="new-password")
    c2.text_input("再次输入初始密码", type="password", key="acct_new_pw2", autocomplete="new-password")
    c1, _ = st.columns(2)
    c1.text_input("电子邮箱(可选)", key="acct_new_email", help="使用统一身份认证登录时按电子邮箱对应账号", autocomplete="off")
    st.form_submit_button("新建账号", type="primary", on_click=_add)
_said("new")

# ------------------------------------------------------------------ 账号操作
st.subheader("账号操作")
chosen = st.selectbox("选择账号", options=list(accounts_by_name), format_func=_describe, index=None, key="acct_user",
                      placeholder="选择要停用、启用、重置密码或修改角色的账号")
_said("act")
if chosen:
    account = admin.account(chosen)
    own = chosen == me.user
    if own:
        st.info("这是您本人的账号:不能在此停用、修改角色或重置密码;修改本人密码请用侧栏的“修改密码”(须输入原密码)。",
                icon=":material/person:")
    elif account.locked_until and accounts_by_name[chosen]["状态"] == "锁定":
        until = account.locked_until.astimezone(admin.BEIJING)
        st.warning(f"该账号因连续输错密码被锁定至 {until:%Y-%m-%d %H:%M}(北京时间);重置密码可立即解除锁定。",
                   icon=":material/lock:")
    t1, t2, t3 = st.tabs(["停用/启用", "重置密码", "修改角色"])

    with t1:
        if account.disabled:
            st.caption("该账号已停用。启用后可以重新登录(密码不变)。")
            st.button("启用账号", key="acct_enable", disabled=own, on_click=lambda: _attempt(
                "act", lambda: admin.set_disabled(chosen, False), f"已启用账号 {chosen}。"))
        else:
            st.caption("停用后该账号立即退出登录、不能再登录;账号和审计记录保留,可随时重新启用。")
            st.button("停用账号", key="acct_disable", type="primary", disabled=own, on_click=lambda: _attempt(
                "act", lambda: admin.set_disabled(chosen, True), f"已停用账号 {chosen},其登录已结束。"))

    def _reset() -> None:
        _attempt("act", lambda: admin.reset_password(chosen, state["acct_reset_pw"], state["acct_reset_pw2"]),
                 f"已重置账号 {chosen} 的密码并解除锁定,其已有的登录已结束。请将新密码告知本人,并请其登录后修改。")
        state["acct_reset_pw"] = state["acct_reset_pw2"] = ""

    with t2:
        with st.form("acct_reset"):
            st.text_input("新密码", type="password", key="acct_reset_pw", help=PASSWORD_HELP, disabled=own,
                          autocomplete="new-password")
            st.text_input("再次输入新密码", type="password", key="acct_reset_pw2", disabled=own,
                          autocomplete="new-password")
            st.form_submit_button("重置密码", on_click=_reset, disabled=own)
        st.caption("重置密码同时解除锁定,并结束该账号已有的登录。")

    with t3:
        roles = list(ROLES)
        new_role = st.selectbox("新角色", options=roles, format_func=ROLES.get, index=roles.index(account.role),
                                key=f"acct_role_{chosen}", disabled=own)
        new_county = None
        if new_role == "county":
            current = account.county_code if account.county_code in COUNTY_OPTIONS else COUNTY_OPTIONS[0]
            new_county = st.selectbox("所属区县", options=COUNTY_OPTIONS, format_func=admin.COUNTIES.get,
                                      index=COUNTY_OPTIONS.index(current), key=f"acct_county_{chosen}", disabled=own)
        st.button("保存角色", key="acct_save_role", disabled=own, on_click=lambda: _attempt(
            "act", lambda: admin.change_role(chosen, new_role, new_county),
            f"已将账号 {chosen} 改为{ROLES[new_role]}" + (f"({admin.COUNTIES[new_county]})" if new_county else "")
            + ",其已有的登录已结束,重新登录后按新角色生效。"))
        st.caption("修改角色后,该账号已有的登录立即结束,重新登录后按新角色生效。")
