"""Who may see what, in the app (issue 11): the login form, every page rendered as each role, a county user's link
to another county refused and logged, downloads recorded.

The queries themselves are checked function by function in tests/test_scope.py; here the pages are rendered under
AppTest through tests/app_entry.py, logged in as the test account of a role (tests/conftest.py: test_accounts).
"""
from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboard import access, frame
from dashboard.accounts import Store
from tests.conftest import TEST_COUNTY, TEST_PASSWORD

ENTRY = str(Path(__file__).resolve().parent / "app_entry.py")
PAGES = [file for file, *_ in frame.PAGES]
OTHER_COUNTIES = {"银州区", "清河区", "铁岭县", "西丰县", "调兵山市", "开原市"}
LOCK = "个人和案件明细仅对分析员、县区用户和管理员开放"
# the pages whose person-level lists a 市局领导 does not get (the rest of the page still renders)
# (数据质量's quarantine rows too, but the demo warehouse has none: tests/test_scope.py checks quality.quarantine)
LISTS = {"disputes.py": "案件清单", "verification.py": "超期未核查任务清单"}


def _app(role: str, warehouse: Path, params: dict | None = None, env=os.environ) -> AppTest:
    """An AppTest logged in as the test account of `role` ("none": logged out); `env` is the environment to set,
    a monkeypatch in a test (so no role leaks into later tests of the process)."""
    setenv = env.setenv if hasattr(env, "setenv") else env.__setitem__
    setenv("TEST_ROLE", role)
    setenv("WAREHOUSE_PATH", str(warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=90)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at


ROLES = ("county", "leader", "admin")
ADMIN_FILES = [f for f, *_ in frame.ADMIN_PAGES]


def _navigation(role: str) -> list[str]:
    # an administrator's data pages are an analyst's (the same scope and lists: every other page test)
    return PAGES if role != "admin" else [PAGES[0]] + ADMIN_FILES


@pytest.fixture(scope="module")
def rendered(demo_warehouse):
    """Every page of a role's navigation, rendered as that role: rendered(role) → {page file: AppTest}."""
    return functools.partial(_render_role, warehouse=demo_warehouse)


@functools.cache   # once per process: under xdist a worker may set up a module fixture again between other files
def _render_role(role: str, warehouse: Path) -> dict:
    """One session logged in as `role` opens on the first page of its navigation and visits every other page in
    turn, as a user clicks through the menu; each page is kept as drawn (a copy of the AppTest keeps that run's
    elements: the next run draws into a new tree)."""
    saved = {k: os.environ.get(k) for k in ("TEST_ROLE", "WAREHOUSE_PATH")}
    try:
        at = _app(role, warehouse).run()
        out = {PAGES[0]: copy.copy(at)}
        for file in _navigation(role)[1:]:
            at.switch_page(f"../pages/{file}").run()
            out[file] = copy.copy(at)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return out


PUBLISHED = {"排名", "总分", "通报"}   # the ranked table's columns: published to every county (also on 总览)


def _texts(at: AppTest, published: bool = True) -> str:
    """Everything the page shows as text and in its tables (without the published ranked table, if not asked)."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success") for e in getattr(at, kind)]
    parts += [m.label + " " + str(m.value) for m in at.metric]
    for df in at.dataframe:
        if published or not PUBLISHED <= set(df.value.columns):
            parts.append(df.value.to_csv())
    return "\n".join(str(p) for p in parts)


# one test per role (the role's pages drawn in one session), so xdist spreads the roles over its workers; the extra
# group mark keeps them apart should tests/conftest.py's group of this file take effect (it puts every test of a
# file in one group)
@pytest.mark.parametrize("role", [pytest.param(role, marks=pytest.mark.xdist_group(f"access-{role}")) for role in ROLES])
def test_every_page_renders_as_each_role(rendered, role):
    pages = rendered(role)
    for file in PAGES + ADMIN_FILES:
        if file not in pages:
            assert role == "admin" or file in ADMIN_FILES, file
            continue
        at = pages[file]
        assert not at.exception, (file, [e.value for e in at.exception])
        shown = _texts(at)
        if role == "county" and file != "ranking.py":
            # nothing of another county anywhere on the page but the ranked table (all seven counties' ranks, totals
            # and 通报, which the bureau publishes; 考评排名 is made of such county-level scores)
            assert not {c for c in OTHER_COUNTIES if c in _texts(at, published=False)}, file
        if role == "county" and file == "ranking.py":
            table = at.dataframe[0].value
            assert len(table) == 7    # the ranked table: all seven counties, as the bureau publishes it
        if role == "leader" and file in LISTS:
            assert LISTS[file] in shown and LOCK in shown, file
        if role != "leader":
            assert LOCK not in shown, file


def test_the_county_user_sees_their_county_in_the_sidebar_and_only_it(demo_warehouse, monkeypatch):
    at = _app("county", demo_warehouse, env=monkeypatch).run()          # 总览, the first page
    assert not at.exception
    assert at.multiselect(key="f_counties").value == [TEST_COUNTY]
    assert at.multiselect(key="f_counties").options == ["昌图县"]
    assert any("当前用户:test-county(县区用户·昌图县)" in c.value for c in at.sidebar.caption)


def test_navigation_lists_the_admin_pages_only_for_administrators(tmp_path):
    for role, admin_pages in (("admin", True), ("analyst", False), ("leader", False), ("county", False)):
        principal = access.Principal("x", role, TEST_COUNTY if role == "county" else None)
        files = [file for file, _ in frame._pages(tmp_path, principal)]
        assert ("accounts.py" in files and "audit.py" in files) == admin_pages, role
    assert [file for file, _ in frame._pages(tmp_path, None)] == PAGES


def test_a_link_to_another_county_is_refused_and_logged(demo_warehouse, monkeypatch):
    at = _app("county", demo_warehouse, {"county": "211282"}, monkeypatch).run()
    assert not at.exception
    assert any("211282 已拒绝" in e.value for e in at.error)
    assert at.multiselect(key="f_counties").value == [TEST_COUNTY]      # still only the own county
    refused = Store().audit_rows(users=("test-county",), events=("refused",), limit=1)
    assert refused and json.loads(refused[0]["detail"])["区县"] == ["211282"]


def test_login_form_wrong_password_login_and_logout(demo_warehouse, monkeypatch):
    at = _app("none", demo_warehouse, env=monkeypatch).run()
    assert at.button[0].label == "登录" and not at.dataframe         # nothing of the data before login
    at.text_input(key="login_user").input("test-county")
    at.text_input(key="login_password").input("wrong-password-1")
    at.button[0].click().run()
    assert any("用户名或密码不正确" in e.value for e in at.error)
    at.text_input(key="login_user").input("test-county")
    at.text_input(key="login_password").input(TEST_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert any("县区用户·昌图县" in c.value for c in at.sidebar.caption)
    at.button(key="auth_logout").click().run()
    assert at.button[0].label == "登录"
    assert any("已退出登录" in e.value for e in at.info)
    events = [r["event"] for r in Store().audit_rows(users=("test-county",), limit=4)]
    assert events[:2] == ["logout", "page_view"] and "login" in events and "login_failed" in events


def test_a_download_is_recorded_with_its_user_filters_and_rows(monkeypatch):
    """frame.download_button: a deferred file runs as the user who drew the button, and the download is audited."""
    calls = {}

    class Where:
        def download_button(self, label, data, **kw):
            calls["data"], calls["kw"] = data, kw

    county = access.Principal("test-county", "county", TEST_COUNTY)
    monkeypatch.setattr(frame, "_page_path", lambda: "disputes")
    with access.acting_as(county):
        frame.download_button("下载", lambda: access.current().user.encode(), where=Where(), file_name="x.csv",
                              mime="text/csv", rows=3, filters={"county": TEST_COUNTY})
    access.in_app()          # as in the app's process: code run as nobody is refused
    try:
        with pytest.raises(access.Forbidden):
            access.current()
        assert calls["data"]() == b"test-county"        # the deferred file, made on a thread where nobody is current
    finally:
        access._in_app = False
    (row,) = Store().audit_rows(users=("test-county",), events=("download",), limit=1)
    assert row["page"] == "disputes"
    assert json.loads(row["detail"]) == {"文件": "x.csv", "筛选": {"county": TEST_COUNTY}, "行数": 3}


def test_the_login_cookie_is_signed_and_expires(monkeypatch):
    from datetime import datetime, timedelta, timezone

    from dashboard import auth

    later = datetime.now(timezone.utc) + timedelta(hours=1)
    value = auth.sign("tok-en_1", later)
    assert auth.unsign(value) == "tok-en_1"
    token, expires, mac = value.rsplit(".", 2)
    assert auth.unsign(f"{token}.{int(expires) + 3600}.{mac}") is None            # a longer life, forged
    assert auth.unsign(f"other.{expires}.{mac}") is None                          # another token, forged
    assert auth.unsign(value, now=later.timestamp() + 1) is None                  # past its expiry
    assert auth.unsign("") is None and auth.unsign("no-dots") is None and auth.unsign(None) is None
    monkeypatch.setenv("DASHBOARD_COOKIE_SECRET", "another-secret-of-at-least-thirty-two-bytes")
    assert auth.unsign(value) is None                                              # signed under another secret
    monkeypatch.setenv("DASHBOARD_COOKIE_SECRET", "short")
    with pytest.raises(auth.SecretMissing, match="DASHBOARD_COOKIE_SECRET"):
        auth.cookie_secret()


def test_without_a_cookie_secret_the_app_says_so_and_shows_nothing(demo_warehouse, monkeypatch):
    monkeypatch.delenv("DASHBOARD_COOKIE_SECRET")
    at = _app("analyst", demo_warehouse, env=monkeypatch).run()
    assert any("DASHBOARD_COOKIE_SECRET" in e.value for e in at.error) and not at.dataframe


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.text(max_size=200))
def test_no_cookie_value_nobody_signed_logs_anyone_in(value):
    """Whatever a browser sends as the cookie (any text, dots, digits), unsign answers None unless it is genuine."""
    from dashboard import auth

    assert auth.unsign(value) is None
