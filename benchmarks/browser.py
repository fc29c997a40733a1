"""Benchmark: the dashboard as people use it, in real headless Chromium, on a large warehouse.

    .venv/bin/python benchmarks/browser.py [--warehouse FILE] [--servers 2] [--sessions 20] [--inbox DIR]

Starts `streamlit run app.py` --servers times (one process each, on free localhost ports, all reading the one
published warehouse, as behind the reverse proxy), logs an analyst in with a cookie, and measures with Debian's
/usr/bin/chromium (never `playwright install`; only 127.0.0.1 is contacted):

  (c) every page: first load (a new browser session opening the page's link; on a fresh server and once warm),
      a warm switch to it from another page through the sidebar, a filter change (a county in the sidebar), and
      its first download (click → file received);
  (d) --sessions concurrent browser sessions spread over the servers, each opening every page in turn, while the
      ETL publishes a new warehouse (--inbox: a folder whose files bring something new; the published file is
      copied first, so the benchmark's own warehouse is not changed): p50/p95 page time and errors.

Targets (issue 12, province scale): first load ≤ 3 s, warm switch ≤ 0.8 s, filter change ≤ 1 s, download ≤ 2 s.
A page is "done" when Streamlit marks the script run over (data-test-script-state="notRunning"), no skeleton or
spinner is left and the page's title is drawn. Prints figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
SECRET = "benchmark-cookie-secret-0123456789abcdef"   # ≥ 32 bytes, this benchmark's own
USER, PASSWORD = "bench-analyst", "Bench-password-1"
# The script run is over and its output is in the page (the server's part) …
RUN_OVER = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    return !title || (h1 && h1.textContent.trim().startsWith(title));
}"""
# … and the browser has drawn every element (tables and charts load their code lazily, behind a skeleton)
DONE = RUN_OVER.replace("return !title ||", """if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]')) return false;
    return !title ||""")
TARGETS = {"first load": 3.0, "warm switch": 0.8, "filter change": 1.0, "download": 2.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().decode().strip() == "ok"
    except OSError:
        return False


def start_servers(n: int, env: dict, logs: Path) -> tuple[list[str], list[subprocess.Popen]]:
    urls, procs = [], []
    for i in range(n):
        port = free_port()
        log = open(logs / f"server-{i}.log", "wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
             HOST, "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        urls.append(f"http://{HOST}:{port}")
    deadline = time.monotonic() + 90
    for url in urls:
        while not healthy(url):
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} not healthy; see {logs}")
            time.sleep(0.2)
    return urls, procs


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def new_context(browser, url: str, accounts: Path):
    from dashboard.accounts import Store
    from dashboard.auth import COOKIE, sign

    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(120_000)
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname == HOST
                  else route.abort())
    store = Store(accounts)
    token = store.open_session(USER)
    context.add_cookies([{"name": COOKIE, "value": sign(token, store.session_expiry(token)), "domain": HOST,
                          "path": "/"}])
    return context


def wait_done(page, title: str | None) -> None:
    page.wait_for_function(DONE, arg=title, timeout=120_000, polling=50)


def link(path: str) -> str:
    """A page's address: the app's default page (the first, 总览) is served at the root."""
    from dashboard.frame import PAGES

    return "" if path == PAGES[0][3] else path


def open_page(page, url: str, path: str, title: str, split: list | None = None) -> float:
    """Seconds until the page is drawn; `split` gets the seconds until the script run was over."""
    started = time.perf_counter()
    page.goto(f"{url}/{link(path)}")
    page.wait_for_function(RUN_OVER, arg=title, timeout=120_000, polling=20)
    if split is not None:
        split.append(time.perf_counter() - started)
    wait_done(page, title)
    return time.perf_counter() - started


def _until_drawn(page, title: str | None, started: float) -> tuple[float, float]:
    page.wait_for_function(RUN_OVER, arg=title, timeout=120_000, polling=20)
    run = time.perf_counter() - started
    wait_done(page, title)
    return run, time.perf_counter() - started


def switch(page, title: str) -> tuple[float, float]:
    started = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    return _until_drawn(page, title, started)


def change_county(page, title: str, county: str = "开原市") -> tuple[float, float] | None:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has=page.get_by_text("区县", exact=True))
    if not box.count():
        return None
    box.get_by_role("combobox").click()
    started = time.perf_counter()
    page.get_by_role("option", name=county, exact=True).click()
    page.wait_for_function("() => location.search.includes('county=')", timeout=60_000, polling=20)
    times = _until_drawn(page, title, started)
    page.keyboard.press("Escape")
    return times


def download(page) -> float | None:
    buttons = page.get_by_test_id("stDownloadButton")
    if not buttons.count():
        return None
    started = time.perf_counter()
    with page.expect_download(timeout=120_000) as info:
        buttons.first.locator("button").click()
    info.value.path()
    return time.perf_counter() - started


def page_figures(browser, urls: list[str], accounts: Path) -> None:
    from dashboard.frame import PAGES

    url = urls[0]
    print(f"\n(c) every page in Chromium, server {url} (1440×1000); targets: "
          + ", ".join(f"{k} ≤ {v:g} s" for k, v in TARGETS.items()))
    print("first load: a new browser session opening the page's link, on a fresh server and once warm, as 'run / "
          "drawn': the script run over and shown, then every table and chart drawn by the browser (on the same 2 "
          "cores as the server here)")
    print(f"{'page':<8} {'first load, fresh':>18} {'first load, warm':>17} {'warm switch':>12} "
          f"{'filter change':>14} {'download':>9}")
    context = new_context(browser, url, accounts)

    def first_load(path: str, title: str) -> tuple[float, float]:
        page, run = context.new_page(), []
        drawn = open_page(page, url, path, title, run)
        page.close()
        return run[0], drawn

    cold = {title: first_load(path, title) for _f, title, _i, path in PAGES}   # each page's first in the process
    worst = {k: [0.0, 0.0] for k in TARGETS}
    session = context.new_page()
    open_page(session, url, PAGES[-1][3], PAGES[-1][1])
    show = lambda v: "—" if v is None else f"{v[0]:.2f} / {v[1]:.2f}"  # noqa: E731
    for _file, title, _icon, path in PAGES:
        first = first_load(path, title)
        other = PAGES[-1][1] if title != PAGES[-1][1] else PAGES[0][1]
        switch(session, title)                          # once, so the next switch to it is a warm one
        switch(session, other)
        warm = switch(session, title)
        filtered = change_county(session, title)
        got = download(session)
        session.goto(f"{url}/{link(path)}")              # back to no filter for the next page
        wait_done(session, title)
        for k, v in (("first load", first), ("warm switch", warm), ("filter change", filtered),
                     ("download", None if got is None else (got, got))):
            if v is not None:
                worst[k] = [max(worst[k][0], v[0]), max(worst[k][1], v[1])]
        print(f"{title:<8} {show(cold[title]):>18} {show(first):>17} {show(warm):>12} {show(filtered):>14} "
              f"{'—' if got is None else f'{got:.2f}':>9}")
    context.close()
    print("slowest (run / drawn, s): " + "; ".join(
        f"{k} {v[0]:.2f} / {v[1]:.2f} (target {TARGETS[k]:g}: run {'meets' if v[0] <= TARGETS[k] else 'misses'}, "
        f"drawn {'meets' if v[1] <= TARGETS[k] else 'misses'})" for k, v in worst.items()))


def concurrent(urls: list[str], accounts: Path, sessions: int, publish) -> None:
    """`sessions` browser sessions (contexts of one Chromium, driven concurrently) spread over the servers, each
    opening every page in turn, while `publish` runs beside them."""
    import asyncio

    from playwright.async_api import async_playwright

    from dashboard.accounts import Store
    from dashboard.auth import COOKIE, sign
    from dashboard.frame import PAGES

    times: list[float] = []
    errors: list[str] = []

    async def one(browser, i: int) -> None:
        url = urls[i % len(urls)]
        context = await browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        context.set_default_timeout(180_000)
        await context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname == HOST
                            else route.abort())
        store = Store(accounts)
        token = store.open_session(USER)
        await context.add_cookies([{"name": COOKIE, "value": sign(token, store.session_expiry(token)),
                                    "domain": HOST, "path": "/"}])
        page = await context.new_page()
        page.on("pageerror", lambda e: errors.append(f"session {i}: {e}"))
        for k in range(len(PAGES)):
            _file, title, _icon, path = PAGES[(i + k) % len(PAGES)]
            try:
                started = time.perf_counter()
                await page.goto(f"{url}/{link(path)}")
                await page.wait_for_function(DONE, arg=title, timeout=180_000, polling=100)
                times.append(time.perf_counter() - started)
                boxes = page.get_by_test_id("stException")
                if await boxes.count():
                    errors.append(f"session {i} {title}: {(await boxes.first.inner_text())[:200]}")
            except Exception as exc:  # noqa: BLE001 - a benchmark counts every failure, whatever its kind
                errors.append(f"session {i} {title}: {type(exc).__name__}: {str(exc)[:200]}")
        await context.close()

    async def run() -> tuple[float, str]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            started = time.perf_counter()
            publishing = asyncio.get_running_loop().run_in_executor(None, publish)
            await asyncio.gather(*(one(browser, i) for i in range(sessions)))
            published = await publishing
            wall = time.perf_counter() - started
            await browser.close()
            return wall, published

    wall, published = asyncio.run(run())
    q = statistics.quantiles(times, n=20) if len(times) >= 2 else [float("nan")] * 19
    print(f"\n(d) {sessions} browser sessions over {len(urls)} dashboard processes, each opening all {len(PAGES)} "
          f"pages ({len(times)} page loads in {wall:.0f} s) while {published}:")
    print(f"    page time p50 {statistics.median(times):.2f} s, p95 {q[18]:.2f} s, max {max(times):.2f} s; "
          f"errors {len(errors)}")
    for e in errors[:10]:
        print("    " + e)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, default=Path("/tmp/tieling-bench/s18/wh/warehouse.duckdb"))
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--inbox", type=Path, help="files the publish during (d) loads (default: none, no publish)")
    parser.add_argument("--only", choices=["pages", "sessions"], help="run only (c) or only (d)")
    args = parser.parse_args()
    import logging

    from playwright.sync_api import sync_playwright

    from dashboard.accounts import Store
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    work = Path(tempfile.mkdtemp(prefix="tieling-browser-bench-"))
    wh = work / "warehouse.duckdb"
    shutil.copy2(args.warehouse, wh)                    # the publish below replaces this copy, never the original
    accounts = work / "accounts.sqlite"
    Store(accounts).add(USER, "analyst", PASSWORD)
    env = {**os.environ, "WAREHOUSE_PATH": str(wh), "ACCOUNTS_PATH": str(accounts),
           "DASHBOARD_COOKIE_SECRET": SECRET}
    os.environ["DASHBOARD_COOKIE_SECRET"] = SECRET       # this process signs the sessions' cookies
    print(f"warehouse {args.warehouse} ({wh.stat().st_size / 1e6:.0f} MB), {os.cpu_count()} cores")
    urls, procs = start_servers(args.servers, env, work)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            if args.only != "sessions":
                page_figures(browser, urls, accounts)
            browser.close()

        def publish() -> str:
            if not args.inbox:
                return "nothing was published"
            time.sleep(5)                              # the sessions are under way
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "etl", "run", "--inbox", str(args.inbox), "--warehouse", str(wh)],
                           cwd=ROOT, check=True, capture_output=True,
                           env={**env, "PII_HMAC_KEY": "benchmark-key-not-for-production-use"})
            return f"the ETL published a new warehouse ({time.perf_counter() - started:.0f} s run)"

        if args.only != "pages":
            concurrent(urls, accounts, args.sessions, publish)
    finally:
        stop(procs)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
