"""核查与帮教: query functions checked against direct SQL on the marts, and the page under AppTest."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import verification as v
from dashboard.filters import Filters
from tests.conftest import fetch
from tests.test_app import ENTRY

CHANGTU = "211224"


def _tasks(path, county=None, start=date(2023, 3, 1), day=None):
    cutoff = day - timedelta(days=30)
    sql = """SELECT count(*),
                    count(*) FILTER (WHERE verification_status = '已核查' AND feedback_date <= ?),
                    count(*) FILTER (WHERE verification_status = '已核查' AND feedback_date <= ?
                                     AND verification_result = '核查成功')
             FROM marts.verification_tasks WHERE issued_date >= ? AND issued_date <= ?"""
    params = [day, day, start, cutoff]
    if county:
        sql += " AND county_code = ?"
        params.append(county)
    return fetch(path, sql, params)[0]


def _overdue_count(path, county, day, start=date(2023, 3, 1)):
    return fetch(path, """
        SELECT count(*) FROM marts.verification_tasks
        WHERE issued_date >= ? AND issued_date <= ? AND county_code = ?
          AND NOT (coalesce(verification_status = '已核查', false) AND coalesce(feedback_date <= ?, false))""",
                 [start, day - timedelta(days=30), county, day])[0][0]


def test_as_of_is_the_earlier_of_period_end_and_latest_data(demo_warehouse):
    from dashboard.ranking import default_as_of

    latest = default_as_of(demo_warehouse)
    assert v.as_of(Filters(), demo_warehouse) == min(date(2023, 12, 31), latest)
    assert v.as_of(Filters(end=date(2023, 6, 1)), demo_warehouse) == min(date(2023, 6, 30), latest)


@pytest.mark.parametrize("counties", [(), (CHANGTU,)])
def test_kpis_match_direct_sql(demo_warehouse, counties):
    f = Filters(counties)
    day = v.as_of(f, demo_warehouse)
    tasks, verified, ok = _tasks(demo_warehouse, counties[0] if counties else None, day=day)
    k = v.kpis(f, day, demo_warehouse)
    assert (k["tasks"], k["verified"], k["succeeded"]) == (tasks, verified, ok)
    assert k["verification_rate"] == pytest.approx(verified / tasks)
    assert k["success_rate"] == pytest.approx(ok / verified)
    cond = "AND county_code = ?" if counties else ""
    (key, escorted), = fetch(demo_warehouse, f"""
        SELECT count(*) FILTER (WHERE is_key_person), count(*) FILTER (WHERE is_key_person AND handover_method = '必接必送')
        FROM marts.released_persons WHERE released_date BETWEEN ? AND ? {cond}""",
                             [date(2023, 3, 1), day, *counties])
    assert (k["key_persons"], k["key_escorted"]) == (key, escorted)


@pytest.mark.parametrize("counties", [(), (CHANGTU,)])
def test_lost_contact_is_the_scoring_deduction_count(demo_warehouse, counties):
    """脱管/漏管 on the page and in the 考评排名 deduction are the same people, whatever the period."""
    from warehouse.scoring import score

    card = score(demo_warehouse)
    want = sum(c.deduction_counts["lost_contact"] for c in card.counties if not counties or c.county_code in counties)
    assert want > 0 or counties
    for f in (Filters(counties), Filters(counties, date(2023, 5, 1), date(2023, 6, 1))):
        day = v.as_of(f, demo_warehouse)
        assert v.kpis(f, day, demo_warehouse)["lost_contact"] == want
        assert v.lost_contact(f, day, demo_warehouse).height == want


def test_rates_by_county_and_month_add_up(demo_warehouse):
    f = Filters()
    day = v.as_of(f, demo_warehouse)
    by_county = v.rates_by_county(f, day, demo_warehouse)
    by_month = v.rates_by_month(f, day, demo_warehouse)
    total = _tasks(demo_warehouse, day=day)
    assert tuple(int(by_county[c].sum()) for c in ("应核查任务数", "已核查任务数", "核查成功数")) == total
    # by month: only months whose every task is 30 days old by the as-of date (December's are not, at 12-31)
    cutoff = day - timedelta(days=30)
    whole = [m for m in by_month["下发月份"]]
    assert whole and all(date(m.year + m.month // 12, m.month % 12 + 1, 1) - timedelta(days=1) <= cutoff for m in whole)
    (n,), = fetch(demo_warehouse, "SELECT count(*) FROM marts.verification_tasks WHERE issued_date >= ? AND issued_date < ?",
                  [date(2023, 3, 1), date(whole[-1].year + whole[-1].month // 12, whole[-1].month % 12 + 1, 1)])
    assert int(by_month["应核查任务数"].sum()) == n
    row = by_county.filter(by_county["区县代码"] == CHANGTU).row(0, named=True)
    assert (row["应核查任务数"], row["已核查任务数"], row["核查成功数"]) == _tasks(demo_warehouse, CHANGTU, day=day)
    fig = v.rates_by_county_chart(by_county)
    assert fig.layout.shapes[0].y0 == v.TARGET  # the 90% target line


def test_overdue_list_matches_direct_sql_and_shows_no_personal_data(demo_warehouse):
    f = Filters()
    day = v.as_of(f, demo_warehouse)
    table = v.overdue(f, day, demo_warehouse)
    assert table.columns == ["区县", "乡镇", "核查编号", "监狱名称", "下发日期", "超期天数"]
    counties = [c for (c,) in fetch(demo_warehouse, "SELECT county_code FROM marts.dim_county")]
    assert table.height == sum(_overdue_count(demo_warehouse, c, day) for c in counties)
    assert table["超期天数"].to_list() == sorted(table["超期天数"].to_list(), reverse=True)
    assert all(d >= 0 for d in table["超期天数"])
    changtu = v.overdue(Filters((CHANGTU,)), day, demo_warehouse)
    assert changtu.height == _overdue_count(demo_warehouse, CHANGTU, day) and set(changtu["区县"]) <= {"昌图县"}


def test_released_person_breakdowns(demo_warehouse):
    f = Filters()
    day = v.as_of(f, demo_warehouse)
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
    day = v.as_of(Filters((CHANGTU,)), demo_warehouse)
    expected = _overdue_count(demo_warehouse, CHANGTU, day)
    tables = [d.value for d in at.dataframe if "核查编号" in d.value.columns]
    if expected:
        (shown,) = tables
        assert len(shown) == expected and set(shown["区县"]) == {"昌图县"}
    else:
        assert not tables and any("没有超期未核查" in s.value for s in at.success)


def test_county_rates_agree_with_the_scoring_engine(demo_warehouse):
    """With the full campaign period the page's as-of is the scorer's default, so the numbers must agree."""
    from dashboard import ranking

    card = ranking.scorecard(path=demo_warehouse)
    f = Filters()
    day = v.as_of(f, demo_warehouse)
    assert day == card.as_of
    frame = card.to_frame()
    by_county = {r["区县代码"]: r for r in v.rates_by_county(f, day, demo_warehouse).iter_rows(named=True)}
    handover = {r["区县"]: r for r in v.key_handover_by_county(f, day, demo_warehouse).iter_rows(named=True)}
    for r in frame.iter_rows(named=True):
        if r["indicator"] == "verification_rate":
            mine = by_county.get(r["county_code"], {"已核查任务数": 0, "应核查任务数": 0})
            assert (mine["已核查任务数"], mine["应核查任务数"]) == (r["numerator"], r["denominator"])
        elif r["indicator"] == "verification_success_rate":
            mine = by_county.get(r["county_code"], {"核查成功数": 0, "已核查任务数": 0})
            assert (mine["核查成功数"], mine["已核查任务数"]) == (r["numerator"], r["denominator"])
        elif r["indicator"] == "key_handover_rate":
            mine = handover.get(r["county"], {"必接必送": 0, "其他衔接方式": 0})
            assert (mine["必接必送"], mine["必接必送"] + mine["其他衔接方式"]) == (r["numerator"], r["denominator"])


def test_page_empty_period_shows_friendly_states(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/verification.py").run()
    at.select_slider(key="f_period").set_value(("2023-03", "2023-03")).run()  # no task is 30 days old by 03-31
    assert not at.exception
    assert next(m.value for m in at.metric if m.label.startswith("核查率")) == "—"
    assert any("没有超期未核查" in s.value for s in at.success)
