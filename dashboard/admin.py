"""账号管理 and 审计日志: the plain functions behind the two administrators' pages. No Streamlit here.

Every function checks the permission itself (`access.require("accounts")` or `access.require("audit")`), so a page
that is reached some other way — a link, a script, a deferred download — still refuses a user whose role lacks it.
Every change is made "by" `access.current()`, so the audit trail names the administrator who made it. Messages are
in Chinese (AccountError, Forbidden) for the page to show as they are.

The store is dashboard.accounts.Store (the SQLite file at ACCOUNTS_PATH, or accounts.sqlite beside the warehouse).
Times are stored in UTC and shown in Beijing time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from dashboard import access
from dashboard.access import ROLES, Principal
from dashboard.accounts import store as accounts_store
from dashboard.accounts.settings import settings
from dashboard.accounts.store import BEIJING, CLI, EVENTS, AccountError, Store
from dashboard.downloads import to_csv_bytes

COUNTIES = {"211202": "银州区", "211204": "清河区", "211221": "铁岭县", "211223": "西丰县", "211224": "昌图县",
            "211281": "调兵山市", "211282": "开原市"}
STATES = ("正常", "停用", "锁定")
PAGE_SIZE = 200            # rows of the trail per page on 审计日志
DOWNLOAD_LIMIT = 50_000    # rows of the trail in one CSV download, newest first

ACCOUNT_COLUMNS = {"用户名": pl.String, "角色": pl.String, "区县": pl.String, "电子邮箱": pl.String,
                   "状态": pl.String, "创建时间(北京时间)": pl.Datetime("us")}
TIME = "时间(北京时间)"
AUDIT_COLUMNS = {TIME: pl.Datetime("us"), "用户": pl.String, "角色": pl.String, "区县": pl.String, "事件": pl.String,
                 "页面": pl.String, "详情": pl.String, "客户端地址": pl.String}


def store() -> Store:
    """The account store, one per file and login settings (dashboard.accounts.store.shared)."""
    return accounts_store.shared()


def county_name(code: str | None) -> str:
    return COUNTIES.get(code, code) if code else ""


def role_label(role: str | None) -> str:
    return ROLES.get(role, role) if role else ""


# ------------------------------------------------------------------ 账号管理

def _state(account: accounts_store.Account) -> str:
    if account.disabled:
        return "停用"
    if account.locked_until and account.locked_until > accounts_store.now():
        return "锁定"
    return "正常"


def _beijing(t: datetime | None) -> datetime | None:
    """An aware time as naive Beijing time (what the page's date columns show)."""
    return t.astimezone(BEIJING).replace(tzinfo=None) if t else None


def accounts() -> pl.DataFrame:
    """Every account, by user name: 用户名, 角色, 区县, 电子邮箱, 状态 (正常/停用/锁定), 创建时间(北京时间)."""
    access.require("accounts")
    rows = [(a.username, role_label(a.role), county_name(a.county_code), a.email or "", _state(a),
             _beijing(a.created_at)) for a in store().list()]
    return pl.DataFrame(rows, schema=ACCOUNT_COLUMNS, orient="row")


def account(username: str) -> accounts_store.Account | None:
    access.require("accounts")
    return store().get(username)


def _county_for(role: str, county: str | None) -> str | None:
    """The county a role is bound to: a known county for 县区用户, none for the others."""
    if role not in ROLES:
        raise AccountError(f"未知的角色:{role}")
    if role != "county":
        return None
    if not county:
        raise AccountError("县区用户须选择所属区县。")
    if county not in COUNTIES:
        raise AccountError(f"区县代码 {county} 不是铁岭市的区县。")
    return county


def _email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if any(c.isspace() for c in email) or email.count("@") != 1 or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"电子邮箱“{email}”格式不正确。")
    return email


def add_account(username: str, role: str, password: str, password_again: str, county: str | None = None,
                email: str | None = None) -> accounts_store.Account:
    """A new account, its password given twice. Without a password only when the bureau's unified login (OpenID
    Connect, security.toml) is on and an e-mail is given: the account then logs in only through it."""
    access.require("accounts")
    county = _county_for(role, county)
    email = _email(email)
    if password != password_again:
        raise AccountError("两次输入的密码不一致。")
    if not password:
        if not (email and settings().oidc_provider):
            raise AccountError("请设置初始密码。")
        password = None
    return store().add(username, role, password, county, email, by=access.current(), known_counties=set(COUNTIES))


def _admins_enabled(s: Store) -> set[str]:
    return {a.username for a in s.list() if a.role == "admin" and not a.disabled}


def _existing(s: Store, username: str) -> accounts_store.Account:
    found = s.get(username)
    if found is None:
        raise AccountError(f"账号 {username} 不存在。")
    return found


def set_disabled(username: str, disabled: bool) -> None:
    """停用 (its open sessions end at once) or 启用 an account. Nobody disables their own account, nor the last
    enabled administrator, so the bureau cannot lock itself out of 账号管理."""
    access.require("accounts")
    s, me = store(), access.current()
    target = _existing(s, username)
    if disabled:
        if username == me.user:
            raise AccountError("不能停用自己的账号。")
        if target.role == "admin" and _admins_enabled(s) <= {username}:
            raise AccountError("这是唯一启用的管理员账号,不能停用。")
    s.set_disabled(username, disabled, by=me)


def change_role(username: str, role: str, county: str | None = None) -> None:
    """A new role (and county, for 县区用户). The account's open sessions end: it logs in again with the new rights."""
    access.require("accounts")
    s, me = store(), access.current()
    county = _county_for(role, county)
    target = _existing(s, username)
    if username == me.user:
        raise AccountError("不能修改自己的角色,请由另一位管理员修改。")
    if target.role == "admin" and role != "admin" and _admins_enabled(s) <= {username}:
        raise AccountError("这是唯一启用的管理员账号,不能改为其他角色。")
    if (target.role, target.county_code) == (role, county):
        raise AccountError("角色和区县没有变化。")
    try:
        s.set_role(username, role, county, by=me)
    except ValueError as exc:   # the role and county do not go together (access.Principal)
        raise AccountError(str(exc)) from exc


def reset_password(username: str, password: str, password_again: str) -> None:
    """An administrator sets a new password for someone else; it lifts a lockout and ends the account's sessions.
    The own password is changed with 修改密码, which asks for the old one."""
    access.require("accounts")
    me = access.current()
    if username == me.user:
        raise AccountError("不能在此重置自己的密码:请用“修改密码”(须输入原密码)。")
    if password != password_again:
        raise AccountError("两次输入的密码不一致。")
    store().reset_password(username, password, by=me)


# ------------------------------------------------------------------ 审计日志

@dataclass(frozen=True)
class AuditFilter:
    """审计日志's filters; empty means all. Dates are Beijing calendar days, both ends included."""
    start: date | None = None
    end: date | None = None
    users: tuple[str, ...] = ()
    events: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise AccountError("起始日期不能晚于截止日期。")
        unknown = [e for e in self.events if e not in EVENTS]
        if unknown:
            raise AccountError(f"未知的事件类型:{'、'.join(unknown)}")

    def query(self) -> dict:
        """The store's arguments: the days as a half-open interval of instants, midnight to midnight in Beijing."""
        return {"since": datetime.combine(self.start, time.min, BEIJING) if self.start else None,
                "until": datetime.combine(self.end + timedelta(days=1), time.min, BEIJING) if self.end else None,
                "users": self.users, "events": self.events}

    def label(self) -> str:
        parts = []
        if self.start or self.end:
            parts.append(f"{self.start or '最早'} 至 {self.end or '今日'}")
        if self.users:
            parts.append("用户:" + "、".join(self.users))
        if self.events:
            parts.append("事件:" + "、".join(EVENTS[e] for e in self.events))
        return ";".join(parts) or "全部"


def event_options() -> dict[str, str]:
    """event code → its Chinese label, for the page's selector."""
    access.require("audit")
    return dict(EVENTS)


def user_options() -> list[str]:
    """The user names to offer as a filter: every account, and the command line (changes made there)."""
    access.require("audit")
    return sorted({a.username for a in store().list()} | {CLI.user})


def _detail(text: str | None) -> str:
    """The stored JSON detail as 键:值;… (a county code as its name, an empty value left out)."""
    if not text:
        return ""
    try:
        detail = json.loads(text)
    except ValueError:
        return text
    if not isinstance(detail, dict):
        return str(detail)
    parts = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        if key == "区县":
            value = "、".join(county_name(v) for v in value) if isinstance(value, list) else county_name(str(value))
        elif isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = "、".join(map(str, value))
        parts.append(f"{key}:{value}")
    return ";".join(parts)


def _trail_frame(rows: list[dict]) -> pl.DataFrame:
    shown = [(_beijing(datetime.fromisoformat(r["at"])), r["username"] or "", role_label(r["role"]),
              county_name(r["county_code"]), EVENTS.get(r["event"], r["event"]), r["page"] or "", _detail(r["detail"]),
              r["client"] or "") for r in rows]
    return pl.DataFrame(shown, schema=AUDIT_COLUMNS, orient="row")


def audit_count(flt: AuditFilter = AuditFilter()) -> int:
    access.require("audit")
    return store().audit_count(**flt.query())


def audit_trail(flt: AuditFilter = AuditFilter(), offset: int = 0, limit: int = PAGE_SIZE) -> pl.DataFrame:
    """One page of the trail within the filters, newest first, cut in SQL (LIMIT/OFFSET): the trail of years never
    comes into the session whole."""
    access.require("audit")
    limit = max(0, min(int(limit), DOWNLOAD_LIMIT))
    return _trail_frame(store().audit_rows(**flt.query(), limit=limit, offset=max(0, int(offset))))


def audit_csv(flt: AuditFilter = AuditFilter(), who: Principal | None = None) -> bytes:
    """The filtered trail as a CSV (UTF-8 with BOM, no cell run as a formula: dashboard.downloads), the newest
    DOWNLOAD_LIMIT rows at most. The page's download button (dashboard.frame.download_button) records the download.

    `who` is the user the download button was drawn for: the page passes it because a deferred download runs on a
    server thread, where no user is current (dashboard.access refuses it then). The permission is checked for them."""
    with access.acting_as(who or access.current()):
        access.require("audit")
        frame = audit_trail(flt, 0, DOWNLOAD_LIMIT)
    # an empty cell rather than a quoted empty text; the time as the page shows it
    return to_csv_bytes(frame.with_columns(pl.col(pl.String).replace("", None),
                                           pl.col(TIME).dt.strftime("%Y-%m-%d %H:%M:%S")))
