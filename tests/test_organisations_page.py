"""组织与队伍: the page's functions on the demo warehouse (their known answers on hand-built rows are in
test_metrics.py), and the page with the county and township filters."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard import metrics
from dashboard import organisations as org
from dashboard.filters import Filters
from tests.conftest import fetch

ENTRY = str(Path(__file__).resolve().parent / "app_entry.py")
KAIYUAN = "211282"


def _day(warehouse, f: Filters = Filters()) -> date:
    return metrics.as_of(f, warehouse)


def test_point_months_are_the_indicators_pairs(demo_warehouse):
    f = Filters()
    pm = org.point_months(f, _day(demo_warehouse), demo_warehouse)
    rate = org.point_rate(f, _day(demo_warehouse), demo_warehouse)
    assert pm.height == rate["denominator"] > 0 and int(pm["active"].sum()) == rate["numerator"]
    assert 0 < rate["value"] < 1
    assert pm["month"].min() >= metrics.rubric_in_force().param("point_monthly_rate", "first_month")


def test_point_months_follow_county_and_period(demo_warehouse):
    f = Filters((KAIYUAN,), date(2023, 3, 1), date(2023, 6, 1))
    pm = org.point_months(f, _day(demo_warehouse, f), demo_warehouse)
    assert set(pm["county_code"]) == {KAIYUAN} and pm["month"].max() == date(2023, 6, 1)
    march = Filters((), date(2023, 3, 1), date(2023, 3, 1))
    assert org.point_months(march, _day(demo_warehouse, march), demo_warehouse).is_empty()


def test_inactive_points_last_month(demo_warehouse):
    day = _day(demo_warehouse)
    pm = org.point_months(Filters(), day, demo_warehouse)
    last, idle = org.inactive_points(Filters(), day, demo_warehouse)
    assert last == pm["month"].max()
    assert sorted(idle["组织编码"]) == sorted(pm.filter((pm["month"] == last) & ~pm["active"])["org_id"])
    ft = {o for (o,) in fetch(demo_warehouse, "SELECT DISTINCT org_id FROM marts.mediators WHERE is_full_time")}
    assert all((code in ft) == (flag == "有") for code, flag in idle.select("组织编码", "专职调解员").rows())
    assert org.point_heatmap(pm, by_point=False).data
    assert org.point_heatmap(org.point_months(Filters((KAIYUAN,)), day, demo_warehouse), by_point=True).data


def test_mediators_by_county_count_the_roll(demo_warehouse):
    want = fetch(demo_warehouse, """
        SELECT county_code, count(*), count(*) FILTER (WHERE employment_type = '专职')
        FROM marts.mediators WHERE county_code IS NOT NULL GROUP BY 1 ORDER BY 1""")
    got = org.mediators_by_county(Filters(), _day(demo_warehouse), demo_warehouse)
    assert got.select("区县代码", "调解员数", "专职调解员数").rows() == want
    assert all(0 <= r <= 1 for r in got["培训覆盖率"])


def test_centres_list_every_county_and_township(demo_warehouse):
    cen = org.centres(Filters((KAIYUAN,)), _day(demo_warehouse), demo_warehouse)
    (townships,), = fetch(demo_warehouse, "SELECT count(*) FROM marts.dim_township WHERE county_code = ?", [KAIYUAN])
    assert cen.height == 1 + townships and set(cen["区县"]) == {"开原市"}
    star = org.star_offices(Filters(), _day(demo_warehouse), demo_warehouse)
    (offices,), = fetch(demo_warehouse, "SELECT count(*) FROM marts.judicial_offices")
    assert int(star["司法所数"].sum()) == offices
    assert all(both <= min(plan, evidence) for both, plan, evidence in star.select("均按期数", "计划按期数", "材料按期数").rows())


def test_page_inactive_list_follows_county_filter(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/organisations.py").run()
    assert not at.exception
    assert at.title[0].value == "组织与队伍"
    at.sidebar.multiselect[0].set_value([KAIYUAN]).run()
    assert not at.exception
    idle = next(d.value for d in at.dataframe if "评理说事点" in d.value.columns)
    assert set(idle["区县"]) == {"开原市"}
    kaiyuan = Filters((KAIYUAN,))
    assert len(idle) == org.inactive_points(kaiyuan, _day(demo_warehouse, kaiyuan), demo_warehouse)[1].height


def test_centres_before_their_deadline_are_not_yet_due(demo_warehouse):
    may = Filters(end=date(2023, 5, 1))
    early = org.centres(may, _day(demo_warehouse, may), demo_warehouse)  # as-of 2023-05-31, before 06-20 and 09-20
    assert early.height > 0
    assert set(early["状态"]) <= {"✅ 按期达标", "⏳ 未到期"} and "⏳ 未到期" in set(early["状态"])
    year = org.centres(Filters(), _day(demo_warehouse), demo_warehouse)
    assert "⏳ 未到期" not in set(year["状态"]) and year.height == early.height


def test_page_township_filter_shows_each_point_of_the_township(demo_warehouse, monkeypatch):
    import json

    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    (township, county), = fetch(demo_warehouse, """
        SELECT township_code, county_code FROM marts.orgs WHERE is_reasoning_point
        GROUP BY ALL ORDER BY count(*) DESC, township_code LIMIT 1""")
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.query_params.update(county=county, township=township)
    at.switch_page("../pages/organisations.py").run()
    assert not at.exception
    assert at.sidebar.multiselect[1].value == [township]
    heat = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "各评理说事点" in heat["layout"]["title"]["text"]
    one = Filters((county,), townships=(township,))
    points = org.point_months(one, _day(demo_warehouse, one), demo_warehouse)
    assert len(heat["data"][0]["y"]) == points["org_id"].n_unique() > 0
    (name,), = fetch(demo_warehouse, "SELECT township FROM marts.dim_township WHERE township_code = ?", [township])
    assert points["township"].unique().to_list() == [name]
