"""The county map (dashboard.county_map) in headless Chromium: its names are drawn, legible and apart, and a click on
a county selects it through st.plotly_chart(on_select=..., selection_mode="points").

Serves tests/map_entry.py (the map with hand-made values, laid out as on 总览) with `streamlit run` on a free
localhost port; no warehouse. Reuses test_browser.py's Chromium (Debian's, never `playwright install`), its guard
that aborts and reports any request off localhost, and its screenshot helper. Leaves artifacts/county_map_1920.png
and artifacts/county_map_420.png for a person to look at.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from itertools import combinations

import pytest

from tests import test_browser as tb  # skips this module too where Chromium or Playwright is missing
from tests.test_county_map import NAMES, in_county

from playwright.sync_api import Page, expect  # noqa: E402 - after test_browser's skip when playwright is missing

from dashboard import county_map as cm  # noqa: E402

# test_browser.py's fixtures: one Chromium for the module that aborts (and reports) any request off localhost, and a
# page that fails the test on a JavaScript error or such a request
browser, outside_requests, page = tb.browser, tb.outside_requests, tb.page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("test_browser_map")]
CHANGTU, XIFENG, KAIYUAN = "211224", "211223", "211282"


@pytest.fixture(scope="module")
def map_url(tmp_path_factory):
    """tests/map_entry.py served by `streamlit run` on a free localhost port, stopped at the end of the module."""
    port = tb._free_port()
    url = f"http://{tb.HOST}:{port}"
    log_path = tmp_path_factory.mktemp("streamlit-map") / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "tests/map_entry.py", "--server.port", str(port),
             "--server.address", tb.HOST, "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=tb.ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + tb.STARTUP_TIMEOUT
        while not tb._healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {tb.STARTUP_TIMEOUT} s:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        tb._stop(proc)


def _idle(page: Page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot g.annotation').length >= 8")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _labels(page: Page) -> dict[str, dict]:
    """Each county's label on screen: its box (px, page coordinates), its text, whether it is a callout."""
    boxes = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot g.annotation')].map(g => {
        const r = g.querySelector('.annotation-text-g').getBoundingClientRect();
        return {text: g.textContent, x: r.x, y: r.y, w: r.width, h: r.height,
                callout: !!g.querySelector('.annotation-arrow-g')};
    })""")
    return {code: next(b for b in boxes if name in b["text"]) for code, name in NAMES.items()}


def _to_data(page: Page):
    """px (page) → the figure's projected (x, y), from the plot area on screen and the axes' ranges."""
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    (x0, x1), (y0, y1) = page.evaluate("""() => {
        const l = document.querySelector('.js-plotly-plot')._fullLayout;
        return [l.xaxis.range, l.yaxis.range];
    }""")

    def convert(px: float, py: float) -> tuple[float, float]:
        return (x0 + (px - area["x"]) / area["width"] * (x1 - x0),
                y1 - (py - area["y"]) / area["height"] * (y1 - y0))

    def back(x: float, y: float) -> tuple[float, float]:
        return (area["x"] + (x - x0) / (x1 - x0) * area["width"],
                area["y"] + (y1 - y) / (y1 - y0) * area["height"])
    return convert, back


def _assert_legible(page: Page, labels: dict[str, dict], inside: set[str], width: int) -> None:
    for a, b in combinations(labels, 2):
        p, q = labels[a], labels[b]
        apart = p["x"] + p["w"] <= q["x"] or q["x"] + q["w"] <= p["x"] or \
            p["y"] + p["h"] <= q["y"] or q["y"] + q["h"] <= p["y"]
        assert apart, f"the labels of {NAMES[a]} and {NAMES[b]} overlap: {p} {q}"
    for code, box in labels.items():
        assert 0 <= box["x"] and box["x"] + box["w"] <= width, f"{NAMES[code]}'s label is cut off: {box}"
        assert box["h"] >= 2 * 14, f"{NAMES[code]}'s label is smaller than two lines of 14 px: {box}"
    convert, _ = _to_data(page)
    for code in inside:  # the whole text box (its corners and edge middles) on its own county
        box = labels[code]
        pts = [convert(box["x"] + fx * box["w"], box["y"] + fy * box["h"])
               for fx in (0.02, 0.5, 0.98) for fy in (0.05, 0.5, 0.95)]
        lon = [cm.unproject(x, y)[0] for x, y in pts]
        lat = [y for _, y in pts]
        assert in_county(code, lon, lat).all(), f"{NAMES[code]}'s label spills out of it: {box}"


def _chosen(page: Page):
    return page.get_by_test_id("stMarkdown").filter(has_text="已选区县")


def test_county_names_are_on_the_map_and_a_click_selects_the_county(page, map_url):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(map_url)
    _idle(page)
    labels = _labels(page)
    inside = {code for code, box in labels.items() if not box["callout"]}
    assert {CHANGTU, XIFENG, KAIYUAN} <= inside  # the big counties have their name written inside them
    _assert_legible(page, labels, inside, 1920)

    # click the name of 昌图县, as a person at the projector does
    box = labels[CHANGTU]
    page.mouse.click(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
    expect(_chosen(page)).to_contain_text(CHANGTU)
    _idle(page)
    tb._screenshot(page, "county_map_1920.png")  # with 昌图县 outlined

    # anywhere in a county selects it too: south-east 西丰县, about 80 px from its name
    assert in_county(XIFENG, [125.0], [42.65]).all()
    _, back = _to_data(page)
    x, y = back(*cm.project(125.0, 42.65))
    name = labels[XIFENG]
    assert abs(x - name["x"] - name["w"] / 2) + abs(y - name["y"] - name["h"] / 2) > 60
    page.mouse.click(x, y)
    expect(_chosen(page)).to_contain_text(XIFENG)
    _idle(page)

    # a phone: the names stay apart, whole and legible
    page.set_viewport_size({"width": 420, "height": 900})
    page.wait_for_function("() => document.querySelector('.js-plotly-plot svg.main-svg').clientWidth <= 420")
    page.wait_for_timeout(300)  # plotly redraws the annotations after resizing the svg
    _assert_legible(page, _labels(page), set(), 420)
    tb._screenshot(page, "county_map_420.png")  # with 西丰县 outlined
