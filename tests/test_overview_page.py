"""总览: plan-target cards, the county map and the timeline, checked against scoring and the marts; the page under AppTest."""
from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import county_map as cm
from dashboard import overview as ov
from dashboard import metrics, queries, ranking
from dashboard.filters import Filters
from tests.test_app import ENTRY
from warehouse.rubric import default_rubric

KAIYUAN, CHANGTU = "211282", "211224"


@pytest.fixture(scope="module")
def card(demo_warehouse):
    return ranking.scorecard(date(2023, 12, 31), path=demo_warehouse)


def test_plan_target_cards_are_the_plan_targets_of_the_rubric(card):
    targets = ov.plan_targets(card)
    assert targets["key"].to_list() == [k for k, r in card.rubric.indicators.items() if r.plan_target]
    assert {"entry_rate", "verification_rate", "verification_success_rate", "app_registration_rate",
            "point_monthly_rate", "center_build", "star_office", "key_handover_rate"} <= set(targets["key"])


def test_city_value_is_the_sum_of_numerators_over_the_sum_of_denominators(card):
    row = ov.plan_targets(card).filter(key="verification_rate").row(0, named=True)
    n = sum(float(c.indicators["verification_rate"].numerator) for c in card.counties)
    d = sum(c.indicators["verification_rate"].denominator for c in card.counties)
    assert row["值"] == pytest.approx(n / d) and d > 0
    met = [c for c in card.counties if c.indicators["verification_rate"].met]
    assert row["达标区县数"] == len(met) and row["适用区县数"] == 7
    missed = {c.county for c in card.counties if c.indicators["verification_rate"].met is False}
    assert set(filter(None, row["未达标区县"].split("、"))) == missed


def test_one_county_cards_equal_its_scorecard(card):
    row = ov.plan_targets(card, (KAIYUAN,)).filter(key="entry_rate").row(0, named=True)
    r = card.county(KAIYUAN).indicators["entry_rate"]
    assert row["值"] == pytest.approx(float(r.value))
    assert (row["达标区县数"], row["适用区县数"]) == (int(bool(r.met)), 1)


def test_centre_card_is_the_mean_of_the_two_halves(card):
    row = ov.plan_targets(card).filter(key="center_build").row(0, named=True)
    halves = []
    for part in ("county", "township"):
        n = sum(c.indicators["center_build"].parts[part][0] for c in card.counties)
        d = sum(c.indicators["center_build"].parts[part][1] for c in card.counties)
        halves.append(n / d)
    assert row["值"] == pytest.approx(sum(halves) / 2)


def test_map_values_and_figure(card):
    values = ov.map_values(card)
    assert values.height == 7 and values["值"].to_list() == [float(c.total) for c in card.counties]
    fig = cm.county_map(values, "考评总分", (CHANGTU,))
    assert {t.type for t in fig.data} == {"scatter"} and "map" not in fig.to_dict()["layout"]  # SVG: nothing fetched
    poly = {t.meta["county_code"]: t for t in fig.data if t.meta and t.meta.get("role") == "county"}
    assert set(poly) == set(values["county_code"]) and poly[CHANGTU].line.width > poly[KAIYUAN].line.width
    for c in card.counties:  # the short reasons name exactly what the 通报 sentences name
        short = values.filter(county_code=c.county_code)["通报原因"][0]
        for r in c.indicators.values():
            assert (r.name in short) == (r.plan_target and r.below_target())
        assert bool(short) == c.notice
    share = ov.map_values(card, "entry_rate")
    assert share.filter(county_code=KAIYUAN)["值"][0] == pytest.approx(float(card.county(KAIYUAN).indicators["entry_rate"].value))


def test_geojson_codes_are_the_counties(demo_warehouse):
    codes = {f["properties"]["code"] for f in ov.geojson()["features"]}
    assert codes == set(queries.counties(demo_warehouse)["county_code"])


def test_milestones_are_the_rubrics_and_name_the_late_counties(demo_warehouse):
    as_of = date(2023, 12, 31)
    ms = ov.milestones(Filters(), as_of, demo_warehouse)
    rubric = default_rubric()
    assert list(zip(ms["节点"], ms["截止日期"])) == list(rubric.milestones.items())
    assert ms["状态"].to_list() == ["已到期"] * 6
    for m in ms.iter_rows(named=True):  # every county is either on time or named late (known answers: test_metrics)
        named = [part.split("(")[0] for part in m["逾期区县"].split("、") if part]
        assert m["按期完成区县数"] + len(named) == 7
    early = ov.milestones(Filters(), date(2023, 5, 31), demo_warehouse)
    assert early.filter(状态="未到期")["节点"].to_list() == ["星级司法所佐证材料", "县级调处化解中心建成",
                                                           "乡镇中心挂牌运行", "专项行动书面总结"]
    assert early.filter(状态="未到期")["逾期区县"].to_list() == [""] * 4


def test_timeline_figure_has_the_three_phases(demo_warehouse):
    ms = ov.milestones(Filters(), date(2023, 12, 31), demo_warehouse)
    fig = ov.timeline(ms, date(2023, 12, 31), default_rubric())
    assert [t.name for t in fig.data if t.type == "bar"] == ["梳理准备阶段", "攻坚预防阶段", "总结验收阶段"]
    assert [a.text.split("(")[0] for a in fig.layout.annotations][:3] == ["梳理准备阶段", "攻坚预防阶段", "总结验收阶段"]
    # six milestones on five days: the two due on 06-20 share a diamond, red when either has a late county
    diamonds = fig.data[-1]
    assert len(diamonds.x) == 5
    june = list(diamonds.x).index("2023-06-20")
    late_june = ms.filter(pl.col("截止日期") == date(2023, 6, 20))["逾期区县"].to_list()
    assert (diamonds.marker.color[june] == "#c0392b") == any(late_june)
    assert "星级司法所佐证材料" in diamonds.customdata[june][1] and "县级调处化解中心建成" in diamonds.customdata[june][1]


def test_a_value_just_under_its_target_is_not_rounded_up_to_it():
    assert ranking.pct_text(0.09997, 0.10) == "9.997%"
    assert ranking.pct_text(0.934, 0.90) == "93.4%"


def test_end_of_month():
    assert Filters(end=date(2023, 12, 1)).last_day == date(2023, 12, 31)
    assert Filters(end=date(2023, 2, 1)).last_day == date(2023, 2, 28)


# --- the page ---------------------------------------------------------------------------------------------------

@pytest.fixture
def app(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    return AppTest.from_file(ENTRY, default_timeout=60)


def _metric(at, label_start):
    return next(m for m in at.metric if m.label.startswith(label_start))


def test_page_shows_every_plan_target_with_city_value_and_counties_meeting(app, demo_warehouse):
    at = app.run()
    assert not at.exception
    day = metrics.as_of(Filters(), demo_warehouse)
    card = ranking.scorecard(day, path=demo_warehouse)
    before_card = ranking.scorecard(day.replace(day=1) - timedelta(days=1), path=demo_warehouse)
    before = ov.plan_targets(before_card)
    for row in ov.plan_targets(card).iter_rows(named=True):
        m = _metric(at, row["指标"])
        assert m.value == ranking.pct_text(row["值"], row["目标"])
        assert m.label.endswith(f" · {row['达标区县数']}/{row['适用区县数']} 个区县达标")
        # 环比: the city value against the previous month's end, in percentage points
        old = before.filter(pl.col("key") == row["key"])["值"][0]
        if old is None or row["值"] is None:   # nothing to compare (a denominator of 0 then or now)
            assert not m.proto.delta
        else:
            assert m.proto.delta == f"较上月末 {round((row['值'] - old) * 100, 2):+.2f} 个百分点"
        if old is not None and row["值"] is not None:   # a trend line wherever two month ends have a value
            assert len(m.proto.chart_data) >= 2
        assert m.proto.help


def test_choosing_a_county_on_the_page_filters_the_whole_app(app, demo_warehouse):
    at = app.run()
    chooser = next(s for s in at.selectbox if s.label.startswith("选择区县"))
    chooser.set_value(KAIYUAN).run()
    assert not at.exception
    assert at.sidebar.multiselect[0].value == [KAIYUAN]
    assert at.query_params["county"] in (KAIYUAN, [KAIYUAN])
    day = metrics.as_of(Filters((KAIYUAN,)), demo_warehouse)
    k = queries.kpis(Filters((KAIYUAN,)), day, demo_warehouse)
    assert _metric(at, "受理案件数").value == f"{k['accepted']:,} 件"
    card = ranking.scorecard(day, path=demo_warehouse)
    entry = float(card.county(KAIYUAN).indicators["entry_rate"].value)
    assert _metric(at, card.rubric.indicators["entry_rate"].name).value == ranking.pct_text(entry, 0.9)
    # the sidebar drives the selector too
    at.sidebar.multiselect[0].set_value([CHANGTU]).run()
    assert next(s for s in at.selectbox if s.label.startswith("选择区县")).value == CHANGTU


def test_period_end_moves_the_as_of_date(app, demo_warehouse):
    app.query_params["to"] = "2023-05"
    at = app.run()
    assert not at.exception
    assert any("至 2023年05月31日累计" in s.value for s in at.subheader)
    ms = ov.milestones(Filters(end=date(2023, 5, 1)), date(2023, 5, 31), demo_warehouse)
    shown = next(d.value for d in at.dataframe if "状态" in d.value.columns)
    assert shown["状态"].to_list() == ms["状态"].to_list()


def test_a_dispute_type_filter_leaves_the_entry_rate_undefined_not_wrong(app, demo_warehouse):
    app.query_params["type"] = "02"
    at = app.run()
    assert not at.exception
    k = queries.kpis(Filters(dispute_types=("02",)), metrics.as_of(Filters(), demo_warehouse), demo_warehouse)
    assert k["entry_rate"] is None and k["accepted"] > 0
    assert _metric(at, "受理案件数").value == f"{k['accepted']:,} 件"
    assert _metric(at, "案件录入率").value == "—"
    assert sum("月报不分纠纷类型和组织类型" in i.value for i in at.info) == 2  # instead of the chart and the table
    assert all("录入率" not in d.value.columns for d in at.dataframe)


def test_the_map_colouring_is_kept_in_the_url(app, demo_warehouse):
    app.query_params["map"] = "entry_rate"
    at = app.run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="overview_metric").value == "entry_rate"
    assert "人民调解案件录入率" in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    at.selectbox(key="overview_metric").set_value("total").run()
    assert "map" not in at.query_params
    at.selectbox(key="overview_metric").set_value("star_office").run()
    assert at.query_params["map"] in ("star_office", ["star_office"])
