"""Accounts, login sessions and the audit trail, in one SQLite file beside (never inside) the warehouse.

The warehouse is replaced every night; accounts are not. SQLite in WAL mode with a busy timeout takes the writes of
several dashboard processes and the CLI at once. Passwords are stored as argon2id hashes (argon2-cffi), never in
clear; session tokens only as their SHA-256, so the file holds nothing that logs anyone in. The audit table is
append-only: triggers refuse UPDATE and DELETE. The file and its WAL are owner-only. No Streamlit here.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dashboard.access import ROLES, Principal
from dashboard.db import warehouse_path   # the accounts' default folder is the warehouse's
from dashboard.accounts.settings import Settings, settings
from etl.pii import mask_numbers_in as mask_numbers

CLI = Principal("命令行", "admin")   # who made a change through the CLI, as the audit trail shows it
_hasher = PasswordHasher()   # argon2id, the library's defaults (RFC 9106 low-memory profile)
MIN_PASSWORD = 10
BEIJING = timezone(timedelta(hours=8))

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'leader', 'analyst', 'county')),
    county_code   TEXT CHECK ((role = 'county') = (county_code IS NOT NULL)),
    email         TEXT UNIQUE,
    password_hash TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256  TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES users(username),
    created_at    TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    ended_at      TEXT,
    end_reason    TEXT,
    client        TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    username    TEXT,
    role        TEXT,
    county_code TEXT,
    event       TEXT NOT NULL,
    page        TEXT,
    detail      TEXT,
    client      TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, '审计日志只能追加,不能修改'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, '审计日志只能追加,不能删除'); END;
"""
EVENTS = {  # event → label on 审计日志
    "login": "登录成功", "login_failed": "登录失败", "locked": "账号锁定", "logout": "退出登录",
    "session_expired": "登录超时", "page_view": "浏览页面", "download": "下载", "refused": "越权访问被拒绝",
    "account_added": "新建账号", "account_changed": "修改账号", "account_disabled": "停用账号",
    "account_enabled": "启用账号", "password_reset": "重置密码", "password_changed": "修改本人密码",
}


class AccountError(Exception):
    """A refused account operation, with a message in Chinese."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    county_code: str | None
    email: str | None
    disabled: bool
    locked_until: datetime | None
    created_at: datetime

    @property
    def principal(self) -> Principal:
        return Principal(self.username, self.role, self.county_code)


@dataclass(frozen=True)
class LoginResult:
    account: Account | None
    token: str | None = None
    message: str = ""


def now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds") if t else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def accounts_path() -> Path:
    """ACCOUNTS_PATH, or accounts.sqlite in the warehouse's folder."""
    if os.environ.get("ACCOUNTS_PATH"):
        return Path(os.environ["ACCOUNTS_PATH"])
    return warehouse_path().parent / "accounts.sqlite"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符。")
    if password.isdigit() or password.isalpha():
        raise AccountError("密码须同时包含字母和数字(或其他字符)。")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    def __init__(self, path: Path | str | None = None, config: Settings | None = None) -> None:
        self.path = Path(path) if path else accounts_path()
        self.settings = config or settings()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o077)   # the file, its WAL and shared memory: owner-only, whatever the umask
        try:
            with self._connect() as con:
                con.executescript(SCHEMA)
        finally:
            os.umask(old)
        for suffix in ("", "-wal", "-shm"):
            f = Path(f"{self.path}{suffix}")
            if f.exists():
                f.chmod(0o600)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA busy_timeout=30000")
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        finally:
            con.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # --- accounts ---------------------------------------------------------------------------------------------

    def _account(self, con: sqlite3.Connection, username: str) -> Account | None:
        row = con.execute("SELECT username, role, county_code, email, disabled, locked_until, created_at FROM users "
                          "WHERE username = ?", (username,)).fetchone()
        if row is None:
            return None
        return Account(row[0], row[1], row[2], row[3], bool(row[4]), _time(row[5]), _time(row[6]))

    def get(self, username: str) -> Account | None:
        with self._connect() as con:
            return self._account(con, username)

    def by_email(self, email: str) -> Account | None:
        with self._connect() as con:
            row = con.execute("SELECT username FROM users WHERE lower(email) = lower(?)", (email,)).fetchone()
            return self._account(con, row[0]) if row else None

    def list(self) -> list[Account]:
        with self._connect() as con:
            names = [r[0] for r in con.execute("SELECT username FROM users ORDER BY username")]
            return [self._account(con, n) for n in names]

    def add(self, username: str, role: str, password: str | None, county: str | None = None,
            email: str | None = None, by: Principal | None = None, known_counties: set[str] | None = None) -> Account:
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise AccountError("用户名不能为空、不能含空格,最长 64 个字符。")
        if role not in ROLES:
            raise AccountError(f"未知的角色 {role}:应为 {'、'.join(f'{k}({v})' for k, v in ROLES.items())}")
        if (role == "county") != bool(county):
            raise AccountError("县区用户必须用 --county 绑定一个区县代码;其他角色不绑定区县。")
        if county and known_counties is not None and county not in known_counties:
            raise AccountError(f"区县代码 {county} 不是铁岭市的区县。")
        if password is None and not email:
            raise AccountError("须设置密码(或为统一身份认证登录设置电子邮箱)。")
        if password is not None:
            check_password_rule(password)
        stamp = _iso(now())
        with self._write() as con:
            if self._account(con, username):
                raise AccountError(f"账号 {username} 已存在。")
            if email and con.execute("SELECT 1 FROM users WHERE lower(email) = lower(?)", (email,)).fetchone():
                raise AccountError(f"电子邮箱 {email} 已用于另一个账号。")   # one account per e-mail (by_email)
            con.execute("INSERT INTO users (username, role, county_code, email, password_hash, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (username, role, county, email, hash_password(password) if password else None, stamp, stamp))
            self._audit(con, by, "account_added", detail={"账号": username, "角色": ROLES[role], "区县": county})
            return self._account(con, username)

    def set_disabled(self, username: str, disabled: bool, by: Principal | None = None) -> None:
        with self._write() as con:
            self._require(con, username)
            con.execute("UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?",
                        (int(disabled), _iso(now()), username))
            if disabled:   # a disabled account's open sessions end now
                con.execute("UPDATE sessions SET ended_at = ?, end_reason = 'disabled' "
                            "WHERE username = ? AND ended_at IS NULL", (_iso(now()), username))
            self._audit(con, by, "account_disabled" if disabled else "account_enabled", detail={"账号": username})

    def set_role(self, username: str, role: str, county: str | None, by: Principal | None = None) -> None:
        Principal(username, role, county)   # validates the pair
        with self._write() as con:
            self._require(con, username)
            con.execute("UPDATE users SET role = ?, county_code = ?, updated_at = ? WHERE username = ?",
                        (role, county, _iso(now()), username))
            con.execute("UPDATE sessions SET ended_at = ?, end_reason = 'role changed' "
                        "WHERE username = ? AND ended_at IS NULL", (_iso(now()), username))
            self._audit(con, by, "account_changed", detail={"账号": username, "角色": ROLES[role], "区县": county})

    def reset_password(self, username: str, password: str, by: Principal | None = None) -> None:
        """Set a new password (an administrator's reset); also lifts a lockout and ends open sessions."""
        check_password_rule(password)
        with self._write() as con:
            self._require(con, username)
            con.execute("UPDATE users SET password_hash = ?, failures = 0, locked_until = NULL, updated_at = ? "
                        "WHERE username = ?", (hash_password(password), _iso(now()), username))
            con.execute("UPDATE sessions SET ended_at = ?, end_reason = 'password reset' "
                        "WHERE username = ? AND ended_at IS NULL", (_iso(now()), username))
            self._audit(con, by, "password_reset", detail={"账号": username})

    def change_password(self, username: str, old: str, new: str, client: str | None = None) -> None:
        """A user changes their own password, proving the old one."""
        check_password_rule(new)
        if old == new:
            raise AccountError("新密码不能与原密码相同。")
        with self._write() as con:
            row = con.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()
            if row is None or not _verify(row[0], old):
                raise AccountError("原密码不正确。")
            con.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?",
                        (hash_password(new), _iso(now()), username))
            account = self._account(con, username)
            self._audit(con, account.principal, "password_changed", client=client)

    def _require(self, con: sqlite3.Connection, username: str) -> Account:
        account = self._account(con, username)
        if account is None:
            raise AccountError(f"账号 {username} 不存在。")
        return account

    # --- login and sessions -----------------------------------------------------------------------------------

    def login(self, username: str, password: str, client: str | None = None) -> LoginResult:
        """Check a password; N failures in a row lock the account for M minutes (settings). Every outcome is
        audited; the message never says whether the user name exists."""
        cfg = self.settings
        wrong = LoginResult(None, message="用户名或密码不正确。")
        t = now()
        with self._write() as con:
            row = con.execute("SELECT password_hash, disabled, failures, locked_until FROM users WHERE username = ?",
                              (username,)).fetchone()
            if row is None:
                _verify(None, password)   # the same time as a wrong password, so names cannot be probed by timing
                self._audit(con, None, "login_failed", detail={"账号": username, "原因": "无此账号"}, client=client,
                            user=username)
                return wrong
            stored, disabled, failures, locked_until = row
            account = self._account(con, username)
            if locked_until and _time(locked_until) > t:
                minutes = max(1, math.ceil((_time(locked_until) - t).total_seconds() / 60))   # 15:00 left: 15, not 16
                self._audit(con, account.principal, "login_failed", detail={"原因": "账号已锁定"}, client=client)
                return LoginResult(None, message=f"连续 {cfg.max_failures} 次密码错误,账号已锁定,请 {minutes} 分钟后再试"
                                                 "或联系管理员。")
            if not _verify(stored, password):
                failures += 1
                locked = failures >= cfg.max_failures
                con.execute("UPDATE users SET failures = ?, locked_until = ? WHERE username = ?",
                            (0 if locked else failures,
                             _iso(t + timedelta(minutes=cfg.lockout_minutes)) if locked else None, username))
                self._audit(con, account.principal, "login_failed", detail={"原因": "密码错误", "连续失败": failures},
                            client=client)
                if locked:
                    self._audit(con, account.principal, "locked",
                                detail={"锁定分钟": cfg.lockout_minutes}, client=client)
                    return LoginResult(None, message=f"连续 {cfg.max_failures} 次密码错误,账号已锁定 "
                                                     f"{cfg.lockout_minutes} 分钟。")
                return wrong
            if disabled:
                self._audit(con, account.principal, "login_failed", detail={"原因": "账号已停用"}, client=client)
                return LoginResult(None, message="账号已停用,请联系管理员。")
            if _hasher.check_needs_rehash(stored):
                con.execute("UPDATE users SET password_hash = ? WHERE username = ?", (hash_password(password), username))
            con.execute("UPDATE users SET failures = 0, locked_until = NULL WHERE username = ?", (username,))
            token = self._open_session(con, username, client, t)
            self._audit(con, account.principal, "login", client=client)
            return LoginResult(account, token)

    def open_session(self, username: str, client: str | None = None) -> str:
        """A session for an account authenticated elsewhere (OpenID Connect through st.login, or a test)."""
        with self._write() as con:
            account = self._require(con, username)
            if account.disabled:
                raise AccountError("账号已停用,请联系管理员。")
            token = self._open_session(con, username, client, now())
            self._audit(con, account.principal, "login", detail={"方式": "统一身份认证"}, client=client)
            return token

    def _open_session(self, con: sqlite3.Connection, username: str, client: str | None, t: datetime) -> str:
        token = secrets.token_urlsafe(32)
        con.execute("INSERT INTO sessions (token_sha256, username, created_at, last_seen, expires_at, client) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (_token_hash(token), username, _iso(t), _iso(t),
                                                  _iso(t + timedelta(hours=self.settings.session_hours)), client))
        return token

    def session_expiry(self, token: str) -> datetime | None:
        with self._connect() as con:
            row = con.execute("SELECT expires_at FROM sessions WHERE token_sha256 = ?", (_token_hash(token),)).fetchone()
            return _time(row[0]) if row else None

    def resume(self, token: str, client: str | None = None) -> tuple[Account | None, str]:
        """The account of a live session, its idle clock restarted; or None and why not ('' when unknown).
        A session ends when idle longer than the settings allow, past its expiry, or when its account is disabled."""
        t = now()
        with self._write() as con:
            row = con.execute("SELECT username, last_seen, expires_at, ended_at FROM sessions WHERE token_sha256 = ?",
                              (_token_hash(token),)).fetchone()
            if row is None:
                return None, ""
            username, last_seen, expires_at, ended_at = row
            if ended_at:
                return None, ""
            account = self._account(con, username)
            reason = ("idle" if t - _time(last_seen) > timedelta(minutes=self.settings.idle_minutes)
                      else "expired" if t >= _time(expires_at)
                      else "disabled" if account is None or account.disabled else None)
            if reason:
                con.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE token_sha256 = ?",
                            (_iso(t), reason, _token_hash(token)))
                if account is not None:
                    self._audit(con, account.principal, "session_expired", detail={"原因": reason}, client=client)
                return None, reason
            con.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", (_iso(t), _token_hash(token)))
            return account, ""

    def logout(self, token: str, client: str | None = None) -> None:
        with self._write() as con:
            row = con.execute("SELECT username FROM sessions WHERE token_sha256 = ? AND ended_at IS NULL",
                              (_token_hash(token),)).fetchone()
            if row is None:
                return
            con.execute("UPDATE sessions SET ended_at = ?, end_reason = 'logout' WHERE token_sha256 = ?",
                        (_iso(now()), _token_hash(token)))
            account = self._account(con, row[0])
            self._audit(con, account.principal if account else None, "logout", client=client)

    # --- the audit trail --------------------------------------------------------------------------------------

    def audit(self, who: Principal | None, event: str, page: str | None = None, detail: dict | None = None,
              client: str | None = None) -> None:
        with self._write() as con:
            self._audit(con, who, event, page, detail, client)

    def _audit(self, con: sqlite3.Connection, who: Principal | None, event: str, page: str | None = None,
               detail: dict | None = None, client: str | None = None, user: str | None = None) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event}")
        # nothing in the trail holds personal data in clear: identity and phone numbers in any value are masked
        text = mask_numbers(json.dumps(detail, ensure_ascii=False, default=str)) if detail else None
        con.execute("INSERT INTO audit (at, username, role, county_code, event, page, detail, client) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (_iso(now()), mask_numbers(who.user if who else user or ""), who.role if who else None,
                     who.county if who else None, event, page, text, client))

    def audit_rows(self, since: datetime | None = None, until: datetime | None = None, users: tuple[str, ...] = (),
                   events: tuple[str, ...] = (), limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        """The trail, newest first, within the filters (bound parameters)."""
        where, params = self._audit_where(since, until, users, events)
        sql = (f"SELECT seq, at, username, role, county_code, event, page, detail, client FROM audit WHERE {where} "
               "ORDER BY seq DESC")
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        with self._connect() as con:
            cols = ("seq", "at", "username", "role", "county_code", "event", "page", "detail", "client")
            return [dict(zip(cols, r)) for r in con.execute(sql, params)]

    def audit_count(self, since: datetime | None = None, until: datetime | None = None, users: tuple[str, ...] = (),
                    events: tuple[str, ...] = ()) -> int:
        where, params = self._audit_where(since, until, users, events)
        with self._connect() as con:
            return con.execute(f"SELECT count(*) FROM audit WHERE {where}", params).fetchone()[0]

    @staticmethod
    def _audit_where(since, until, users, events) -> tuple[str, list]:
        clauses, params = ["TRUE"], []
        if since:
            clauses.append("at >= ?")
            params.append(_iso(since))
        if until:
            clauses.append("at < ?")
            params.append(_iso(until))
        if users:
            clauses.append(f"username IN ({','.join('?' * len(users))})")
            params += list(users)
        if events:
            clauses.append(f"event IN ({','.join('?' * len(events))})")
            params += list(events)
        return " AND ".join(clauses), params


@lru_cache(maxsize=8)
def _shared(path: str, config: Settings) -> Store:
    return Store(path, config)


def shared() -> Store:
    """The account store of ACCOUNTS_PATH, made once per file and login settings (an edited security.toml gives a
    new one): the app asks for it on every script run, and opening creates the schema and sets the file's mode."""
    return _shared(str(accounts_path()), settings())


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


_DUMMY = _hasher.hash(secrets.token_hex(16))
