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
from urllib.parse import urlencode

import streamlit as st

from dashboard import access, auth, db, metrics, queries, ui
from dashboard.definitions import definitions
from dashboard.filters import PAGE_PARAMS, PARAM_LABELS, Filters, campaign_months, collapse_params, month_label
from warehouse.rubric import RubricError, rubric_in_force, rubric_path

PAGES = [  # file in pages/, title, icon, url path
    ("overview.py", "总览", ":material/dashboard:", "overview"),
    ("disputes.py", "纠纷分析", ":material/analytics:", "disputes"),
    ("verification.py", "核查与帮教", ":material/verified_user:", "verification"),
    ("organisations.py", "组织与队伍", ":material/groups:", "organisations"),
    ("risks.py", "风险预警", ":material/warning:", "risks"),
    ("ranking.py", "考评排名", ":material/leaderboard:", "ranking"),
    ("quality.py", "数据质量", ":material/fact_check:", "quality"),
]
ADMIN_PAGES = [  # only for roles with the permission (the pages' functions check it again)
    ("accounts.py", "账号管理", ":material/manage_accounts:", "accounts", "accounts"),
    ("audit.py", "审计日志", ":material/history:", "audit", "audit"),
]
BEIJING = timedelta(hours=8)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(module: str, name: str, version: str, rubric: str, who: str, *args: Any) -> Any:
    """Query results keyed on the warehouse version, the rubric in force and the user's scope and role (`who`): a
    new publish, or an edited rubric, shows without a restart, and no user is served another scope's result."""
    return getattr(importlib.import_module(module), name)(*args)


def data(fn: Callable, *args: Any) -> Any:
    """Call a plain query function (dashboard.queries, dashboard.quality, …) through the cache, as the logged-in
    user (the function's queries are scoped to that user's county in dashboard.db)."""
    return _cached(fn.__module__, fn.__name__, db.version(), rubric_in_force().label, access.current().key, *args)


PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


def filters() -> Filters:
    """The shared filters; called first by every page.

    A link straight to a page (/quality) on a freshly started server makes Streamlit run the
    page file on its own, without app.py, because pages/ sits beside app.py. The page then
    hands over to app.py, which routes back to it with the link's query parameters.
    """
    if "filters" not in st.session_state or "auth_token" not in st.session_state:
        page_file = Path(sys._getframe(1).f_globals.get("__file__", "")).name
        # every value of every key: a repeated parameter is judged after the handover (collapse_params), not lost
        st.session_state["return_to"] = (page_file, {k: st.query_params.get_all(k) for k in st.query_params})
        st.switch_page("app.py")
    return st.session_state["filters"]


def _options() -> dict[str, dict[str, str]]:
    """code → label for every filter with a fixed list of values."""
    townships = data(queries.townships)
    return {
        "counties": dict(data(queries.counties).iter_rows()),
        "townships": {t: f"{c}·{n}" for t, n, _, c in townships.iter_rows()},
        "township_county": {t: cc for t, _, cc, _ in townships.iter_rows()},
        "dispute_types": dict(data(queries.dispute_categories).iter_rows()),
        "org_types": {t: t for t in queries.ORG_TYPES},
    }


def _period_moved() -> None:
    """A new period: the as-of date follows its last month again (a day chosen before is dropped)."""
    st.session_state["f_asof"] = None


def _asof_chosen() -> None:
    """A day chosen as the as-of date: the period's last month becomes that day's month."""
    state = st.session_state
    chosen = state["f_asof_input"]
    state["f_asof"] = chosen
    start, end = state["f_period"]
    month = f"{chosen:%Y-%m}"
    state["f_period"] = (min(start, month), month)


def _sidebar_filters() -> Filters:
    opts = _options()
    rubric = rubric_in_force()
    months = {d.strftime("%Y-%m"): d for d in campaign_months(rubric)}
    state = st.session_state
    if "f_counties" not in state:  # first run of this session: start from the URL
        known = {k: set(opts[k]) for k in ("townships", "dispute_types", "org_types")}
        params, problems = collapse_params({k: st.query_params.get_all(k) for k in st.query_params})
        if params.get("view", ui.SCREEN_VIEW) != ui.SCREEN_VIEW:
            problems.append(f"显示方式“{params.pop('view')}”")
        state["f_link"] = params                 # the link's own values, duplicates collapsed, unknown ones dropped
        params = _refuse_other_counties(params)
        initial = Filters.from_params(params, set(opts["counties"]), known, opts["township_county"])
        own = access.current().county
        state.update(f_counties=[own] if own else list(initial.counties), f_townships=list(initial.townships),
                     f_types=list(initial.dispute_types), f_orgs=list(initial.org_types),
                     f_initial_period=(f"{initial.start:%Y-%m}", f"{initial.end:%Y-%m}"), f_asof=initial.asof,
                     f_rejected=(*problems, *initial.rejected))
    st.sidebar.header("筛选")
    st.sidebar.multiselect("区县", options=list(opts["counties"]), format_func=opts["counties"].get,
                           key="f_counties", placeholder="全部区县(可多选)", help="不选即为全市七个区县")
    chosen_counties = set(state["f_counties"])
    townships = [t for t, c in opts["township_county"].items() if not chosen_counties or c in chosen_counties]
    state["f_townships"] = [t for t in state["f_townships"] if t in townships]  # keep only those still offered
    st.sidebar.multiselect("乡镇(街道)", options=townships, format_func=opts["townships"].get, key="f_townships",
                           placeholder="全部乡镇(街道)", help="可选范围随所选区县变化;不选即为全部")
    st.sidebar.multiselect("纠纷类型", options=list(opts["dispute_types"]), format_func=opts["dispute_types"].get,
                           key="f_types", placeholder="全部纠纷类型", help="按统计月报纠纷类型目录的一级类型筛选案件")
    st.sidebar.multiselect("组织类型", options=list(opts["org_types"]), key="f_orgs", placeholder="全部组织类型",
                           help="按受理案件或登记的调解组织类型筛选")
    # a range slider needs value= (always the same: the widget keeps its identity); choosing an as-of day moves the
    # period's end through session state (_asof_chosen), which is why config.toml silences Streamlit's log note
    st.sidebar.select_slider("期间(月份)", options=list(months), format_func=lambda m: month_label(months[m]),
                             key="f_period", on_change=_period_moved, value=state["f_initial_period"],
                             help="案件按受理日期、核查任务按下发日期、刑满释放人员按释放日期、月报按统计月份落入期间;"
                                  "考评指标从专项行动开始累计到截至日期")
    start, end = state["f_period"]
    chosen = Filters(tuple(sorted(state["f_counties"])), months[start], months[end], tuple(sorted(state["f_townships"])),
                     tuple(sorted(state["f_types"])), tuple(state["f_orgs"]), state.get("f_asof"))
    # the one as-of date of every page, shown (and choosable to the day) under the period
    state["f_asof_input"] = data(metrics.as_of, chosen)
    st.sidebar.date_input("截至日期", key="f_asof_input", on_change=_asof_chosen, format="YYYY-MM-DD",
                          min_value=rubric.campaign_start, max_value=rubric.campaign_end,
                          help=definitions(rubric)["截至日期"])
    # the URL says what is shown: the filters, then the pages' own keys (map, view) — a link's duplicates collapsed
    # and its unknown or refused parameters gone; a pinned link's data batch is read once (_pinned_note), not kept
    link = state.pop("f_link", None)
    current = st.query_params.to_dict() if link is None else link
    page_keys = {k: v for k, v in current.items() if k in PAGE_PARAMS}
    wanted = {**page_keys, **chosen.to_params()}
    if st.query_params.to_dict() != wanted or any(len(st.query_params.get_all(k)) > 1 for k in st.query_params):
        st.query_params.from_dict(wanted)
    if link and link.get("data"):
        state["f_pinned_data"] = link["data"]
    return chosen


def _refuse_other_counties(params: dict[str, str]) -> dict[str, str]:
    """A link naming a county outside the user's scope is refused with a message and logged, not silently shown
    as the own county (the data would be scoped anyway: dashboard.db)."""
    principal = access.current()
    if principal.county is None or "county" not in params:
        return params
    asked = [c for c in params["county"].split(",") if c]
    other = [c for c in asked if c != principal.county]
    if other:
        auth.store().audit(principal, "refused", _page_path(), {"原因": "链接指定了其他区县", "区县": other},
                           auth.client())
        st.error(f"您的账号只能查看本区县的数据,链接中的区县 {'、'.join(other)} 已拒绝(已记录)。", icon=":material/block:")
        params = {k: v for k, v in params.items() if k != "county"}
    return params


def _page_path() -> str:
    return st.session_state.get("page_path", "")


def _audit_view(principal: access.Principal, page: Any) -> None:
    """A page view with its filters, once per page and filter combination in a row (not on every widget rerun)."""
    params = st.query_params.to_dict()
    view = (page.url_path or "overview", tuple(sorted(params.items())))
    if st.session_state.get("audit_last_view") != view:
        st.session_state["audit_last_view"] = view
        auth.store().audit(principal, "page_view", page.title, params or None, auth.client())


def download_button(label: str, data: Any, *, where: Any = st, file_name: str, mime: str,
                    rows: int | Callable[[], int] | None = None, key: str | None = None,
                    filters: Any = None, **options: Any) -> None:
    """st.download_button that records the download in the audit trail: user, file, filters, row count.

    `data` is bytes, or a function making them when the button is pressed (deferred: it then runs on a server
    thread, so it runs as the user who drew the button — dashboard.access fails closed for code run as nobody).
    `rows` is the number of rows, or a function counting them after `data` ran; `filters` what the file was cut
    by when the URL does not say it (a page's own widgets)."""
    principal = access.current()
    page, params, address = _page_path(), filters or st.query_params.to_dict(), auth.client()

    def record() -> None:
        count = rows() if callable(rows) else rows
        auth.store().audit(principal, "download", page, {"文件": file_name, "筛选": params, "行数": count}, address)

    if callable(data):
        def make() -> bytes:
            with access.acting_as(principal):
                made = data()
                record()
            return made
        where.download_button(label, make, file_name=file_name, mime=mime, key=key, on_click="ignore", **options)
    else:
        where.download_button(label, data, file_name=file_name, mime=mime, key=key, on_click=record, **options)


def pager(total: int, key: str, size: int, what: str = "条记录") -> int:
    """The page number (from 1) of a long table shown `size` rows at a time: a number field when there is more than
    one page. A narrower filter with fewer pages starts again at the first."""
    pages = -(-total // size)
    if pages <= 1:
        return 1
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1
    return int(st.number_input(f"页码(共 {pages:,} 页,每页 {size:,} {what})", min_value=1, max_value=pages,
                               step=1, key=key))


def may_list(what: str) -> bool:
    """Whether the user's role sees person-level lists; if not, say so where the list would be. (The list's own
    function refuses the role too — dashboard.access.require — this only keeps the rest of the page.)"""
    if access.may("records"):
        return True
    st.info(f"{access.current().role_label}账号不查看{what}:个人和案件明细仅对分析员、县区用户和管理员开放。",
            icon=":material/lock:")
    return False


def url_widget(url_key: str, widget_key: str, parse: Callable[[str], Any]) -> bool:
    """Seed a page's widget from a shared link (?asof=2023-06-30) on its first draw in the session.

    Returns whether the widget's state is set, so the page passes no default value then (Streamlit warns when a
    widget gets both). After drawing the widget the page calls `to_url`.
    """
    state = st.session_state
    if widget_key not in state and url_key in st.query_params:
        try:
            state[widget_key] = parse(st.query_params[url_key])
        except (ValueError, KeyError):   # a mangled link value: said, and the page's default shown
            st.warning(f"链接中的{PARAM_LABELS.get(url_key, url_key)}“{st.query_params[url_key]}”无法识别,已改用默认值。",
                       icon=":material/link_off:")
    return widget_key in state


def to_url(url_key: str, text: str | None) -> None:
    """Keep a page's choice in the URL (None or the default: no parameter), so a link reproduces the view."""
    if text is None:
        if url_key in st.query_params:
            del st.query_params[url_key]
    elif st.query_params.get(url_key) != text:
        st.query_params[url_key] = text


def not_applied_note(f: Filters, *applied: str) -> None:
    """Say which set filters this page's data cannot be cut by, so no number is misread."""
    skipped = f.not_applied(*applied)
    if skipped:
        st.caption(f"注:本页数据不按{'、'.join(skipped)}筛选。")


def _pinned_note() -> None:
    """A link pinned to a data batch (data=<run id>) opened after later loads: the as-of date holds, but records
    dated before it that arrived later (late entries) are counted now — say so, once."""
    pinned = st.session_state.pop("f_pinned_data", None)
    latest = data(queries.freshness)["run_id"]
    if pinned and latest and pinned != latest:
        st.info(f"此链接生成时的数据批次为 {pinned},此后又有新数据入库(最新批次 {latest})。截至日期和筛选条件与链接相同;"
                "若其间补录了截至日期以前的记录,数值会相应变化。", icon=":material/history:")


def _link_box(chosen: Filters) -> None:
    """复制本页链接: this page with every filter, the as-of date written out and the data batch, so a link sent today
    shows the same choice after tomorrow's load (ui.js copies it; the text is shown for copying by hand too)."""
    as_of = data(metrics.as_of, chosen)
    page_keys = {k: v for k, v in st.query_params.to_dict().items() if k in PAGE_PARAMS}
    run = data(queries.freshness)["run_id"]
    params = {**page_keys, **chosen.pinned(as_of), **({"data": run} if run else {})}
    if not ui.screen_view():
        st.sidebar.html(ui.copy_link_button(urlencode(params), f"截至 {as_of:%Y-%m-%d},含全部筛选条件"))


def _screen_controls() -> None:
    """放映模式: entered from the sidebar, left by the button atop the page (the sidebar is hidden then)."""
    if ui.screen_view():
        if st.button("退出放映模式", icon=":material/close_fullscreen:", key="screen_exit"):
            del st.query_params["view"]
            st.rerun()
    elif st.sidebar.button("放映模式(会议投影)", icon=":material/slideshow:", key="screen_enter",
                           help="隐藏侧栏、放大字号,适合 1920×1080 投影;筛选条件不变,保留在链接中"):
        st.query_params["view"] = ui.SCREEN_VIEW
        st.rerun()


def _freshness() -> None:
    fresh = data(queries.freshness)
    loaded = fresh["loaded_at"]
    when = (loaded + BEIJING).strftime("%Y-%m-%d %H:%M") if loaded else "尚未入库"
    st.sidebar.caption(
        f"数据更新于 {when}(北京时间) · 已入库文件 {fresh['files_loaded']:,} 个"
        + (f" · 拒收 {fresh['files_refused']:,} 个" if fresh["files_refused"] else "")
        + f" · 隔离 {fresh['rows_quarantined']:,} 行", help=definitions()["数据更新"])
    st.sidebar.caption(f"考评细则:{rubric_in_force().label}", help=definitions()["考评细则"])


def _definitions() -> None:
    with st.sidebar.expander("口径说明"):
        for name, text in definitions().items():
            st.markdown(f"**{name}**:{text}")


def _rubric_or_stop() -> None:
    """An invalid rubric stops the app with the validator's messages: nothing is scored by a broken rubric."""
    try:
        rubric_in_force()
    except RubricError as exc:
        where = rubric_path() or "warehouse/rubric.toml"
        st.error(f"考评细则文件 {where} 有误,看板无法计算,请修改后刷新页面:\n\n"
                 + "\n".join(f"- {p}" for p in exc.problems))
        st.stop()


def _pages(pages_dir: Path, principal: access.Principal | None) -> list[tuple[str, Any]]:
    listed = PAGES + [p[:4] for p in ADMIN_PAGES if principal is not None and principal.may(p[4])]
    return [(file, st.Page(str(Path(pages_dir) / file), title=title, icon=icon, url_path=url, default=i == 0))
            for i, (file, title, icon, url) in enumerate(listed)]


def main(pages_dir: Path) -> None:
    st.set_page_config(page_title="铁岭市矛盾纠纷预防化解专项行动", page_icon="⚖️", layout="wide",
                       initial_sidebar_state="collapsed" if ui.screen_view() else "auto")
    ui.inject()   # print and projector styles, Enter applies a date, Streamlit's own words in Chinese
    access.set_current(None)   # nobody, until this run's login is known (queries fail closed in the app)
    try:
        auth.cookie_secret()
    except auth.SecretMissing as missing:
        st.error(str(missing))
        st.stop()
    principal = auth.current_user()
    listed = _pages(pages_dir, principal)
    pages = [p for _, p in listed]
    # before login every page is registered but hidden, so a link to /quality?county=… shows the login form and,
    # once logged in, that page with its filters
    page = st.navigation(pages, position="sidebar" if principal else "hidden")
    if "return_to" in st.session_state:  # a direct link handed over by the page (see filters())
        page_file, params = st.session_state.pop("return_to")
        target = next((p for file, p in listed if file == page_file), None)
        if target is not None:
            st.switch_page(target, query_params=params)
    if principal is None:
        auth.login_form()
        st.stop()
    access.set_current(principal)
    st.session_state["page_path"] = page.url_path or "overview"
    _rubric_or_stop()
    year = rubric_in_force().campaign_start.year  # the campaign's year is the rubric's
    st.sidebar.markdown(f"**铁岭市司法局**  \n矛盾纠纷预防化解专项行动({year})")
    auth.sidebar(principal, _county_name(principal))
    try:
        db.version()
    except db.WarehouseMissing as missing:
        st.error(f"尚未找到数据仓库:{missing}。请先运行入库:`make demo`,或 `python -m etl run --inbox 收件目录 "
                 f"--warehouse 仓库文件`,并用环境变量 WAREHOUSE_PATH 指向该文件。")
        st.stop()
    st.session_state["filters"] = _sidebar_filters()
    rejected = st.session_state.pop("f_rejected", ())
    if rejected:  # a shared link with values that name nothing: say so rather than show something else silently
        st.warning("链接中的以下参数无效,已忽略:" + ";".join(rejected), icon=":material/link_off:")
    _pinned_note()
    _link_box(st.session_state["filters"])
    _screen_controls()
    _audit_view(principal, page)
    _freshness()
    _definitions()
    try:
        page.run()
    except access.Forbidden as refused:   # a function the role may not call (its check, not a hidden widget)
        st.warning(str(refused), icon=":material/lock:")


def _county_name(principal: access.Principal) -> str | None:
    if principal.county is None:
        return None
    try:
        return dict(data(queries.counties).iter_rows()).get(principal.county, principal.county)
    except db.WarehouseMissing:
        return principal.county
