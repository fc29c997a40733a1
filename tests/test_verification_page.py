"""核查与帮教: query functions checked against direct SQL on the marts, and the page under AppTest."""
from __future__ import annotations

from datetime import date, timedelta

from streamlit.testing.v1 import AppTest

from dashboard import metrics
from dashboard import verification as v
from dashboard.filters import Filters
from tests.conftest import fetch
from tests.test_app import ENTRY

CHANGTU = "211224"


def test_as_of_is_the_earlier_of_period_end_and_latest_data_unless_a_day_is_chosen(demo_warehouse):
    latest = metrics.latest_data_date(demo_warehouse)
    assert metrics.as_of(Filters(), demo_warehouse) == min(date(2023, 12, 31), latest)
    assert metrics.as_of(Filters(end=date(2023, 6, 1)), demo_warehouse) == min(date(2023, 6, 30), latest)
    chosen = Filters(end=date(2023, 6, 1), asof=date(2023, 6, 20))
    assert metrics.as_of(chosen, demo_warehouse) == date(2023, 6, 20)


def test_county_and_month_rows_add_up_to_the_cards(demo_warehouse):
    f = Filters()
    day = metrics.as_of(f, demo_warehouse)
    k = v.kpis(f, day, demo_warehouse)
    by_county = v.rates_by_county(f, day, demo_warehouse)
    by_month = v.rates_by_month(f, day, demo_warehouse)
    for frame in (by_county, by_month):
        assert tuple(int(frame[c].sum()) for c in ("应核查任务数", "已核查任务数", "核查成功数")) == \
            (k["tasks"], k["verified"], k["succeeded"])
    # the months whose tasks have not all had their window by the as-of date are marked, not dropped
    cutoff = day - timedelta(days=v.window_days())
    for month, complete in by_month.select("下发月份", "完整").rows():
        assert complete == (date(month.year + month.month // 12, month.month % 12 + 1, 1) - timedelta(days=1) <= cutoff)
    fig = v.rates_by_county_chart(by_county)
    assert fig.layout.shapes[0].y0 == v.targets()["verification_rate"]  # the target line, from the rubric
    handover = v.key_handover_by_county(f, day, demo_warehouse)
    assert int(handover["必接必送"].sum()) == k["key_escorted"]
    assert int((handover["必接必送"] + handover["其他衔接方式"]).sum()) == k["key_persons"]


def test_overdue_list_is_sorted_and_shows_no_personal_data(demo_warehouse):
    f = Filters()
    day = metrics.as_of(f, demo_warehouse)
    table = v.overdue(f, day, demo_warehouse)
    assert table.columns == ["区县", "乡镇", "核查编号", "监狱名称", "下发日期", "超期天数"]
    k = v.kpis(f, day, demo_warehouse)
    assert table.height == k["tasks"] - k["verified"] > 0
    assert table["超期天数"].to_list() == sorted(table["超期天数"].to_list(), reverse=True)
    assert all(d >= 0 for d in table["超期天数"])
    changtu = v.overdue(Filters((CHANGTU,)), day, demo_warehouse)
    assert set(changtu["区县"]) <= {"昌图县"} and changtu.height < table.height


def test_released_person_breakdowns(demo_warehouse):
    f = Filters()
    day = metrics.as_of(f, demo_warehouse)
    (n, away), = fetch(demo_warehouse, """SELECT count(*), count(*) FILTER (WHERE is_away_from_registered_residence)
        FROM marts.released_persons WHERE released_date BETWEEN ? AND ?""", [date(2023, 3, 1), day])
    for column in ("resettlement_status", "assistance_status"):
        assert v.status_by_county(column, f, day, demo_warehouse)["人数"].sum() == n
    sep = v.separated_by_county(f, day, demo_warehouse)
    assert (sep["释放人数"].sum(), sep["人户分离人数"].sum()) == (n, away)
    lost = v.lost_contact(f, day, demo_warehouse)
    assert lost.height == v.kpis(f, day, demo_warehouse)["lost_contact"]
    assert set(lost["帮教情况"]) <= {"脱管", "漏管"}
    assert v.status_chart(v.status_by_county("assistance_status", Filters(end=date(2023, 3, 1)), date(2023, 2, 1),
                                             demo_warehouse), "t").layout.annotations[0].text.startswith("当前筛选条件")


def test_page_follows_the_county_filter(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/verification.py").run()
    assert not at.exception
    assert at.title[0].value == "核查与帮教"
    assert any(m.label.startswith("核查率") for m in at.metric)
    at.sidebar.multiselect[0].set_value([CHANGTU]).run()
    assert not at.exception
    day = metrics.as_of(Filters((CHANGTU,)), demo_warehouse)
    expected = v.overdue(Filters((CHANGTU,)), day, demo_warehouse).height
    tables = [d.value for d in at.dataframe if "核查编号" in d.value.columns]
    if expected:
        (shown,) = tables
        assert len(shown) == expected and set(shown["区县"]) == {"昌图县"}
    else:
        assert not tables and any("没有超期未核查" in s.value for s in at.success)


def test_page_empty_period_shows_friendly_states(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/verification.py").run()
    at.select_slider(key="f_period").set_value(("2023-03", "2023-03")).run()  # no task is 30 days old by 03-31
    assert not at.exception
    assert next(m.value for m in at.metric if m.label.startswith("核查率")) == "—"
    assert any("没有超期未核查" in s.value for s in at.success)
