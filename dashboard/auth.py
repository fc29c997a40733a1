"""Login, the session cookie, logout and the own-password form: the Streamlit side of dashboard.accounts.

A login makes a server-side session (dashboard.accounts.Store: idle timeout, absolute expiry, ended by logout, by
disabling the account or by a password reset). The browser keeps only a signed cookie carrying the session's random
token and its expiry, HMAC-SHA256 under DASHBOARD_COOKIE_SECRET, so a reload finds the session again; a cookie that
is forged, expired or names an ended session logs nobody in. Streamlit reads cookies when the browser connects
(st.context.cookies) but cannot set one from Python, so a one-line script sets and clears it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from datetime import datetime

import streamlit as st

from dashboard.access import Principal
from dashboard.accounts import AccountError, Store, settings
from dashboard.accounts import store as accounts_store

COOKIE = "tieling_login"
MIN_SECRET = 32
NOTICES = {"idle": "长时间未操作,已自动退出,请重新登录。", "expired": "登录已过期,请重新登录。",
           "disabled": "账号已停用或权限已变更,请联系管理员。"}


class SecretMissing(Exception):
    pass


def cookie_secret() -> bytes:
    secret = os.environ.get("DASHBOARD_COOKIE_SECRET", "").encode()
    if len(secret) < MIN_SECRET:
        raise SecretMissing("未设置登录 Cookie 密钥:请在环境变量 DASHBOARD_COOKIE_SECRET 中设置至少 32 字节的随机值"
                            "(如 `head -c 32 /dev/urandom | base64`),正式部署放在只有服务账号可读的环境文件中。")
    return secret


def _mac(payload: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(cookie_secret(), payload.encode(), hashlib.sha256).digest()).decode()


def sign(token: str, expires: datetime) -> str:
    payload = f"{token}.{int(expires.timestamp())}"
    return f"{payload}.{_mac(payload)}"


def unsign(value: str | None, now: float | None = None) -> str | None:
    """The token of a genuine, unexpired cookie value; None otherwise."""
    try:
        token, expires, mac = (value or "").rsplit(".", 2)
        good = hmac.compare_digest(mac, _mac(f"{token}.{expires}"))
        return token if good and int(expires) > (now or time.time()) else None
    except ValueError:
        return None


def store() -> Store:
    return accounts_store.shared()


def client() -> str | None:
    try:
        address = st.context.ip_address
    except Exception:   # noqa: BLE001 — no browser (AppTest): no address
        return None
    return address if isinstance(address, str) else None


def _cookie_script(value: str | None, max_age: int) -> None:
    """Set (or, with None, clear) the login cookie: SameSite=Strict, Secure when served over HTTPS."""
    text = json.dumps(f"{COOKIE}={value or ''}; Max-Age={max_age if value else 0}; Path=/; SameSite=Strict")
    st.html(f"<script>document.cookie = {text} + (location.protocol === 'https:' ? '; Secure' : '');</script>",
            unsafe_allow_javascript=True)


def current_user() -> Principal | None:
    """The logged-in user of this browser session, from the session state or the cookie; None if nobody is.
    Every call restarts the session's idle clock (one per script run)."""
    state = st.session_state
    token = state.get("auth_token")
    if token is None:
        cookie = st.context.cookies.get(COOKIE)
        token = unsign(cookie if isinstance(cookie, str) else None)
    if not token:
        return None
    account, reason = store().resume(token, client())
    if account is None:
        state.pop("auth_token", None)
        state["auth_cookie"] = None        # clear the cookie on the login form
        if reason in NOTICES:
            state["auth_notice"] = NOTICES[reason]
        return None
    state["auth_token"] = token
    return account.principal


def login_form() -> None:
    """The login page (passwords, or the bureau's OpenID Connect provider when security.toml names one)."""
    state = st.session_state
    if "auth_cookie" in state and state["auth_cookie"] is None:
        _cookie_script(None, 0)
        state.pop("auth_cookie")
    _, middle, _ = st.columns([1, 1.2, 1])
    with middle:
        st.markdown("### 铁岭市矛盾纠纷预防化解专项行动  \n#### 数据看板 · 登录")
        notice = state.pop("auth_notice", None)
        if notice:
            st.info(notice, icon=":material/schedule:")
        provider = settings().oidc_provider
        if provider:
            _oidc(provider)
            return
        with st.form("login", enter_to_submit=True):
            user = st.text_input("用户名", key="login_user", autocomplete="username")
            password = st.text_input("密码", type="password", key="login_password", autocomplete="current-password")
            submitted = st.form_submit_button("登录", type="primary", use_container_width=True)
        if submitted:
            result = store().login(user.strip(), password, client())
            if result.account is None:
                st.error(result.message)
                return
            _logged_in(result.token)
        st.caption("账号由市局管理员开设;忘记密码请联系管理员重置。本系统含个人信息,仅限工作使用,所有访问均记录在案。")


def _oidc(provider: str) -> None:
    """Streamlit's own st.login against the bureau's provider; the account is the one with that e-mail."""
    if not getattr(st.user, "is_logged_in", False):
        st.button("使用统一身份认证登录", type="primary", on_click=st.login, args=(provider,))
        return
    email = st.user.get("email")
    account = store().by_email(email) if email else None
    if account is None or account.disabled:
        st.error(f"统一身份认证账号 {email or ''} 未开通或已停用,请联系管理员。")
        st.button("退出统一身份认证", on_click=st.logout)
        return
    _logged_in(store().open_session(account.username, client()))


def _logged_in(token: str) -> None:
    state = st.session_state
    state["auth_token"] = token
    expires = store().session_expiry(token)
    state["auth_cookie"] = (sign(token, expires), int(expires.timestamp() - time.time()))
    for key in ("login_user", "login_password"):
        state.pop(key, None)
    st.rerun()


def sidebar(principal: Principal, county_name: str | None) -> None:
    """Who is logged in, 修改密码 and 退出登录; also sets the cookie of a login just made."""
    state = st.session_state
    pending = state.pop("auth_cookie", None)
    if pending:
        _cookie_script(*pending)
    where = f"·{county_name}" if county_name else ""
    st.sidebar.caption(f"当前用户:{principal.user}({principal.role_label}{where})")
    left, right = st.sidebar.columns(2)
    with left.popover("修改密码", use_container_width=True):
        _password_form(principal)
    right.button("退出登录", on_click=_logout, use_container_width=True, key="auth_logout")


def _password_form(principal: Principal) -> None:
    with st.form("change_password", clear_on_submit=True):
        old = st.text_input("原密码", type="password", autocomplete="current-password")
        new = st.text_input("新密码", type="password", autocomplete="new-password",
                            help="至少 10 个字符,须同时包含字母和数字(或其他字符)")
        again = st.text_input("再次输入新密码", type="password", autocomplete="new-password")
        if st.form_submit_button("确认修改"):
            if new != again:
                st.error("两次输入的新密码不一致。")
                return
            try:
                store().change_password(principal.user, old, new, client())
            except AccountError as exc:
                st.error(str(exc))
            else:
                st.success("密码已修改。")


def _logout() -> None:
    state = st.session_state
    token = state.pop("auth_token", None)
    if token:
        store().logout(token, client())
    state.clear()
    state["auth_cookie"] = None
    state["auth_notice"] = "已退出登录。"
