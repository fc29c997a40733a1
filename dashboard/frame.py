"""The shared frame every page runs inside (Streamlit's st.navigation router pattern).

It draws the sidebar filters (kept in session state and in the URL, so a link reproduces
the view), the data-freshness line and the definitions, then runs the chosen page.
"""
from __future__ import annotations

import importlib
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from dashboard import db, queries
from dashboard.definitions import DEFINITIONS
from dashboard.filters import Filters, campaign_months, month_label

PAGES = [  # file in pages/, title, icon, url path
    ("overview.py", "总览", ":material/dashboard:", "overview"),
    ("ranking.py", "考评排名", ":material/leaderboard:", "ranking"),
    ("verification.py", "核查与帮教", ":material/verified_user:", "verification"),
    ("organisations.py", "组织与队伍", ":material/groups:", "organisations"),
    ("quality.py", "数据质量", ":material/fact_check:", "quality"),
]
BEIJING = timedelta(hours=8)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(module: str, name: str, version: str, *args: Any) -> Any:
    """Query results keyed on the warehouse version: a new publish shows without a restart."""
    return getattr(importlib.import_module(module), name)(*args)


def data(fn: Callable, *args: Any) -> Any:
    """Call a plain query function (dashboard.queries, dashboard.quality, …) through the cache."""
    return _cached(fn.__module__, fn.__name__, db.version(), *args)


PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


def filters() -> Filters:
    """The shared filters; called first by every page.

    A link straight to a page (/quality) on a freshly started server makes Streamlit run the
    page file on its own, without app.py, because pages/ sits beside app.py. The page then
    hands over to app.py, which routes back to it with the link's query parameters.
    """
    if "filters" not in st.session_state:
        page_file = Path(sys._getframe(1).f_globals.get("__file__", "")).name
        st.session_state["return_to"] = (page_file, st.query_params.to_dict())
        st.switch_page("app.py")
    return st.session_state["filters"]


def _sidebar_filters() -> Filters:
    county_frame = data(queries.counties)
    names = dict(county_frame.iter_rows())
    months = {d.strftime("%Y-%m"): d for d in campaign_months()}
    if "f_initial" not in st.session_state:  # first run of this session: start from the URL
        st.session_state["f_initial"] = Filters.from_params(st.query_params.to_dict(), set(names))
    initial: Filters = st.session_state["f_initial"]
    st.sidebar.header("筛选")
    st.sidebar.multiselect("区县", options=list(names), format_func=names.get, default=list(initial.counties),
                           key="f_counties", placeholder="全部区县(可多选)", help="不选即为全市七个区县")
    st.sidebar.select_slider("期间(受理月份)", options=list(months), format_func=lambda m: month_label(months[m]),
                             value=(f"{initial.start:%Y-%m}", f"{initial.end:%Y-%m}"), key="f_period")
    start, end = st.session_state["f_period"]
    chosen = Filters(tuple(sorted(st.session_state["f_counties"])), months[start], months[end])
    if st.query_params.to_dict() != chosen.to_params():
        st.query_params.from_dict(chosen.to_params())
    return chosen


def _freshness() -> None:
    fresh = data(queries.freshness)
    loaded = fresh["loaded_at"]
    when = (loaded + BEIJING).strftime("%Y-%m-%d %H:%M") if loaded else "尚未入库"
    st.sidebar.caption(
        f"数据更新于 {when}(北京时间) · 已入库文件 {fresh['files_loaded']:,} 个"
        + (f" · 拒收 {fresh['files_refused']:,} 个" if fresh["files_refused"] else "")
        + f" · 隔离 {fresh['rows_quarantined']:,} 行", help=DEFINITIONS["数据更新"])


def _definitions() -> None:
    with st.sidebar.expander("口径说明"):
        for name, text in DEFINITIONS.items():
            st.markdown(f"**{name}**:{text}")


def main(pages_dir: Path) -> None:
    st.set_page_config(page_title="铁岭市矛盾纠纷预防化解专项行动", page_icon="⚖️", layout="wide")
    pages = [st.Page(str(Path(pages_dir) / file), title=title, icon=icon, url_path=url, default=i == 0)
             for i, (file, title, icon, url) in enumerate(PAGES)]
    page = st.navigation(pages)
    if "return_to" in st.session_state:  # a direct link handed over by the page (see filters())
        page_file, params = st.session_state.pop("return_to")
        target = next((p for p, (file, *_) in zip(pages, PAGES) if file == page_file), None)
        if target is not None:
            st.switch_page(target, query_params=params)
    st.sidebar.markdown("**铁岭市司法局**  \n矛盾纠纷预防化解专项行动(2023)")
    try:
        db.version()
    except db.WarehouseMissing as missing:
        st.error(f"尚未找到数据仓库:{missing}。请先运行入库:`make demo`,或 `python -m etl run --inbox 收件目录 "
                 f"--warehouse 仓库文件`,并用环境变量 WAREHOUSE_PATH 指向该文件。")
        st.stop()
    st.session_state["filters"] = _sidebar_filters()
    _freshness()
    _definitions()
    page.run()
