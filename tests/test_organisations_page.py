"""组织与队伍: the query functions against direct SQL on the marts, and the page with the county filter."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import organisations as org
from dashboard.filters import Filters
from dashboard.ranking import default_as_of
from tests.conftest import fetch

ENTRY = str(Path(__file__).resolve().parent / "app_entry.py")
KAIYUAN = "211282"

# Scoring #5 written independently: pairs of (point × full month from April within the period), hits by full-time
# mediators of that point; returns {(org_id, month): active}.
PAIRS_SQL = """
WITH months AS (
    SELECT CAST(m AS DATE) AS month FROM unnest(generate_series(TIMESTAMP '2023-04-01', CAST(? AS TIMESTAMP),
           INTERVAL 1 MONTH)) s(m) WHERE last_day(CAST(m AS DATE)) <= ?)
SELECT o.org_id, m.month,
       EXISTS (SELECT 1 FROM marts.cases c JOIN marts.mediators md USING (mediator_id)
               WHERE md.org_id = o.org_id AND md.is_full_time AND date_trunc('month', c.accepted_date) = m.month)
FROM marts.orgs o, months m
WHERE o.org_type = '村(居)民评理说事点' AND (o.founded_date IS NULL OR o.founded_date < m.month)
  AND (? IS NULL OR o.county_code = ?)
"""


def _pairs(path, end: date, county: str | None = None) -> dict:
    rows = fetch(path, PAIRS_SQL, [end, default_as_of(path), county, county])
    return {(o, m): a for o, m, a in rows}


def test_point_months_match_direct_sql(demo_warehouse):
    pm = org.point_months(Filters(), demo_warehouse)
    got = {(o, m): a for o, m, a in pm.select("org_id", "month", "active").rows()}
    want = _pairs(demo_warehouse, date(2023, 12, 1))
    assert got == want and len(got) > 0
    assert 0 < sum(want.values()) < len(want)
    assert pm["month"].min() >= date(2023, 4, 1)


def test_point_months_follow_county_and_period(demo_warehouse):
    f = Filters((KAIYUAN,), date(2023, 3, 1), date(2023, 6, 1))
    pm = org.point_months(f, demo_warehouse)
    assert set(pm["county_code"]) == {KAIYUAN}
    assert {(o, m): a for o, m, a in pm.select("org_id", "month", "active").rows()} == \
        _pairs(demo_warehouse, date(2023, 6, 1), KAIYUAN)
    assert org.point_months(Filters((), date(2023, 3, 1), date(2023, 3, 1)), demo_warehouse).is_empty()


def test_inactive_points_last_month(demo_warehouse):
    last, idle = org.inactive_points(Filters(), demo_warehouse)
    want = _pairs(demo_warehouse, date(2023, 12, 1))
    assert last == max(m for _, m in want)
    assert sorted(idle["组织编码"]) == sorted(o for (o, m), a in want.items() if m == last and not a)
    ft = {o for (o,) in fetch(demo_warehouse, "SELECT DISTINCT org_id FROM marts.mediators WHERE is_full_time")}
    assert all((code in ft) == (flag == "有") for code, flag in idle.select("组织编码", "专职调解员").rows())
    assert org.point_heatmap(org.point_months(Filters(), demo_warehouse), by_point=False).data
    assert org.point_heatmap(org.point_months(Filters((KAIYUAN,)), demo_warehouse), by_point=True).data


def test_mediators_by_county(demo_warehouse):
    as_of = default_as_of(demo_warehouse)
    want = fetch(demo_warehouse, """
        SELECT county_code, count(*), count(*) FILTER (WHERE employment_type = '专职'),
               count(*) FILTER (WHERE annual_training_date >= DATE '2023-01-01' AND annual_training_date <= ?)
        FROM marts.mediators WHERE county_code IS NOT NULL GROUP BY 1 ORDER BY 1""", [as_of])
    got = org.mediators_by_county(Filters(), demo_warehouse)
    assert got.select("区县代码", "调解员数", "专职调解员数", "已培训人数").rows() == want
    for row in got.iter_rows(named=True):
        assert row["专职占比"] == pytest.approx(row["专职调解员数"] / row["调解员数"])
        assert row["培训覆盖率"] == pytest.approx(row["已培训人数"] / row["调解员数"])


def test_centres_and_star_offices(demo_warehouse):
    f = Filters((KAIYUAN,))
    cen = org.centres(f, demo_warehouse)
    n, flagged = fetch(demo_warehouse, """
        SELECT count(*), count(*) FILTER (WHERE center_level <> '县级' AND NOT meets_plan
                                           AND coalesce(full_time_mediators, 0) < 2)
        FROM marts.resolution_centers WHERE county_code = ?""", [KAIYUAN])[0]
    assert cen.height == n and set(cen["区县"]) <= {"开原市"}
    assert (cen["状态"] == "⚠ 专职调解员不足2名").sum() == flagged
    star = org.star_offices(Filters(), demo_warehouse)
    want = fetch(demo_warehouse, """
        SELECT county_code, count(*), count(*) FILTER (WHERE plan_submitted_date <= DATE '2023-03-20'),
               count(*) FILTER (WHERE evidence_submitted_date <= DATE '2023-06-20'),
               count(*) FILTER (WHERE plan_submitted_date <= DATE '2023-03-20'
                                  AND evidence_submitted_date <= DATE '2023-06-20')
        FROM marts.judicial_offices GROUP BY 1 ORDER BY 1""")
    assert star.select("区县代码", "司法所数", "计划按期数", "材料按期数", "均按期数").rows() == want


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
    want = _pairs(demo_warehouse, date(2023, 12, 1), KAIYUAN)
    last = max(m for _, m in want)
    assert len(idle) == sum(1 for (o, m), a in want.items() if m == last and not a)


def test_centres_before_their_deadline_are_not_yet_due(demo_warehouse):
    early = org.centres(Filters(end=date(2023, 5, 1)), demo_warehouse)  # as-of 2023-05-31, before 06-20 and 09-20
    assert early.height > 0
    assert set(early["状态"]) <= {"✅ 按期达标", "⏳ 未到期"} and "⏳ 未到期" in set(early["状态"])
    year = org.centres(Filters(), demo_warehouse)
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
    points = org.point_months(Filters((county,), townships=(township,)), demo_warehouse)
    assert len(heat["data"][0]["y"]) == points["org_id"].n_unique() > 0
    (name,), = fetch(demo_warehouse, "SELECT township FROM marts.dim_township WHERE township_code = ?", [township])
    assert points["township"].unique().to_list() == [name]
