"""Accounts (issue 11): the store (argon2id, lockout, sessions, the append-only audit trail, nothing secret in clear,
an owner-only file), the command line `python -m dashboard.accounts`, and the administrators' functions behind 账号管理
and 审计日志 (dashboard.admin: refused to other roles, every change recorded under who made it).

Hashing uses cheap argon2id parameters (the `fast_hashing` fixture) except where the real ones are the point; time is
a clock the tests move (dashboard.accounts.store.now).
"""
from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from dashboard import access, admin
from dashboard.access import Forbidden, Principal
from dashboard.accounts import store as store_module
from dashboard.accounts.__main__ import main
from dashboard.accounts.settings import Settings
from dashboard.accounts.store import EVENTS, AccountError, Store
from tests.conftest import ROOT

PASSWORD = "Right-horse-42"
WRONG = "Wrong-battery-17"
ID_NUMBER = "21122419900307123X"          # an 18-digit identity number typed as a user name
BOSS = Principal("boss", "admin")          # the administrator who makes the changes below
T0 = datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc)   # 23:30 in Beijing


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def move(self, **delta) -> None:
        self.t += timedelta(**delta)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    monkeypatch.setattr(store_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock(T0)
    monkeypatch.setattr(store_module, "now", c)
    return c


@pytest.fixture
def path(tmp_path, monkeypatch) -> Path:
    p = tmp_path / "accounts.sqlite"
    monkeypatch.setenv("ACCOUNTS_PATH", str(p))
    return p


@pytest.fixture
def store(path) -> Store:
    return Store(path, Settings(max_failures=5, lockout_minutes=15, idle_minutes=30, session_hours=12))


def events(s: Store, **filters) -> list[str]:
    return [r["event"] for r in reversed(s.audit_rows(**filters))]   # oldest first


def file_bytes(path: Path) -> bytes:
    return b"".join(Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")
                    if Path(f"{path}{suffix}").exists())


# ------------------------------------------------------------------ the store

def test_the_password_is_stored_as_an_argon2id_hash_only(store, path, monkeypatch):
    monkeypatch.setattr(store_module, "_hasher", PasswordHasher())   # the library's defaults, as in production
    store.add("wang", "analyst", PASSWORD)
    (stored,), = sqlite3.connect(path).execute("SELECT password_hash FROM users").fetchall()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in stored
    assert store.login("wang", PASSWORD).account.username == "wang"


def test_five_wrong_passwords_lock_the_account_for_the_lockout_minutes(store, clock):
    store.add("wang", "analyst", PASSWORD)
    for _ in range(4):
        assert store.login("wang", WRONG).message == "用户名或密码不正确。"
    result = store.login("wang", WRONG)
    assert result.account is None and result.message == "连续 5 次密码错误,账号已锁定 15 分钟。"
    locked = store.login("wang", PASSWORD)   # the right password does not open a locked account
    assert locked.account is None and locked.message == "连续 5 次密码错误,账号已锁定,请 15 分钟后再试或联系管理员。"
    with access.acting_as(BOSS):
        assert admin.accounts()["状态"].to_list() == ["锁定"]
    clock.move(minutes=10, seconds=30)
    assert "请 5 分钟后再试" in store.login("wang", PASSWORD).message
    clock.move(minutes=5)
    assert store.login("wang", PASSWORD).account is not None   # the lock has run out
    assert events(store) == ["account_added", *["login_failed"] * 5, "locked", "login_failed", "login_failed", "login"]
    assert [json.loads(r["detail"])["原因"] for r in store.audit_rows(events=("login_failed",))][:2] == \
        ["账号已锁定", "账号已锁定"]
    # a success starts the count again; an administrator's reset lifts a lock at once
    for _ in range(5):
        store.login("wang", WRONG)
    store.reset_password("wang", "Another-pass-9", by=BOSS)
    assert store.login("wang", "Another-pass-9").account is not None


def test_a_wrong_user_name_gets_the_same_answer_as_a_wrong_password(store):
    store.add("wang", "analyst", PASSWORD)
    assert store.login("nobody", PASSWORD).message == store.login("wang", WRONG).message == "用户名或密码不正确。"
    (row,) = store.audit_rows(users=("nobody",))
    assert row["event"] == "login_failed" and json.loads(row["detail"]) == {"账号": "nobody", "原因": "无此账号"}


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(store):
    store.add("wang", "analyst", PASSWORD)
    token = store.login("wang", PASSWORD).token
    assert store.resume(token)[0].username == "wang"
    store.set_disabled("wang", True, by=BOSS)
    assert store.resume(token) == (None, "")   # ended when disabled
    refused = store.login("wang", PASSWORD)
    assert refused.account is None and refused.message == "账号已停用,请联系管理员。"
    assert store.login("wang", WRONG).message == "用户名或密码不正确。"   # says nothing more to a wrong password
    with pytest.raises(AccountError, match="已停用"):
        store.open_session("wang")
    store.set_disabled("wang", False, by=BOSS)
    assert store.login("wang", PASSWORD).account is not None


def test_a_session_resumes_until_idle_expired_or_logged_out(store, clock):
    store.add("wang", "analyst", PASSWORD)
    token = store.login("wang", PASSWORD, client="10.0.0.5").token
    assert store.session_expiry(token) == T0 + timedelta(hours=12)
    clock.move(minutes=29)
    assert store.resume(token)[0].username == "wang"        # and the idle clock starts again
    clock.move(minutes=29)
    assert store.resume(token)[0].username == "wang"
    clock.move(minutes=31)
    assert store.resume(token) == (None, "idle")
    assert store.resume(token) == (None, "")                # ended for good

    token = store.login("wang", PASSWORD).token             # used every 25 minutes: it still ends after 12 hours
    for _ in range(28):
        clock.move(minutes=25)
        assert store.resume(token)[0] is not None
    clock.move(minutes=25)
    assert store.resume(token) == (None, "expired")

    token = store.login("wang", PASSWORD).token
    store.logout(token, client="10.0.0.5")
    assert store.resume(token) == (None, "")
    assert store.resume("made-up-token") == (None, "")
    assert events(store, events=("session_expired", "logout")) == ["session_expired", "session_expired", "logout"]
    assert [json.loads(r["detail"])["原因"] for r in store.audit_rows(events=("session_expired",))] == ["expired", "idle"]
    assert store.audit_rows(events=("logout",))[0]["client"] == "10.0.0.5"


def test_changing_the_own_password_needs_the_old_one(store):
    store.add("wang", "analyst", PASSWORD)
    with pytest.raises(AccountError, match="原密码不正确"):
        store.change_password("wang", WRONG, "Brand-new-pass-1")
    with pytest.raises(AccountError, match="不能与原密码相同"):
        store.change_password("wang", PASSWORD, PASSWORD)
    with pytest.raises(AccountError, match="至少 10 个字符"):
        store.change_password("wang", PASSWORD, "short1")
    with pytest.raises(AccountError, match="同时包含字母和数字"):
        store.change_password("wang", PASSWORD, "onlyletterslong")
    store.change_password("wang", PASSWORD, "Brand-new-pass-1")
    assert store.login("wang", PASSWORD).account is None and store.login("wang", "Brand-new-pass-1").account
    (row,) = store.audit_rows(events=("password_changed",))
    assert (row["username"], row["role"]) == ("wang", "analyst")


def test_every_event_is_audited_and_the_trail_is_append_only(store, path, clock):
    store.add("wang", "county", PASSWORD, county="211224", by=BOSS)
    token = store.login("wang", PASSWORD, client="10.0.0.9").token
    who = store.resume(token)[0].principal
    store.audit(who, "page_view", "总览", {"county": "211224"}, "10.0.0.9")
    store.audit(who, "download", "纠纷分析", {"文件": "案件.csv", "行数": 12}, "10.0.0.9")
    store.audit(who, "refused", "总览", {"原因": "链接指定了其他区县"}, "10.0.0.9")
    store.logout(token)
    store.login("wang", WRONG)
    for _ in range(4):
        store.login("wang", WRONG)                             # the fifth in a row locks
    store.reset_password("wang", "Reset-pass-123", by=BOSS)
    store.change_password("wang", "Reset-pass-123", "Own-choice-456")
    token = store.login("wang", "Own-choice-456").token
    clock.move(hours=1)
    store.resume(token)                                         # idle: session_expired
    store.set_role("wang", "analyst", None, by=BOSS)
    store.set_disabled("wang", True, by=BOSS)
    store.set_disabled("wang", False, by=BOSS)
    rows = store.audit_rows()
    assert {r["event"] for r in rows} == set(EVENTS)
    assert store.audit_count() == len(rows) and store.audit_count(events=("login_failed",)) == 5
    by_event = {r["event"]: r for r in rows}
    assert (by_event["account_added"]["username"], by_event["account_added"]["role"]) == ("boss", "admin")
    assert (by_event["login"]["username"], by_event["login"]["county_code"]) == ("wang", "211224")
    assert (by_event["page_view"]["page"], by_event["page_view"]["client"]) == ("总览", "10.0.0.9")
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="只能追加,不能修改"):
        con.execute("UPDATE audit SET username = 'someone-else'")
    with pytest.raises(sqlite3.DatabaseError, match="只能追加,不能删除"):
        con.execute("DELETE FROM audit")
    assert store.audit_count() == len(rows)


def test_no_password_token_or_identity_number_is_in_the_file(store, path):
    store.add("wang", "analyst", PASSWORD)
    token = store.login("wang", PASSWORD).token
    store.login("wang", WRONG)
    store.login(ID_NUMBER, PASSWORD)        # someone typed their identity number as the user name
    store.change_password("wang", PASSWORD, "Second-pass-77")
    assert store.resume(token)[0] is not None
    data = file_bytes(path)
    assert b"wang" in data                  # the check reads the file's contents at all
    for secret in (PASSWORD, WRONG, "Second-pass-77", token, ID_NUMBER, ID_NUMBER[6:14]):
        assert secret.encode() not in data, secret
    (row,) = store.audit_rows(events=("login_failed",), users=("211224" + "*" * 12,))
    assert json.loads(row["detail"])["账号"] == "211224" + "*" * 12


def test_the_file_is_owner_only_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        s = Store(tmp_path / "a.sqlite")
        s.add("wang", "analyst", PASSWORD)
        assert s.login("wang", PASSWORD).account is not None
        con = sqlite3.connect(tmp_path / "a.sqlite")     # another connection, as another dashboard process
        con.execute("SELECT count(*) FROM audit").fetchone()
        files = [f for f in tmp_path.iterdir() if f.name.startswith("a.sqlite")]
        assert {f.name for f in files} >= {"a.sqlite", "a.sqlite-wal", "a.sqlite-shm"}
        assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o600" for f in files}
        con.close()
    finally:
        os.umask(old)


def test_an_e_mail_belongs_to_one_account(store):
    store.add("wang", "analyst", PASSWORD, email="Wang@tieling.gov.cn")
    with pytest.raises(AccountError, match="已用于另一个账号"):
        store.add("li", "analyst", PASSWORD, email="wang@tieling.gov.cn")
    assert store.by_email("WANG@tieling.gov.cn").username == "wang"


# ------------------------------------------------------------------ the command line

def _cli(path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "ACCOUNTS_PATH": str(path)}
    return subprocess.run([sys.executable, "-m", "dashboard.accounts", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60, preexec_fn=lambda: os.umask(0o022))


def test_the_command_line_adds_from_stdin_and_refuses_a_duplicate(tmp_path):
    path = tmp_path / "cli.sqlite"
    added = _cli(path, "add", "zhao", "--role", "county", "--county", "211224", "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "已新建账号 zhao(县区用户·昌图县)"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600        # a umask of 022 in that process notwithstanding
    assert PASSWORD not in added.stdout + added.stderr
    again = _cli(path, "add", "zhao", "--role", "analyst", "--password-stdin", stdin=PASSWORD + "\n")
    assert again.returncode == 2 and again.stderr.strip() == "错误:账号 zhao 已存在。"
    s = Store(path)
    assert s.login("zhao", PASSWORD).account.principal == Principal("zhao", "county", "211224")
    (row,) = s.audit_rows(events=("account_added",))
    assert (row["username"], row["role"]) == ("命令行", "admin")


def test_the_command_line_commands(path, monkeypatch, capsys):
    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("add", "zhao", "--role", "county", "--password-stdin", stdin=PASSWORD + "\n")[::2] == \
        (2, "错误:县区用户必须用 --county 绑定一个区县代码;其他角色不绑定区县。\n")
    code, _, err = run("add", "zhao", "--role", "county", "--county", "210102", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and err.startswith("错误:区县代码 210102 不是铁岭市的区县:211202 银州区、") and "211282 开原市" in err
    assert run("add", "qian", "--role", "analyst", "--password-stdin", stdin="short\n")[::2] == \
        (2, "错误:密码至少 10 个字符。\n")
    assert run("add", "qian", "--role", "analyst", "--email", "qian@tieling.gov.cn", "--password-stdin",
               stdin=PASSWORD + "\n")[:2] == (0, "已新建账号 qian(分析员)\n")
    assert run("disable", "qian")[:2] == (0, "已停用账号 qian\n")
    assert run("disable", "nobody")[::2] == (2, "错误:账号 nobody 不存在。\n")
    code, out, _ = run("list")
    assert code == 0 and out.splitlines()[0] == "用户名\t角色\t区县\t电子邮箱\t状态\t创建时间(北京时间)"
    assert out.splitlines()[1].startswith("qian\t分析员\t\tqian@tieling.gov.cn\t停用\t")
    assert run("enable", "qian")[:2] == (0, "已启用账号 qian\n")
    assert run("reset", "qian", "--password-stdin", stdin="Reset-pass-123\n")[:2] == \
        (0, "已重置账号 qian 的密码,并解除锁定\n")
    assert Store().login("qian", "Reset-pass-123").account is not None
    code, out, _ = run("audit", "--limit", "3")
    assert code == 0 and [line.split("\t")[1:3] for line in out.splitlines()] == \
        [["qian", "登录成功"], ["命令行", "重置密码"], ["命令行", "启用账号"]]
    code, out, _ = run("audit", "--user", "命令行", "--event", "account_disabled", "--json")
    (line,) = out.splitlines()
    assert json.loads(line)["detail"] == '{"账号": "qian"}'

    code, out, _ = run("demo")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("演示账号(仅供演示") and len(lines) == 5
    passwords = {line.split("\t")[0].strip(): line.split("密码 ")[1] for line in lines[1:]}
    assert set(passwords) == {"demo-admin", "demo-leader", "demo-analyst", "demo-changtu"}
    assert "demo-changtu\t县区用户·昌图县" in out
    assert Store().login("demo-changtu", passwords["demo-changtu"]).account.county_code == "211224"
    code, out, _ = run("demo")                # once only: the passwords are never shown again
    assert code == 0 and out.startswith("演示账号已存在") and not any(p in out for p in passwords.values())
    assert len(Store().list()) == 5


# ------------------------------------------------------------------ dashboard.admin (账号管理, 审计日志)

NOT_ADMINS = [Principal("ld", "leader"), Principal("an", "analyst"), Principal("cy", "county", "211224")]
FUNCTIONS = {
    "accounts": lambda: admin.accounts(),
    "account": lambda: admin.account("wang"),
    "add_account": lambda: admin.add_account("x1", "analyst", PASSWORD, PASSWORD),
    "set_disabled": lambda: admin.set_disabled("wang", True),
    "change_role": lambda: admin.change_role("wang", "leader"),
    "reset_password": lambda: admin.reset_password("wang", "Another-pass-9", "Another-pass-9"),
    "audit_count": lambda: admin.audit_count(),
    "audit_trail": lambda: admin.audit_trail(),
    "audit_csv": lambda: admin.audit_csv(),
    "user_options": lambda: admin.user_options(),
    "event_options": lambda: admin.event_options(),
}


@pytest.mark.parametrize("who", NOT_ADMINS, ids=lambda p: p.role)
def test_the_administrators_functions_refuse_other_roles(store, who):
    store.add("wang", "analyst", PASSWORD)
    before = store.audit_count()
    with access.acting_as(who):
        for call in FUNCTIONS.values():
            with pytest.raises(Forbidden, match=f"^{who.role_label}无权"):
                call()
    assert store.audit_count() == before and store.get("wang").role == "analyst" and not store.get("wang").disabled
    assert admin.audit_csv(admin.AuditFilter(), who=BOSS)                   # a download made for an administrator
    with pytest.raises(Forbidden):
        admin.audit_csv(admin.AuditFilter(), who=who)                       # made for someone else: refused


def test_in_the_app_nobody_logged_in_is_refused_and_a_deferred_download_runs_as_its_user(store, monkeypatch):
    monkeypatch.setattr(access, "_in_app", True)
    with pytest.raises(Forbidden, match="未登录"):
        admin.accounts()
    made: dict[str, object] = {}

    def server_thread() -> None:     # where Streamlit runs a deferred download: no user is current there
        try:
            made["csv"] = admin.audit_csv(admin.AuditFilter(), who=BOSS)
            admin.audit_csv(admin.AuditFilter())
        except Forbidden as exc:
            made["refused"] = str(exc)
    thread = threading.Thread(target=server_thread)
    thread.start()
    thread.join()
    assert made["csv"].startswith(b"\xef\xbb\xbf") and made["refused"] == "未登录:请先登录。"


def test_account_changes_are_made_and_recorded_by_the_current_administrator(store, clock):
    with access.acting_as(BOSS):
        admin.add_account("boss", "admin", PASSWORD, PASSWORD)
        admin.add_account("li", "county", PASSWORD, PASSWORD, county="211281", email=" li@tieling.gov.cn ")
        admin.add_account("zhou", "analyst", PASSWORD, PASSWORD, county="211224")   # a county only for 县区用户
        admin.set_disabled("li", True)
        admin.set_disabled("li", False)
        admin.change_role("li", "county", "211282")
        admin.reset_password("zhou", "Another-pass-9", "Another-pass-9")
        frame = admin.accounts()
    assert frame.columns == ["用户名", "角色", "区县", "电子邮箱", "状态", "创建时间(北京时间)"]
    assert frame.drop("创建时间(北京时间)").rows() == [
        ("boss", "管理员", "", "", "正常"), ("li", "县区用户", "开原市", "li@tieling.gov.cn", "正常"),
        ("zhou", "分析员", "", "", "正常")]
    assert frame["创建时间(北京时间)"].to_list() == [datetime(2026, 3, 1, 23, 30)] * 3     # Beijing time
    rows = store.audit_rows()
    assert [r["event"] for r in reversed(rows)] == ["account_added"] * 3 + [
        "account_disabled", "account_enabled", "account_changed", "password_reset"]
    assert {(r["username"], r["role"]) for r in rows} == {("boss", "admin")}
    assert store.get("li").county_code == "211282" and store.login("zhou", "Another-pass-9").account


def test_what_the_administrators_functions_refuse(store):
    with access.acting_as(BOSS):
        admin.add_account("boss", "admin", PASSWORD, PASSWORD)
        admin.add_account("wang", "analyst", PASSWORD, PASSWORD)
        refused = {
            "两次输入的密码不一致。": lambda: admin.add_account("x1", "analyst", PASSWORD, PASSWORD + "x"),
            "县区用户须选择所属区县。": lambda: admin.add_account("x2", "county", PASSWORD, PASSWORD),
            "区县代码 210102 不是铁岭市的区县。": lambda: admin.add_account("x3", "county", PASSWORD, PASSWORD, "210102"),
            "请设置初始密码。": lambda: admin.add_account("x4", "analyst", "", "", email="x4@tieling.gov.cn"),
            "电子邮箱“x5”格式不正确。": lambda: admin.add_account("x5", "analyst", PASSWORD, PASSWORD, email="x5"),
            "账号 wang 已存在。": lambda: admin.add_account("wang", "leader", PASSWORD, PASSWORD),
            "账号 nobody 不存在。": lambda: admin.set_disabled("nobody", True),
            "不能停用自己的账号。": lambda: admin.set_disabled("boss", True),
            "不能修改自己的角色,请由另一位管理员修改。": lambda: admin.change_role("boss", "leader"),
            "不能在此重置自己的密码:请用“修改密码”(须输入原密码)。":
                lambda: admin.reset_password("boss", "Another-pass-9", "Another-pass-9"),
            "角色和区县没有变化。": lambda: admin.change_role("wang", "analyst"),
            "未知的角色:root": lambda: admin.change_role("wang", "root"),
        }
        for message, call in refused.items():
            with pytest.raises(AccountError) as caught:
                call()
            assert str(caught.value) == message
    with access.acting_as(Principal("other", "admin")):   # another administrator: boss is the only enabled one
        with pytest.raises(AccountError, match="唯一启用的管理员账号,不能停用"):
            admin.set_disabled("boss", True)
        with pytest.raises(AccountError, match="唯一启用的管理员账号,不能改为其他角色"):
            admin.change_role("boss", "leader")
        admin.change_role("wang", "admin")
        admin.set_disabled("boss", True)                   # now there is another
    assert [a.username for a in store.list() if a.role == "admin" and not a.disabled] == ["wang"]


def _trail(store: Store, clock: Clock) -> None:
    """Eight rows over two Beijing days: 23:30 on 1 March (15:30 UTC) and 00:30 on 2 March (16:30 UTC, still
    1 March in UTC), by three users; a failed login typed a formula as the user name."""
    store.audit(Principal("wang", "analyst"), "page_view", "总览", {"county": "211224", "from": "2023-01"}, "10.0.0.1")
    store.audit(Principal("li", "county", "211224"), "download", "纠纷分析", {"文件": "案件.csv", "行数": 3}, "10.0.0.2")
    store.audit(None, "login_failed", detail={"账号": '=HYPERLINK("http://x","y")', "原因": "无此账号"}, client="-1+1")
    store.audit(Principal("li", "county", "211224"), "refused", "总览", {"区县": ["211202"]}, "10.0.0.2")
    clock.move(hours=1)
    for i in range(4):
        store.audit(Principal("wang", "analyst"), "page_view", f"页面{i}", None, "10.0.0.1")


def test_the_audit_trail_filtered_by_beijing_days_users_and_events_and_paged(store, clock):
    _trail(store, clock)
    with access.acting_as(BOSS):
        assert admin.audit_count() == 8
        first = admin.AuditFilter(start=datetime(2026, 3, 1).date(), end=datetime(2026, 3, 1).date())
        second = admin.AuditFilter(start=datetime(2026, 3, 2).date())
        assert (admin.audit_count(first), admin.audit_count(second)) == (4, 4)
        assert admin.audit_count(admin.AuditFilter(users=("li",))) == 2
        assert admin.audit_count(admin.AuditFilter(users=("wang",), events=("page_view",))) == 5
        page = admin.audit_trail(first)
        assert list(admin.AUDIT_COLUMNS) == page.columns == \
            ["时间(北京时间)", "用户", "角色", "区县", "事件", "页面", "详情", "客户端地址"]
        assert page.rows() == [
            (datetime(2026, 3, 1, 23, 30), "li", "县区用户", "昌图县", "越权访问被拒绝", "总览", "区县:银州区", "10.0.0.2"),
            (datetime(2026, 3, 1, 23, 30), "", "", "", "登录失败", "", '账号:=HYPERLINK("http://x","y");原因:无此账号',
             "-1+1"),
            (datetime(2026, 3, 1, 23, 30), "li", "县区用户", "昌图县", "下载", "纠纷分析", "文件:案件.csv;行数:3", "10.0.0.2"),
            (datetime(2026, 3, 1, 23, 30), "wang", "分析员", "", "浏览页面", "总览", "county:211224;from:2023-01",
             "10.0.0.1")]
        newest = admin.audit_trail(admin.AuditFilter(), 0, 3)["页面"].to_list()
        assert newest == ["页面3", "页面2", "页面1"]
        assert admin.audit_trail(admin.AuditFilter(), 3, 3)["页面"].to_list() == ["页面0", "总览", ""]
        assert admin.audit_trail(admin.AuditFilter(), 9, 3).is_empty()
        admin.add_account("wang", "analyst", PASSWORD, PASSWORD)
        assert admin.user_options() == ["wang", "命令行"]   # the accounts, and changes made at the command line
    with pytest.raises(AccountError, match="起始日期不能晚于截止日期"):
        admin.AuditFilter(start=datetime(2026, 3, 2).date(), end=datetime(2026, 3, 1).date())
    with pytest.raises(AccountError, match="未知的事件类型"):
        admin.AuditFilter(events=("drop_table",))


def test_the_audit_download_is_formula_safe_and_bounded(store, clock, monkeypatch):
    # (the download is recorded by the page's button, dashboard.frame.download_button: tests/test_access_pages.py)
    _trail(store, clock)
    with access.acting_as(BOSS):
        data = admin.audit_csv(admin.AuditFilter(users=("nobody",)))   # no such user: the header alone
        assert data.decode("utf-8-sig").splitlines() == ["时间(北京时间),用户,角色,区县,事件,页面,详情,客户端地址"]
        rows = list(csv.reader(io.StringIO(admin.audit_csv(admin.AuditFilter(events=("login_failed",)))
                                           .decode("utf-8-sig"))))
        assert rows[1] == ["2026-03-01 23:30:00", "", "", "", "登录失败", "", '账号:=HYPERLINK("http://x","y");原因:无此账号',
                           "'-1+1"]
        monkeypatch.setattr(admin, "DOWNLOAD_LIMIT", 3)
        rows = list(csv.reader(io.StringIO(admin.audit_csv().decode("utf-8-sig"))))
        assert len(rows) == 1 + 3
