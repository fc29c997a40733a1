"""Who is asking, and what they may see. No Streamlit here: the app, the CLI and the tests share it.

The county restriction is not applied here but in SQL, in one place: dashboard.db gives every query a cursor on
a catalog of views whose predicate reads the cursor's `scope_county` variable (bound from `current()`), so a
county user's query sees only that county's rows whatever the page, chart, trace or download asks for. What this
module adds is the role's permissions for person-level lists (`require("records")`), checked by the functions that
return them, never by hiding a widget.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

ROLES = {  # code → label shown in Chinese
    "admin": "管理员",
    "leader": "市局领导",
    "analyst": "分析员",
    "county": "县区用户",
}
# what each role may do beyond the aggregate pages every role sees
PERMISSIONS = {
    "admin": frozenset({"records", "accounts", "audit"}),
    "leader": frozenset(),
    "analyst": frozenset({"records"}),
    "county": frozenset({"records"}),
}
PERMISSION_LABELS = {"records": "查看和下载明细清单(案件、核查任务、刑满释放人员、隔离数据)",
                     "accounts": "管理账号", "audit": "查看审计日志"}
ALL_COUNTIES = "*"   # the scope value of a user bound to no county


class Forbidden(Exception):
    """The current user's role may not do this (a message in Chinese for the page)."""


@dataclass(frozen=True)
class Principal:
    user: str
    role: str
    county: str | None = None     # the county code a 县区用户 is bound to

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"未知的角色:{self.role}")
        if (self.role == "county") != bool(self.county):
            raise ValueError("县区用户必须绑定一个区县,其他角色不绑定区县")

    @property
    def scope(self) -> str:
        """The value bound to every query's scope_county: the own county, or '*' for all."""
        return self.county if self.role == "county" else ALL_COUNTIES

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]

    @property
    def key(self) -> str:
        """What a cached query result depends on: the scope and the role's permissions, not the person."""
        return f"{self.role}:{self.scope}"


# Whoever runs outside the app (the CLI, a test calling a query function) is the system: all counties, all
# permissions. Inside the app (`in_app()`, called by dashboard.frame) there is no such default: every script run
# sets its logged-in user before any query, and code running elsewhere — a deferred download on a server thread —
# must carry the user it was made for (acting_as), or it is refused rather than run as the system.
SYSTEM = Principal("system", "admin")
_current: ContextVar[Principal | None] = ContextVar("principal", default=None)
_in_app = False


def in_app() -> None:
    global _in_app
    _in_app = True


def current() -> Principal:
    principal = _current.get()
    if principal is None:
        if _in_app:
            raise Forbidden("未登录:请先登录。")
        return SYSTEM
    return principal


@contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    token = _current.set(principal)
    try:
        yield principal
    finally:
        _current.reset(token)


def set_current(principal: Principal) -> None:
    """For the app's script thread: the user of this run (the next run sets it again)."""
    _current.set(principal)


def may(permission: str) -> bool:
    return current().may(permission)


def require(permission: str) -> None:
    """Raise Forbidden unless the current user's role has `permission`."""
    if not may(permission):
        p = current()
        raise Forbidden(f"{p.role_label}无权{PERMISSION_LABELS[permission]}。")
