"""The real dashboard in headless Chromium: what a person at the bureau does with 总览.

Starts `streamlit run app.py` on a free localhost port against the session's demo warehouse,
drives it with Playwright through Debian's /usr/bin/chromium (never `playwright install`),
and leaves full-page screenshots in artifacts/ for a human to look at.
Only 127.0.0.1 is ever contacted: any other request from the page is aborted and fails the test.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dashboard import organisations as org
from dashboard import metrics, queries
from dashboard import verification as v
from dashboard.filters import Filters
from dashboard.frame import PAGES
from tests.conftest import fetch

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)
try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError as missing:
    pytest.skip(f"browser tests need the playwright package (test extras): {missing}", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60    # seconds for the server to answer /_stcore/health
RENDER_TIMEOUT = 30_000  # ms for a page run to show up in the browser
# assertions wait as long as actions: a rerun on a busy machine (the suite runs on both cores) takes more than
# Playwright's default 5 s, and a slow page is not a wrong one
expect.set_options(timeout=RENDER_TIMEOUT)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
KAIYUAN, CHANGTU = "211282", "211224"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


@pytest.fixture(scope="module")
def dashboard_url(demo_warehouse, tmp_path_factory):
    """The real app (`streamlit run app.py`) on a free localhost port, reading the demo warehouse."""
    port = _free_port()
    url = f"http://{HOST}:{port}"
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "WAREHOUSE_PATH": str(demo_warehouse)}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", HOST, "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {STARTUP_TIMEOUT} s:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the process group is the server's alone
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def outside_requests() -> list[str]:
    """URLs the page tried to fetch from anywhere but localhost (all aborted)."""
    return []


@pytest.fixture(scope="module")
def browser(tmp_path_factory, outside_requests):
    """One headless Chromium (Debian's) for the module; every non-localhost request is aborted and noted."""
    def guard(route):
        url = route.request.url
        if urlsplit(url).hostname == HOST:
            route.continue_()
        else:
            outside_requests.append(url)
            route.abort()

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            user_data_dir=tmp_path_factory.mktemp("chromium-profile"), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1440, "height": 1000}, locale="zh-CN",
            accept_downloads=True)
        context.set_default_timeout(RENDER_TIMEOUT)
        context.route("**/*", guard)
        log_in(context, "test-analyst")
        try:
            yield context
        finally:
            context.close()


def log_in(context, user: str) -> None:
    """The cookie a login of `user` leaves (a session in the test store, signed with the test secret): the pages
    under test open logged in. The login form itself is driven in test_browser_access.py."""
    from dashboard.accounts import Store
    from dashboard.auth import COOKIE, sign

    store = Store()
    token = store.open_session(user)
    context.add_cookies([{"name": COOKIE, "value": sign(token, store.session_expiry(token)), "domain": HOST,
                          "path": "/"}])


@pytest.fixture
def page(browser, outside_requests) -> Page:
    page = browser.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    yield page
    page.close()
    assert not page_errors, f"JavaScript errors in the page: {page_errors}"
    assert not outside_requests, f"the page tried to leave localhost: {outside_requests}"


# --- helpers -------------------------------------------------------------------------------------------

def _wait_idle(page: Page) -> None:
    """The script run is over (Streamlit's own marker on the app root, no running-man widget) and drawn."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")
    # plotly draws after the run has ended; wait for the three charts (or for the box of a crashed page)
    page.wait_for_function("""() => document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= 5
                                    || document.querySelector('[data-testid="stException"]')""")


def _assert_no_exception(page: Page) -> None:
    boxes = page.get_by_test_id("stException")
    if boxes.count():
        pytest.fail("the page shows a Streamlit exception:\n" + "\n---\n".join(boxes.all_inner_texts()))


def _assert_overview(page: Page) -> None:
    """总览 has rendered: title, the 受理案件数 metric, its five plotly charts (map, timeline, three case
    charts), and no exception box."""
    _assert_no_exception(page)
    expect(page.get_by_role("heading", name="总览", level=1)).to_be_visible()
    expect(_metric(page, "受理案件数")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(5)
    expect(page.locator(".js-plotly-plot svg.main-svg").first).to_be_visible()
    _assert_no_exception(page)


def _metric(page: Page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _count(text: str) -> int:
    """'1,234 件' → 1234."""
    match = re.fullmatch(r"\s*([\d,]+)\s*件\s*", text)
    assert match, f"not a case count: {text!r}"
    return int(match.group(1).replace(",", ""))


def _county_select(page: Page):
    return page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="区县")


def _screenshot(page: Page, name: str) -> None:
    """A full-page screenshot. Streamlit scrolls inside <main data-testid="stMain">, not the document, so
    the window is made as tall as that content for the shot (full_page alone would stop at the fold)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    content = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], content)})
    try:
        page.screenshot(path=str(ARTIFACTS / name), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)


# --- tests ---------------------------------------------------------------------------------------------

def test_a_link_straight_to_a_page_works_on_a_fresh_server(page, dashboard_url):
    """Runs first in the module, while the server has served no session: a shared link to a page
    (not the root) must draw the frame and the page with the link's filter."""
    page.goto(f"{dashboard_url}/quality?county={CHANGTU}")
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    _assert_no_exception(page)
    expect(page.get_by_role("heading", name="数据质量", level=1)).to_be_visible()
    expect(_county_select(page)).to_contain_text("昌图县")
    _screenshot(page, "quality.png")


def test_overview_county_filter_and_csv_download(page, dashboard_url, demo_warehouse, tmp_path):
    page.goto(dashboard_url)
    _wait_idle(page)
    _screenshot(page, "overview.png")  # before the checks, so a broken page is there to look at
    _assert_overview(page)
    city_text = _metric(page, "受理案件数").inner_text()
    city = _count(city_text)
    assert city == _accepted(Filters(), demo_warehouse)

    # Choose 开原市 in the sidebar's 区县 multiselect, as a person would.
    _choose(page, "区县", "开原市")
    expect(_metric(page, "受理案件数")).not_to_have_text(city_text)
    _wait_idle(page)
    _screenshot(page, "overview_kaiyuan.png")
    _assert_overview(page)
    kaiyuan = _count(_metric(page, "受理案件数").inner_text())
    assert 0 < kaiyuan < city
    assert kaiyuan == _accepted(Filters((KAIYUAN,)), demo_warehouse)
    expect(page).to_have_url(re.compile(rf"[?&]county={KAIYUAN}(&|$)"))
    expect(_county_select(page)).to_contain_text("开原市")

    # The table's CSV: a Chinese file name, UTF-8 with BOM (Excel), only 开原市's row.
    with page.expect_download() as download_info:
        page.get_by_test_id("stDownloadButton").filter(has_text="下载 CSV").get_by_role("button").click()
    download = download_info.value
    name = download.suggested_filename
    assert name.endswith(".csv") and "铁岭市人民调解案件录入率" in name, name
    saved = tmp_path / name
    download.save_as(saved)
    body = saved.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    assert "开原市".encode("utf-8") in body
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["区县"] for row in rows] == ["开原市"]
    _assert_no_exception(page)


def test_ranking_page_xlsx_download(page, dashboard_url, demo_warehouse, tmp_path):
    """考评排名 from a direct link: the ranked table, its charts, and the XLSX a person downloads from it."""
    import openpyxl

    from warehouse.scoring import score

    page.goto(f"{dashboard_url}/ranking")
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    expect(page.get_by_role("heading", name="考评排名", level=1)).to_be_visible()
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")
    page.wait_for_function("""() => document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= 2
                                    || document.querySelector('[data-testid="stException"]')""")
    _assert_no_exception(page)
    _screenshot(page, "ranking.png")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()

    card = score(demo_warehouse)
    with page.expect_download() as download_info:
        page.get_by_test_id("stDownloadButton").filter(has_text="XLSX").get_by_role("button").click()
    download = download_info.value
    name = download.suggested_filename
    assert name == f"铁岭市矛盾纠纷预防化解专项行动考评排名表_截至{card.as_of.isoformat()}.xlsx", name
    saved = tmp_path / name
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    assert sheet["A1"].value == "铁岭市矛盾纠纷预防化解专项行动考评排名表"
    counties = {c.county for c in card.counties}
    rows = [(row[0], row[1]) for row in sheet.iter_rows(values_only=True) if row[1] in counties]
    assert len(rows) == 7
    assert [(rank, county) for rank, county in rows] == [(c.rank, c.county) for c in card.counties]
    _assert_no_exception(page)


def _accepted(f: Filters, warehouse) -> int:
    """Cases accepted in the period as the pages count them at their as-of date."""
    return queries.kpis(f, metrics.as_of(f, warehouse), warehouse)["accepted"]


# --- every page, the map, and the questions the bureau asks ---------------------------------------------------

def _open(page: Page, url: str, title: str, charts: int = 1) -> None:
    """Go to `url` and wait until the page's run is over and `charts` plotly charts are drawn."""
    page.goto(url)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")
    page.wait_for_function(f"""() => document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= {charts}
                                     || document.querySelector('[data-testid="stException"]')""")
    _assert_no_exception(page)


def _multiselect(page: Page, label: str):
    return page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has=page.get_by_text(label, exact=True))


def _choose(page: Page, label: str, option: str) -> None:
    """Choose `option` in the sidebar multiselect `label` as a person does, and wait for the run it starts.

    On a machine busy with the parallel suite, a click on an option is now and then lost by the browser's select
    component (seen about once in a dozen tries under full load, never when idle); a person then clicks again,
    and so does this, at most three times. What the app does with the choice is asserted by the callers."""
    box = _multiselect(page, label)
    for attempt in range(3):
        box.get_by_role("combobox").click()
        page.get_by_role("option", name=option, exact=True).click()
        page.keyboard.press("Escape")
        try:
            expect(box).to_contain_text(option, timeout=5_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    # the choice starts a run: wait for it to begin (it may already be over on a fast machine), then to end, so the
    # next choice is not made while this one's run is still under way
    try:
        page.wait_for_function("""() => document.querySelector('[data-testid="stApp"]')
                                        ?.getAttribute('data-test-script-state') !== 'notRunning'""", timeout=1500)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: the run was quicker than the poll
        pass
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")


# Pages that no other test here opens in the browser. Every page's handling of a shared link's filters runs through
# the one frame, checked for all seven pages under AppTest (tests/test_app.py); the others are opened, filtered and
# screenshotted by the tests of what a person does below and above.
OPENED_ONLY_HERE = ("risks", "verification")


@pytest.mark.parametrize("file,title,url_path", [(f, t, u) for f, t, _, u in PAGES if u in OPENED_ONLY_HERE])
def test_every_page_opens_with_a_filter_and_is_screenshotted(page, dashboard_url, file, title, url_path):
    """A page from a shared link with a county and a period: it draws, keeps the filter, and leaves a screenshot in
    artifacts/ (looked at by a person)."""
    _open(page, f"{dashboard_url}/{url_path}?county={KAIYUAN}&from=2023-04", title)
    _screenshot(page, f"page_{url_path}.png")
    expect(_county_select(page)).to_contain_text("开原市")
    expect(page).to_have_url(re.compile(rf"[?&]county={KAIYUAN}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]from=2023-04(&|$)"))
    _assert_no_exception(page)


def test_clicking_a_county_on_the_map_filters_the_app(page, dashboard_url, demo_warehouse):
    _open(page, dashboard_url, "总览", charts=5)
    label = page.locator(".js-plotly-plot g.annotation", has_text="昌图县").first   # the name written on the map
    expect(label).to_be_visible()
    label.scroll_into_view_if_needed()
    box = label.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(_county_select(page)).to_contain_text("昌图县", timeout=RENDER_TIMEOUT)
    expect(page).to_have_url(re.compile(rf"[?&]county={CHANGTU}(&|$)"))
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")
    expect(page.get_by_role("heading", name=re.compile("专项行动目标 · 昌图县"))).to_be_visible()
    changtu = _accepted(Filters((CHANGTU,)), demo_warehouse)
    expect(_metric(page, "受理案件数")).to_have_text(f"{changtu:,} 件")
    _screenshot(page, "overview_map_changtu.png")

    # the filter follows the person to another page
    page.get_by_test_id("stSidebarNav").get_by_text("核查与帮教", exact=True).click()
    expect(page.get_by_role("heading", name="核查与帮教", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/verification\?(.*&)?county={CHANGTU}(&|$)"))
    expect(_county_select(page)).to_contain_text("昌图县")


def test_how_neighbour_disputes_developed_in_kaiyuan(page, dashboard_url, demo_warehouse):
    """"how did 邻里纠纷 develop in 开原市 this year": 纠纷分析, choose the county and the dispute type."""
    _open(page, f"{dashboard_url}/disputes", "纠纷分析")
    _choose(page, "区县", "开原市")
    _choose(page, "纠纷类型", "邻里纠纷")
    expect(page).to_have_url(re.compile(rf"[?&]county={KAIYUAN}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]type=02(&|$)"))
    _assert_no_exception(page)
    (n,), = fetch(demo_warehouse, """
        SELECT count(*) FROM marts.cases WHERE county_code = ? AND dispute_category = '邻里纠纷'""", [KAIYUAN])
    assert n > 0
    expect(page.get_by_test_id("stMetric").filter(has_text="受理案件数").get_by_test_id("stMetricValue")) \
        .to_contain_text(f"{n:,}")
    _screenshot(page, "disputes_kaiyuan_neighbours.png")


def test_overdue_tasks_in_changtu_and_idle_points(page, dashboard_url, demo_warehouse):
    """"which verification tasks are overdue in 昌图县" and "which 评理说事点 were idle last month"."""
    _open(page, f"{dashboard_url}/verification?county={CHANGTU}", "核查与帮教")
    # a shared link's county is the filter, alone, and stays in the URL
    select = _county_select(page)
    expect(select).to_contain_text("昌图县")
    for other in ("开原市", "银州区", "清河区", "铁岭县", "西丰县", "调兵山市"):
        expect(select).not_to_contain_text(other)
    expect(page).to_have_url(re.compile(rf"[?&]county={CHANGTU}(&|$)"))
    expect(page.get_by_role("heading", name="超期未核查任务")).to_be_visible()
    day = metrics.as_of(Filters((CHANGTU,)), demo_warehouse)
    overdue = v.overdue(Filters((CHANGTU,)), day, demo_warehouse)
    assert overdue.height > 0 and set(overdue["区县"]) == {"昌图县"}
    expect(page.get_by_text(f"超期未核查任务共 {overdue.height:,} 件", exact=False)).to_be_visible()

    _open(page, f"{dashboard_url}/organisations", "组织与队伍")
    last, idle = org.inactive_points(Filters(), metrics.as_of(Filters(), demo_warehouse), demo_warehouse)
    expect(page.get_by_text(f"的评理说事点(共 {idle.height:,} 个)", exact=False)).to_be_visible()
    _screenshot(page, "organisations_idle.png")


def test_a_narrow_screen_stacks_the_cards(page, dashboard_url):
    """On a phone-width window the target cards wrap into one column instead of being squeezed."""
    page.set_viewport_size({"width": 420, "height": 900})
    _open(page, dashboard_url, "总览", charts=5)
    cards = page.get_by_test_id("stMetric")

    def stacked() -> tuple[bool, dict, dict]:
        first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
        return abs(first["x"] - second["x"]) < 2 and second["y"] > first["y"] + first["height"] - 2, first, second
    deadline = time.monotonic() + RENDER_TIMEOUT / 1000  # a busy machine may still be laying the cards out
    ok, first, second = stacked()
    while not ok and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        ok, first, second = stacked()
    assert ok, (first, second)
    assert first["width"] > 300  # a whole row, not a third of one
    _screenshot(page, "overview_narrow.png")


# --- a 县区用户 in the real browser (issue 11 item 4) ------------------------------------------------------------

OTHER_COUNTIES = {"211202": "银州区", "211204": "清河区", "211221": "铁岭县", "211223": "西丰县", "211281": "调兵山市",
                  KAIYUAN: "开原市"}
# a county's code alone or at the head of a longer code (a township's, an organisation's), not inside a hash
OTHER_CODE = re.compile(rf"(?<![0-9A-Za-z])({'|'.join(OTHER_COUNTIES)})")
# every page a 县区用户 reaches and the download buttons it offers 昌图县 with the demo warehouse, in sidebar order
COUNTY_DOWNLOADS = {
    "纠纷分析": ("下载全部(CSV)", "下载全部(Excel)"),
    "总览": ("下载 Excel(XLSX)", "下载 CSV"),
    "核查与帮教": ("下载超期未核查任务(CSV)",),
    "组织与队伍": ("下载 CSV",),
    "风险预警": ("下载逾期或未报的月报(CSV)",),
    "考评排名": ("下载 Excel(XLSX)", "下载 CSV"),
    "数据质量": (),   # the demo warehouse quarantines nothing: no quarantine download (a county user's quarantine rows
                      # on the messy warehouse: tests/test_scope.py)
}


def _login_form(page: Page):
    return page.get_by_test_id("stForm").filter(has=page.get_by_label("用户名", exact=True))


def _settled(page: Page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")


def _file_text(path: Path) -> str:
    """All a downloaded file says: a CSV's text, or every sheet name and cell of an XLSX."""
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        return "\n".join([sheet.title for sheet in book.worksheets]
                         + [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                            for v in row if v is not None])
    body = path.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf"), path.name
    return body.decode("utf-8-sig")


def _other_counties(text: str) -> set[str]:
    return ({name for name in OTHER_COUNTIES.values() if name in text}
            | {OTHER_COUNTIES[code] for code in OTHER_CODE.findall(text)})


def test_county_user_logs_in_is_refused_another_county_downloads_only_their_own_and_logs_out(
        page, browser, dashboard_url, tmp_path):
    """The 昌图县 user: a link to 开原市's 纠纷分析 asks for the login first, then refuses 开原市 (audited) and shows only
    昌图县; every download the user can reach holds no other county's name or code, and each leaves an audit row
    with its file and row count; 退出登录 ends the session and the cookie, so a reload asks for the login again."""
    from dashboard.accounts import Store
    from dashboard.auth import COOKIE
    from tests.conftest import TEST_COUNTY, TEST_PASSWORD

    assert TEST_COUNTY == CHANGTU
    store, who = Store(), ("test-county",)
    browser.clear_cookies()
    try:
        # nobody logged in: the link shows the login form and nothing of the page
        page.goto(f"{dashboard_url}/disputes?county={KAIYUAN}")
        expect(_login_form(page)).to_be_visible()
        _settled(page)
        expect(page.get_by_role("heading", name="纠纷分析", level=1)).to_have_count(0)
        for element in ("stMetric", "stDataFrame", "stDownloadButton", "stSidebarNav"):
            expect(page.get_by_test_id(element)).to_have_count(0)

        refused_before = store.audit_count(users=who, events=("refused",))
        page.get_by_label("用户名", exact=True).fill("test-county")
        page.get_by_label("密码", exact=True).fill(TEST_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="纠纷分析", level=1)).to_be_visible()
        _settled(page)
        refusal = page.get_by_test_id("stAlert").filter(has_text=f"链接中的区县 {KAIYUAN} 已拒绝")
        expect(refusal).to_be_visible()
        expect(refusal).to_contain_text("您的账号只能查看本区县的数据")
        _assert_no_exception(page)
        _screenshot(page, "county_user_refused_link.png")
        refused = store.audit_rows(users=who, events=("refused",))
        assert len(refused) == refused_before + 1 and KAIYUAN in refused[0]["detail"], refused[:1]
        expect(page).to_have_url(re.compile(rf"[?&]county={CHANGTU}(&|$)"))
        select = _county_select(page)
        expect(select).to_contain_text("昌图县")
        for other in OTHER_COUNTIES.values():
            expect(select).not_to_contain_text(other)
        select.get_by_role("combobox").click()   # nothing else to choose: the list offers no other county
        expect(page.get_by_text("无匹配项", exact=True)).to_be_visible()   # Streamlit's words in Chinese (ui.js)
        for other in OTHER_COUNTIES.values():
            expect(page.get_by_role("option", name=other, exact=True)).to_have_count(0)
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("stSidebar")).to_contain_text("test-county(县区用户·昌图县)")

        # every download of every page, as the user reaches it (the sidebar, which keeps the session)
        leaks: dict[str, set[str]] = {}
        url_path = {title: url for _, title, _, url in PAGES}
        for title, labels in COUNTY_DOWNLOADS.items():
            if title != "纠纷分析":
                page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
                expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
                _settled(page)
            _assert_no_exception(page)
            buttons = page.get_by_test_id("stDownloadButton")
            expect(buttons).to_have_count(len(labels))   # drawn (a loaded machine draws them after the run's end)
            # a button's text after its icon's ligature ("download")
            assert [text.split("\n")[-1] for text in buttons.all_inner_texts()] == list(labels), title
            for label in labels:
                before = store.audit_count(users=who, events=("download",))
                with page.expect_download() as info:
                    buttons.filter(has_text=label).get_by_role("button").click()
                download = info.value
                name = download.suggested_filename
                saved = tmp_path / name
                download.save_as(saved)
                text = _file_text(saved)
                assert "昌图县" in text, (title, label, name)
                found = _other_counties(name + "\n" + text)
                if found:
                    leaks[f"{title} · {label} · {name}"] = found
                # the audit row of this download: the user, the page, the file and its row count
                deadline = time.monotonic() + RENDER_TIMEOUT / 1000
                while store.audit_count(users=who, events=("download",)) == before and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert store.audit_count(users=who, events=("download",)) == before + 1, (title, label)
                row, = store.audit_rows(users=who, events=("download",), limit=1)
                detail = json.loads(row["detail"])
                assert (row["role"], row["county_code"], row["page"]) == ("county", CHANGTU, url_path[title]), row
                assert detail["文件"] == name and isinstance(detail["行数"], int) and detail["行数"] > 0, detail
                if title == "考评排名":
                    assert detail["行数"] == 1, detail   # the own county's row of the ranked table
                _settled(page)   # the click's rerun (an audited button reruns the page) is over
        expect(page.get_by_text("隔离区为空", exact=False)).to_be_visible()   # on 数据质量: why it offers none
        assert not leaks, f"downloads with other counties: {leaks}"

        # 退出登录: the login form, and after a reload still (the session ended, the cookie cleared)
        logouts = store.audit_count(users=who, events=("logout",))
        page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
        expect(_login_form(page)).to_be_visible()
        expect(page.get_by_text("已退出登录。")).to_be_visible()
        assert store.audit_count(users=who, events=("logout",)) == logouts + 1
        page.wait_for_function(f"() => !document.cookie.split('; ').some(c => c.startsWith('{COOKIE}=') "
                               f"&& c.length > '{COOKIE}='.length)")
        page.reload()
        expect(_login_form(page)).to_be_visible()
        _settled(page)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        expect(page.get_by_test_id("stMetric")).to_have_count(0)
        assert not [c for c in browser.cookies() if c["name"] == COOKIE and c["value"]]
    finally:
        browser.clear_cookies()
        log_in(browser, "test-analyst")   # the module's other tests open logged in as the analyst


# --- issue 13: meetings, challenges, inputs and links ------------------------------------------------------------

FULL_HD = {"width": 1920, "height": 1080}
PHONE = {"width": 420, "height": 900}


def _idle(page: Page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden")


def _scorecard(path: Path, as_of=None):
    from dashboard import ranking
    from dashboard.access import SYSTEM, acting_as
    with acting_as(SYSTEM):
        return ranking.scorecard(as_of or metrics.as_of(Filters(), path), path=path)


def test_at_full_hd_the_overview_shows_the_ranking_and_the_named_map_above_the_fold(page, dashboard_url, demo_warehouse):
    """A leader at the projector sees, without scrolling, every county's rank, total, 通报 and reasons, and the map
    with every county's name on it; 放映模式 hides the sidebar and keeps the filters in the link."""
    page.set_viewport_size(FULL_HD)
    _open(page, dashboard_url, "总览", charts=5)
    card = _scorecard(demo_warehouse)
    table = page.locator("table.tieling-ranking")
    expect(table.locator("tbody tr")).to_have_count(len(card.counties))
    last = table.locator("tbody tr").last
    expect(last).to_contain_text(card.counties[-1].county)
    assert last.bounding_box()["y"] + last.bounding_box()["height"] <= FULL_HD["height"]   # above the fold
    for c in card.counties:
        label = page.locator(".js-plotly-plot g.annotation", has_text=c.county).first
        expect(label).to_be_visible()
        assert label.bounding_box()["y"] + label.bounding_box()["height"] <= FULL_HD["height"], c.county
    page.screenshot(path=str(ARTIFACTS / "overview_1920x1080.png"))
    page.goto(f"{dashboard_url}/?view=screen&county={KAIYUAN}")
    _idle(page)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_role("button", name="退出放映模式")).to_be_visible()
    expect(page.locator("table.tieling-ranking b", has_text="开原市")).to_be_visible()   # the filter kept
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "overview_screen_1920x1080.png"))
    page.get_by_role("button", name="退出放映模式").click()
    _idle(page)
    expect(page).not_to_have_url(re.compile(r"view=screen"))
    expect(page).to_have_url(re.compile(rf"county={KAIYUAN}"))


COUNTY_NAMES = ("银州区", "清河区", "铁岭县", "西丰县", "昌图县", "调兵山市", "开原市")


def _apart(a: dict, b: dict) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_the_timeline_and_map_labels_fit_at_1920_1440_and_on_a_phone(page, dashboard_url):
    """The campaign timeline's phase names and as-of label stay inside the chart and apart at each width (one page,
    resized: Plotly redraws to the new width), and the map's county names apart at 1920 px."""
    _open(page, dashboard_url, "总览", charts=5)
    for size in (FULL_HD, {"width": 1440, "height": 1000}, PHONE):
        page.set_viewport_size(size)
        page.wait_for_timeout(800)   # Plotly's resize
        chart = page.locator(".js-plotly-plot", has=page.locator("text", has_text="专项行动时间轴")).first
        chart.scroll_into_view_if_needed()
        frame = chart.locator("svg.main-svg").first.bounding_box()
        boxes = [a.bounding_box() for a in chart.locator("g.annotation").all()]
        assert len(boxes) >= 4   # three phases and the as-of date
        for b in boxes:
            assert frame["x"] - 1 <= b["x"] and b["x"] + b["width"] <= frame["x"] + frame["width"] + 1, (size, b)
        assert all(_apart(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), size
        if size is FULL_HD:   # the projector's map: every county's name apart from the others
            county_map = page.locator(".js-plotly-plot", has=page.locator("text", has_text="各区县")).first
            names = [county_map.locator("g.annotation", has_text=name).first.locator("g.annotation-text-g")
                     .bounding_box() for name in COUNTY_NAMES]   # the text with its box, not a callout's line
            assert all(_apart(a, b) for i, a in enumerate(names) for b in names[i + 1:]), "map labels overlap"
    _screenshot(page, "overview_420.png")


def test_a_click_on_an_indicator_cell_opens_its_trace_by_township(page, dashboard_url, demo_warehouse, tmp_path):
    """A county director challenges a score: a click in the ranked table opens that county's indicator, by
    township with numerator and denominator, and the trace downloads with the same totals."""
    import openpyxl

    page.set_viewport_size(FULL_HD)
    _open(page, f"{dashboard_url}/ranking", "考评排名")
    card = _scorecard(demo_warehouse)
    county = card.counties[-1]
    grid = page.locator(".st-key-r_table")
    grid.locator("canvas").first.wait_for()
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 35 + 35 * (len(card.counties) - 1) + 17)   # the last row's 排名
    for _ in range(5):   # 区县, 总分, 较上月末, 总分走势, then the first indicator
        page.keyboard.press("ArrowRight")
    expect(page.locator(".st-key-r_drill_county").get_by_role("combobox")).to_have_value(county.county)
    expect(page.locator(".st-key-r_drill_key").get_by_role("combobox")).to_have_value("1. 人民调解案件录入率")
    _idle(page)
    r = county.indicators["entry_rate"]
    expect(_metric(page, "分子")).to_have_text(f"{int(r.numerator):,}")
    expect(_metric(page, "分母")).to_have_text(f"{r.denominator:,}")
    expect(page.get_by_role("tab", name="按乡镇(街道)")).to_be_visible()
    page.get_by_role("heading", name="明细追溯").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "ranking_trace_1920x1080.png"))
    with page.expect_download() as info:
        page.get_by_role("button", name="下载明细追溯(XLSX)").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == f"{county.county}_人民调解案件录入率_明细追溯_截至{card.as_of:%Y-%m-%d}.xlsx"
    towns = list(openpyxl.load_workbook(saved)["按乡镇(街道)"].iter_rows(min_row=5, values_only=True))
    assert sum(t[2] for t in towns) == r.numerator and sum(t[3] for t in towns) == r.denominator


def test_a_typed_date_applies_on_enter_and_a_download_carries_the_date_shown(page, dashboard_url):
    _open(page, f"{dashboard_url}/ranking", "考评排名")
    field = page.get_by_test_id("stSidebar").locator(".st-key-f_asof_input")
    field.locator('[data-type="month"]').click()
    page.keyboard.type("08")
    page.keyboard.type("31")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]asof=2023-08-31(&|$)"))
    _idle(page)
    expect(page.get_by_text("截至日期:2023-08-31")).to_be_visible()
    # a date typed and the download clicked at once: the file is the new date's, never the one before
    field.locator('[data-type="month"]').click()
    page.keyboard.type("06")
    page.keyboard.type("30")
    with page.expect_download() as info:
        page.get_by_test_id("stDownloadButton").filter(has_text="下载 CSV").locator("button").click()
    assert info.value.suggested_filename.endswith("_截至2023-06-30.csv")
    expect(page).to_have_url(re.compile(r"[?&]asof=2023-06-30(&|$)"))


ENGLISH = re.compile(r"[A-Za-z]{3,}")
ALLOWED_WORDS = {"CSV", "XLSX", "Excel", "Word", "PNG", "PDF", "test", "analyst"}   # file kinds; the user's name
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector('[data-testid="stApp"]'), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;   // icons are ligature words drawn as symbols: not text a person reads
    if (!el || el.closest('[data-testid="stIconMaterial"], [data-testid="stAlertDynamicIcon"], [data-testid="stExpanderIcon"], script, style')) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (r.width >= 2 && r.height >= 2 && cs.visibility !== 'hidden' && cs.display !== 'none') out.push(n.nodeValue);
  }
  return out.join(' ');
}"""


def _visible_english(page: Page) -> list[str]:
    """English words a person can see on the page (not the icons' ligature names, not file kinds)."""
    return [w for w in ENGLISH.findall(page.evaluate(VISIBLE_TEXT)) if w not in ALLOWED_WORDS]


def test_bad_and_repeated_link_values_are_refused_by_name_and_an_unknown_page_is_chinese(page, dashboard_url):
    _open(page, f"{dashboard_url}/ranking?county={CHANGTU},{CHANGTU}&county={CHANGTU}&from=2023-04&from=2023-05"
                "&asof=2023-13-01&zz=1", "考评排名")
    alert = page.get_by_test_id("stAlert").filter(has_text="链接中的以下参数无效")
    expect(alert).to_contain_text("起始月份出现多次且取值不同:2023-04、2023-05")
    expect(alert).to_contain_text("截至日期“2023-13-01”")
    expect(alert).to_contain_text("参数“zz”无法识别")
    expect(page).to_have_url(re.compile(rf"/ranking\?county={CHANGTU}$"))   # duplicates collapsed, the rest gone
    assert _visible_english(page) == []
    page.goto(f"{dashboard_url}/no-such-page?county={CHANGTU}")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("页面不存在")
    expect(dialog).to_contain_text("已为您打开首页")
    assert ENGLISH.findall(dialog.inner_text()) == []


def test_copy_link_pins_the_as_of_date_filters_and_data(browser, page, dashboard_url, demo_warehouse):
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=dashboard_url)
    _open(page, f"{dashboard_url}/?county={KAIYUAN}&from=2023-04", "总览", charts=5)
    accepted = _metric(page, "受理案件数").inner_text()
    page.get_by_role("button", name="复制本页链接").click()
    expect(page.locator(".tieling-copied")).to_have_text("已复制链接")
    link = page.evaluate("() => navigator.clipboard.readText()")
    as_of = metrics.as_of(Filters((KAIYUAN,)), demo_warehouse)
    [(run,)] = fetch(demo_warehouse, "SELECT arg_max(run_id, finished_at) FROM meta.load_run")
    assert re.search(rf"[?&]county={KAIYUAN}(&|$)", link) and "from=2023-04" in link
    assert f"asof={as_of.isoformat()}" in link and f"data={run}" in link   # pinned: not the latest date tomorrow
    other = browser.new_page()
    try:
        _open(other, link, "总览", charts=5)
        expect(_metric(other, "受理案件数")).to_have_text(accepted)
        expect(other).to_have_url(re.compile(rf"asof={as_of.isoformat()}"))
        expect(other.get_by_test_id("stAlert").filter(has_text="数据批次")).to_have_count(0)   # same batch: no note
    finally:
        other.close()


@pytest.mark.parametrize("url_path, title", [("ranking", "考评排名")])
def test_printing_a_page_drops_the_sidebar_and_keeps_tables_whole(page, dashboard_url, url_path, title):
    """The browser's print of 考评排名 and 总览 (ui.css @media print): no sidebar, header or buttons; tables, charts
    and boxes are not split across pages; the PDF Chromium prints is kept in artifacts/."""
    _open(page, f"{dashboard_url}/{url_path}", title)
    page.emulate_media(media="print")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_test_id("stDownloadButton").first).to_be_hidden()
    table = page.locator("[data-testid='stDataFrame'], table.tieling-ranking").first
    expect(table).to_be_visible()
    assert table.evaluate("e => getComputedStyle(e).breakInside") in ("avoid", "avoid-page")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    (ARTIFACTS / f"print_{url_path or 'overview'}.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
