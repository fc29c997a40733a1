"""Every page states what it answers, and every metric, section and chart on it carries its 口径 and labels.

Rendered with AppTest on the demo warehouse, so a metric added without `help=` (its definition, reachable
from the metric's question mark), a chart without a Chinese title or axis titles, or a page without its
one-line statement fails here.
"""
from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.definitions import definitions
from dashboard.frame import PAGES
from tests.test_app import ENTRY

CJK = re.compile(r"[\u4e00-\u9fff]")
CARTESIAN = {"bar", "scatter", "heatmap", "histogram", "box"}


@pytest.fixture(scope="module")
def rendered(demo_warehouse):
    """Each page once, run through the app's frame: page file → AppTest after the run."""
    mp = pytest.MonkeyPatch()
    mp.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    out = {}
    try:
        for file, *_ in PAGES:
            at = AppTest.from_file(ENTRY, default_timeout=90).run()
            if file != PAGES[0][0]:
                at.switch_page(f"../pages/{file}").run()
            out[file] = at
    finally:
        mp.undo()
    return out


@pytest.fixture(params=[p[0] for p in PAGES], ids=[p[1] for p in PAGES])
def page(request, rendered):
    at = rendered[request.param]
    assert not at.exception, f"{request.param}: {[e.value for e in at.exception]}"
    return request.param, at


def test_page_has_its_title_and_one_line_statement(page):
    file, at = page
    title = next(t for f, t, *_ in PAGES if f == file)
    assert at.title[0].value == title
    statement = at.main.caption[0].value
    assert CJK.search(statement) and "\n" not in statement.strip(), f"{file}: {statement!r}"


def test_every_metric_has_its_definition(page):
    file, at = page
    missing = [m.label for m in at.metric if not (m.proto.help or "").strip()]
    assert not missing, f"{file}: metrics without 口径 (help): {missing}"


def test_every_section_heading_has_its_definition(page):
    file, at = page
    missing = [s.value for s in at.subheader if not (s.proto.help or "").strip()]
    assert not missing, f"{file}: sections without 口径 (help): {missing}"


def test_every_chart_has_a_chinese_title_and_axis_titles(page):
    file, at = page
    for element in at.get("plotly_chart"):
        fig = json.loads(element.proto.spec)
        title = (fig["layout"].get("title") or {}).get("text", "")
        assert CJK.search(title), f"{file}: a chart without a Chinese title"
        data = fig.get("data", [])
        if not data or not {t.get("type", "scatter") for t in data} & CARTESIAN:
            continue  # a map or an empty-state figure has no axes
        if all(not t.get("x") and not t.get("y") for t in data):
            continue
        for axis in ("xaxis", "yaxis"):
            text = ((fig["layout"].get(axis) or {}).get("title") or {}).get("text") or ""
            layout_visible = (fig["layout"].get(axis) or {}).get("visible", True)
            horizontal_category = axis == "yaxis" and all(t.get("orientation") == "h" for t in data)
            assert CJK.search(text) or not layout_visible or horizontal_category, \
                f"{file}: chart {title!r} has no Chinese {axis} title"


def test_the_sidebar_definitions_cover_the_shared_terms():
    shared = definitions()
    for term in ("受理案件数", "录入率", "专项行动目标", "区县地图", "时间节点", "数据更新", "考评总分", "通报", "截至日期",
                 "考评细则"):
        assert shared.get(term, "").strip(), term


def test_widget_placeholders_and_labels_are_chinese(page):
    file, at = page
    for widget in [*at.selectbox, *at.multiselect, *at.sidebar.multiselect, *at.text_input, *at.date_input]:
        assert CJK.search(widget.label), f"{file}: widget label {widget.label!r}"
        placeholder = getattr(widget.proto, "placeholder", "")
        assert not placeholder or CJK.search(placeholder), f"{file}: placeholder {placeholder!r} of {widget.label!r}"
