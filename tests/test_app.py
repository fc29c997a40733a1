"""AppTest smoke tests of the app's frame and pages, numbers checked against the warehouse."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import metrics, queries
from dashboard.filters import Filters
from dashboard.frame import PAGES

ENTRY = str(Path(__file__).resolve().parent / "app_entry.py")


@pytest.fixture
def app(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    return AppTest.from_file(ENTRY, default_timeout=60)


def _metric(at, label_start):
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_overview_renders_and_follows_the_county_filter(app, demo_warehouse):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "总览"
    city = queries.kpis(Filters(), metrics.as_of(Filters(), demo_warehouse), demo_warehouse)
    assert _metric(at, "受理案件数") == f"{city['accepted']:,} 件"
    assert _metric(at, "案件录入率") == f"{city['entry_rate']:.1%}"

    at.sidebar.multiselect[0].set_value(["211282"]).run()
    assert not at.exception
    kaiyuan = queries.kpis(Filters(("211282",)), metrics.as_of(Filters(), demo_warehouse), demo_warehouse)
    assert _metric(at, "受理案件数") == f"{kaiyuan['accepted']:,} 件"
    assert at.query_params["county"] in ("211282", ["211282"])
    assert at.dataframe[-1].value["区县"].to_list() == ["开原市"]  # the entry-rate table, last on the page


def test_period_filter_and_url_start(app, demo_warehouse):
    app.query_params["county"] = "211224"
    app.query_params["from"] = "2023-05"
    at = app.run()
    assert not at.exception
    assert at.sidebar.multiselect[0].value == ["211224"]
    assert at.sidebar.select_slider[0].value == ("2023-05", "2023-12")
    at.sidebar.select_slider[0].set_value(("2023-05", "2023-06")).run()
    from datetime import date
    f = Filters(("211224",), date(2023, 5, 1), date(2023, 6, 1))
    k = queries.kpis(f, metrics.as_of(f, demo_warehouse), demo_warehouse)
    assert at.date_input(key="f_asof_input").value == date(2023, 6, 30)  # the period's end moves the as-of date
    assert _metric(at, "受理案件数") == f"{k['accepted']:,} 件"


def test_missing_warehouse_explains_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(ENTRY, default_timeout=30).run()
    assert "尚未找到数据仓库" in at.error[0].value


def test_a_new_publish_shows_without_restart(tmp_path, monkeypatch):
    """The app keys its caches on the warehouse version and attaches each published version afresh: a swap is seen.
    (A small inbox of hand-built rows: what matters is the swap, not the volume.)"""
    from warehouse.publish import run
    from tests.conftest import TEST_KEY, write_csv
    from tests.test_normalise import BASE, CASE_HEADER

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "人民调解案件_2023Q1.csv", [CASE_HEADER] + [
        [{**BASE, "案件编号": f"OLD{i}"}[h] for h in CASE_HEADER] for i in range(5)])
    wh = tmp_path / "warehouse.duckdb"
    run(inbox, wh, hmac_key=TEST_KEY)
    monkeypatch.setenv("WAREHOUSE_PATH", str(wh))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    before = _metric(at, "受理案件数")
    assert before == "5 件"

    write_csv(inbox / "人民调解案件_补录.csv", [CASE_HEADER] + [
        [{**BASE, "案件编号": f"NEW{i}"}[h] for h in CASE_HEADER] for i in range(3)])
    run(inbox, wh, hmac_key=TEST_KEY)
    at.run()
    assert not at.exception
    assert int(_metric(at, "受理案件数").split()[0].replace(",", "")) == \
        int(before.split()[0].replace(",", "")) + 3


@pytest.mark.parametrize("file", [p[0] for p in PAGES])
def test_every_page_keeps_a_shared_links_filters(app, file):
    """A link with a county and a period opens each page with them in the sidebar and keeps them in the URL."""
    app.query_params.update({"county": "211282", "from": "2023-04"})
    at = app.run()
    if file != PAGES[0][0]:
        at.switch_page(f"../pages/{file}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.multiselect[0].value == ["211282"]
    assert at.select_slider(key="f_period").value == ("2023-04", "2023-12")
    assert at.query_params["county"] in ("211282", ["211282"]) and at.query_params["from"] in ("2023-04", ["2023-04"])
    # every table as a person reads it: no gap shown as None or nan, no English word, no file path (codes, file
    # names and their kinds are data: the org code ORG…, 2023Q1.xlsx)
    for df in at.dataframe:
        frame = getattr(df.value, "data", df.value)   # a Styler's frame
        assert not [c for c in frame.columns if frame[c].isna().any()], (file, list(frame.columns))
        for column in frame.columns:
            assert not ENGLISH.search(str(column)), (file, column)
            for cell in frame[column].head(300):
                if isinstance(cell, str) and column not in DATA_TEXT_COLUMNS:
                    assert not ENGLISH.search(cell) and not PATH.search(cell), (file, column, cell)


ENGLISH = re.compile(r"\b(?:None|nan|NaN|NaT|null|True|False|[a-z]{4,}(?:_[a-z]+)+)\b")   # gaps, flags, identifiers
PATH = re.compile(r"(?:/[\w.\-]+){2,}|[A-Za-z]:\\")
DATA_TEXT_COLUMNS = {"文件名", "不符合值示例", "值", "说明"}   # what the counties' files say, shown as they said it


def test_heavy_libraries_load_before_any_page():
    """Two sessions starting at once on a fresh server raced to import pandas and one failed ("partially initialized
    module"): app.py imports dashboard.preload before anything else, and it holds the libraries pages import lazily."""
    import ast

    from tests.conftest import ROOT
    imports = [n for n in ast.parse((ROOT / "app.py").read_text(encoding="utf-8")).body
               if isinstance(n, (ast.Import, ast.ImportFrom)) and getattr(n, "module", None) != "__future__"]
    first = imports[1] if isinstance(imports[0], ast.ImportFrom) and imports[0].module == "pathlib" else imports[0]
    assert isinstance(first, ast.Import) and first.names[0].name == "dashboard.preload"
    preloaded = {n.names[0].name for n in ast.parse((ROOT / "dashboard" / "preload.py").read_text()).body
                 if isinstance(n, ast.Import)}
    assert {"pandas", "pyarrow", "plotly.express"} <= preloaded
