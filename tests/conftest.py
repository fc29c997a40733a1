"""Shared fixtures: a demo warehouse built once per session from generated exports, and file writers."""
from __future__ import annotations

import csv
import fcntl
import io
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
TEST_KEY = b"test-hmac-key-of-the-test-suite-only"  # 32+ bytes, as the ETL requires
ROOT = Path(__file__).resolve().parent.parent


# test files whose tests share a module-scoped fixture, split into this many xdist groups: a group runs whole on one
# worker, so the fixture is built once (spread test by test, each worker would build it again). The browser tests
# are split in two, each half with its live server, because they are the longest file by far.
SHARED_FIXTURE_GROUPS = {"test_access_pages.py": 1, "test_browser.py": 2, "test_challenge.py": 1, "test_county_map.py": 1, "test_contract_rules.py": 1, "test_definitions.py": 1,
                         "test_metrics.py": 1, "test_overview_page.py": 1, "test_quality.py": 1, "test_report.py": 1, "test_risks_page.py": 1, "test_scope.py": 1,
                         "test_rubric_in_force.py": 1, "test_score_export.py": 1, "test_simulate.py": 1}


TEST_PASSWORD = "Test-password-1"
TEST_COUNTY = "211224"   # 昌图县, the county of the test 县区用户
TEST_COOKIE_SECRET = "test-cookie-secret-of-the-test-suite-only-32+"


@pytest.fixture(scope="session", autouse=True)
def test_accounts(tmp_path_factory) -> Path:
    """One account per role (test-admin, test-leader, test-analyst, test-county for 昌图县), password TEST_PASSWORD,
    in a store of this test process; the app and the AppTest entry script (tests/app_entry.py) find it through
    ACCOUNTS_PATH, and sign cookies with a test secret."""
    from dashboard.accounts import Store

    path = tmp_path_factory.mktemp("accounts") / "accounts.sqlite"
    os.environ["ACCOUNTS_PATH"] = str(path)
    os.environ["DASHBOARD_COOKIE_SECRET"] = TEST_COOKIE_SECRET
    store = Store(path)
    for role in ("admin", "leader", "analyst", "county"):
        store.add(f"test-{role}", role, TEST_PASSWORD, TEST_COUNTY if role == "county" else None)
    return path


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist's own hook reads the groups (its worker plugin is registered last)
def pytest_collection_modifyitems(items) -> None:
    seen: dict[str, int] = {}
    for item in items:
        groups = SHARED_FIXTURE_GROUPS.get(item.path.name)
        if groups:
            n = seen[item.path.name] = seen.get(item.path.name, -1) + 1
            item.add_marker(pytest.mark.xdist_group(f"{item.path.stem}-{n % groups}"))


def fetch(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one query against a warehouse file, opened read-only and closed again."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None:
                    ws.write(i, j, value)
    wb.close()
    return path


def _built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """A directory built once for the whole run: with pytest-xdist the workers share the run's temporary root, the
    first to ask builds (under a lock) and the others wait and reuse it, so the ETL is not run once per worker."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    target = root / name
    with open(root / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".built").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            build(target)
            (target / ".built").touch()
    return target


def _generate(seed: int, messy: bool = False) -> Callable[[Path], None]:
    def build(out: Path) -> None:
        from etl.simulate import generate

        generate(out, seed=seed, scale=0.1, messy=messy)
    return build


def _load(inbox: Path) -> Callable[[Path], None]:
    def build(out: Path) -> None:
        from warehouse.publish import run

        assert run(inbox, out / "warehouse.duckdb", hmac_key=TEST_KEY).published
    return build


@pytest.fixture(scope="session")
def demo_inbox(tmp_path_factory) -> Path:
    return _built_once(tmp_path_factory, "demo_inbox", _generate(7))


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory, demo_inbox) -> Path:
    """A small warehouse from generated exports through the real ETL, once per run (shared by xdist workers)."""
    return _built_once(tmp_path_factory, "demo_warehouse", _load(demo_inbox)) / "warehouse.duckdb"


@pytest.fixture(scope="session")
def messy_inbox(tmp_path_factory) -> tuple[Path, dict]:
    import json

    inbox = _built_once(tmp_path_factory, "messy_inbox", _generate(11, messy=True))
    return inbox, json.loads((inbox / ".simulate-manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def messy_warehouse(tmp_path_factory, messy_inbox) -> Path:
    return _built_once(tmp_path_factory, "messy_warehouse", _load(messy_inbox[0])) / "warehouse.duckdb"
