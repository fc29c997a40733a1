"""纠纷分析: counts of accepted cases checked against hand-written SQL on marts.cases; the indicators (调解成功率,
矛盾不上交率, by 调解日期: known answers on hand-built rows in test_metrics.py) checked for adding up across the page's
groupings; the charts, the download, and the page."""
from __future__ import annotations

import io
from datetime import date

import openpyxl
import plotly.io
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import disputes as d
from dashboard import metrics
from dashboard.filters import Filters
from tests.conftest import fetch
from tests.test_app import ENTRY

KAIYUAN = "211282"
NEIGHBOURS = "02"  # 邻里纠纷
# the acceptance question "how did 邻里纠纷 develop in 开原市 this year", and the whole city
CASES = [Filters(), Filters((KAIYUAN,), dispute_types=(NEIGHBOURS,)),
         Filters((KAIYUAN,), date(2023, 5, 1), date(2023, 9, 1), org_types=("村(居)民评理说事点",))]
IDS = ["city", "kaiyuan-neighbours", "kaiyuan-points-may-sep"]


def _day(path, f: Filters):
    return metrics.as_of(f, path)


def _where(f: Filters) -> tuple[str, list]:
    """The filters written out by hand (not through Filters.sql), so a mistake there would show here. The demo's
    as-of date is its latest data date, after every 受理日期, so no as-of bound is needed here."""
    sql, params = "accepted_date BETWEEN ? AND last_day(?::DATE)", [f.start, f.end]
    for values, col in ((f.counties, "county_code"), (f.dispute_types, "dispute_category_code"),
                        (f.org_types, "org_type"), (f.townships, "township_code")):
        if values:
            sql += f" AND {col} IN ({', '.join('?' * len(values))})"
            params += list(values)
    return sql, params


def _one(path, f, select: str, extra: str = "TRUE", extra_params=()):
    where, params = _where(f)
    return fetch(path, f"SELECT {select} FROM marts.cases WHERE {where} AND {extra}", params + list(extra_params))


@pytest.mark.parametrize("f", CASES, ids=IDS)
def test_kpis_match_direct_sql(demo_warehouse, f):
    (n, group, petition), = _one(demo_warehouse, f, """
        count(*), count(*) FILTER (WHERE people_involved >= 5), count(*) FILTER (WHERE is_petition)""")
    assert n > 0
    day = _day(demo_warehouse, f)
    k = d.kpis(f, day, demo_warehouse)
    assert (k["accepted"], k["group_cases"], k["petition"]) == (n, group, petition)
    # the two indicators and their closed cases are the scoring's, cut by the same filters
    success = metrics.result("mediation_success_rate", f, day, path=demo_warehouse)
    local = metrics.result("local_resolution_rate", f, day, path=demo_warehouse)
    assert (k["closed"], k["succeeded"], k["success_rate"]) == (success["denominator"], success["numerator"],
                                                                 success["value"])
    assert (k["closed"], k["local"], k["local_rate"]) == (local["denominator"], local["numerator"], local["value"])
    levels = d.by_level(f, day, demo_warehouse)
    assert int(levels["调结案件数"].sum()) == k["closed"] > 0
    assert int(levels.filter(levels["矛盾不上交"])["调结案件数"].sum()) == k["local"]


@pytest.mark.parametrize("f", CASES, ids=IDS)
def test_breakdowns_match_direct_sql_and_add_up(demo_warehouse, f):
    where, params = _where(f)
    day = _day(demo_warehouse, f)
    k = d.kpis(f, day, demo_warehouse)
    total = k["accepted"]

    by_type = d.by_type(f, day, demo_warehouse)
    expected = dict(fetch(demo_warehouse, f"SELECT dispute_category, count(*) FROM marts.cases WHERE {where} "
                                          "GROUP BY ALL", params))
    assert dict(zip(by_type["纠纷类型"], by_type["受理案件数"])) == expected
    assert by_type["占比"].sum() == pytest.approx(1)
    assert int(by_type["调结案件数"].sum()) <= k["closed"]  # a type closed in the period but not accepted in it

    by_source = d.by_source(f, day, demo_warehouse)
    assert by_source["案件来源"].to_list() == list(d.SOURCES)  # every source of the contract, zero too
    expected = dict(fetch(demo_warehouse, f"SELECT source, count(*) FROM marts.cases WHERE {where} GROUP BY ALL",
                          params))
    assert {s: n for s, n in zip(by_source["案件来源"], by_source["受理案件数"]) if n} == expected

    by_level = d.by_level(f, day, demo_warehouse)
    assert int(by_level["调结案件数"].sum()) == k["closed"]
    assert by_level["化解层级"][0] == "小事不出村(社区)" and by_level["化解层级"][1] == "大事不出乡镇(街道)"

    month = d.monthly(f, day, path=demo_warehouse)
    assert month["月份"].to_list() == [date(2023, m, 1) for m in range(f.start.month, f.end.month + 1)]
    expected = dict(fetch(demo_warehouse, f"SELECT month(accepted_date), count(*) FROM marts.cases "
                                          f"WHERE {where} GROUP BY ALL", params))
    assert {m.month: n for m, n in zip(month["月份"], month["受理案件数"]) if n} == expected
    assert month["受理案件数"].sum() == total
    assert int(month["调结案件数"].sum()) == k["closed"] and int(month["调解成功数"].sum()) == k["succeeded"]

    by_county = d.by_area(f, day, path=demo_warehouse)
    assert by_county["受理案件数"].sum() == total
    assert set(by_county["代码"]) == (set(f.counties) or {c for (c,) in fetch(
        demo_warehouse, "SELECT county_code FROM marts.dim_county")})  # counties without a case listed too


def test_domains_list_every_plan_domain_even_without_cases(demo_warehouse):
    # every domain the plan names is shown, 家庭 and 婚姻 in the combined row the catalogue forces
    assert {p for row in d.DOMAIN_ROWS for p in row.split("/")} == set(d.PLAN_DOMAINS)
    catalogue = {dom for (dom,) in fetch(demo_warehouse, "SELECT DISTINCT campaign_domain FROM marts.dim_dispute_type")}
    assert catalogue <= set(d.DOMAIN_ROWS) | {d.OTHER_DOMAIN}

    f = Filters((KAIYUAN,), dispute_types=(NEIGHBOURS,))
    dom = d.by_domain(f, _day(demo_warehouse, f), demo_warehouse)
    assert dom["重点领域"].to_list()[:len(d.DOMAIN_ROWS)] == list(d.DOMAIN_ROWS)
    expected = dict(_one(demo_warehouse, f, "campaign_domain, count(*)", "TRUE GROUP BY ALL"))
    assert {r: n for r, n in zip(dom["重点领域"], dom["受理案件数"]) if n} == expected
    assert (dom["受理案件数"] == 0).sum() >= len(d.DOMAIN_ROWS) - 1  # only 邻里 has cases: the rest shown as 0

    day = _day(demo_warehouse, Filters())
    city = d.by_domain(Filters(), day, demo_warehouse)
    assert city["受理案件数"].sum() == d.kpis(Filters(), day, demo_warehouse)["accepted"]
    family = city.filter(pl.col("重点领域") == "家庭/婚姻").row(0, named=True)
    assert "婚姻家庭纠纷" in family["包含类型"]


def test_drill_down_county_township_organisation(demo_warehouse):
    f = Filters(dispute_types=(NEIGHBOURS,))
    day = _day(demo_warehouse, f)
    towns = d.by_area(f, day, KAIYUAN, path=demo_warehouse)
    (all_towns,), = fetch(demo_warehouse, "SELECT count(*) FROM marts.dim_township WHERE county_code = ?", [KAIYUAN])
    assert towns.height == all_towns  # zero-case townships listed: a gap is visible
    expected = dict(_one(demo_warehouse, Filters((KAIYUAN,), dispute_types=(NEIGHBOURS,)),
                         "township_code, count(*)", "TRUE GROUP BY ALL"))
    assert {t: n for t, n in zip(towns["代码"], towns["受理案件数"]) if n} == expected
    kaiyuan = d.kpis(Filters((KAIYUAN,), dispute_types=(NEIGHBOURS,)), day, demo_warehouse)
    assert int(towns["调结案件数"].sum()) == kaiyuan["closed"]   # the indicators' cases add up over the townships

    town = towns["代码"][0]
    orgs = d.by_area(f, day, KAIYUAN, town, path=demo_warehouse)
    assert orgs["受理案件数"].sum() == towns["受理案件数"][0] > 0
    row = orgs.row(0, named=True)
    (n,), = _one(demo_warehouse, f, "count(*)", "township_code = ? AND org_name = ?", [town, row["代码"]])
    assert row["受理案件数"] == n
    assert int(orgs["调结案件数"].sum()) <= towns["调结案件数"][0]  # organisations listed have accepted cases
    assert all(r is None or 0 <= r <= 1 for r in orgs["矛盾不上交率"])


def test_case_list_is_capped_masked_and_matches(demo_warehouse):
    f = Filters((KAIYUAN,), dispute_types=(NEIGHBOURS,))
    day = _day(demo_warehouse, f)
    (n,), = _one(demo_warehouse, f, "count(*)")
    assert d.case_count(f, day, path=demo_warehouse) == n
    shown = d.case_list(f, day, limit=20, path=demo_warehouse)
    assert shown.height == min(20, n)
    assert shown["受理日期"].to_list() == sorted(shown["受理日期"].to_list(), reverse=True)
    assert set(shown["区县"]) == {"开原市"} and set(shown["纠纷类型"]) == {"邻里纠纷"}
    assert "调解员(已脱敏)" in shown.columns and not any("id" in c.lower() for c in shown.columns)
    hashes = {h for (h,) in fetch(demo_warehouse, "SELECT mediator_id FROM marts.cases")}
    assert not hashes & set(shown["调解员(已脱敏)"])
    assert all("*" in name for name in shown["调解员(已脱敏)"] if name)  # masks like 张*, never a full name

    (group,), = _one(demo_warehouse, Filters(), "count(*)", "people_involved >= 5")  # the whole city: more of them
    assert d.case_count(Filters(), day, "群体性纠纷(≥5人)", path=demo_warehouse) == group > 0
    full = d.case_list(Filters(), day, "群体性纠纷(≥5人)", limit=None, path=demo_warehouse)
    assert full.height == group and min(full["涉及人数"]) >= 5
    (petition,), = _one(demo_warehouse, f, "count(*)", "is_petition")
    assert d.case_count(f, day, "涉访案件", path=demo_warehouse) == petition

    town = d.by_area(f, day, KAIYUAN, path=demo_warehouse)["代码"][0]
    (in_town,), = _one(demo_warehouse, f, "count(*)", "township_code = ?", [town])
    assert d.case_count(f, day, county=KAIYUAN, township=town, path=demo_warehouse) == in_town


def test_downloads_hold_the_whole_filtered_list(demo_warehouse):
    f = Filters((KAIYUAN,))
    day = _day(demo_warehouse, f)
    (n,), = _one(demo_warehouse, f, "count(*)")
    assert n > d.LIST_ROWS or d.case_list(f, day, path=demo_warehouse).height == n
    csv = d.case_list_csv(f, day, path=demo_warehouse)
    assert csv.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese as UTF-8
    back = pl.read_csv(io.BytesIO(csv[3:]))
    assert back.height == n and back.columns[:3] == ["案件编号", "区县", "乡镇(街道)"]
    ws = openpyxl.load_workbook(io.BytesIO(d.case_list_xlsx(f, day, subtitle="开原市", path=demo_warehouse))).active
    rows = [r for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r[0] == "案件编号")
    assert rows[0][0] == "人民调解案件明细" and len(rows) - header - 1 == n


def test_charts_label_their_axes_and_show_an_empty_state(demo_warehouse):
    f = Filters((KAIYUAN,), dispute_types=(NEIGHBOURS,))
    day = _day(demo_warehouse, f)
    figures = [d.type_chart(d.by_type(f, day, demo_warehouse)), d.domain_chart(d.by_domain(f, day, demo_warehouse)),
               d.area_chart(d.by_area(f, day, KAIYUAN, path=demo_warehouse), "乡镇(街道)", "开原市"),
               d.monthly_chart(d.monthly(f, day, path=demo_warehouse), "开原市 · 邻里纠纷"),
               d.source_chart(d.by_source(f, day, demo_warehouse)), d.level_chart(d.by_level(f, day, demo_warehouse)),
               d.group_petition_chart(d.group_petition_by_type(Filters(), day, demo_warehouse))]
    for fig in figures:
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert "开原市 · 邻里纠纷" in figures[3].layout.title.text
    monthly = d.monthly(f, day, path=demo_warehouse)
    assert list(figures[3].data[0].y) == monthly["受理案件数"].to_list()

    # filters that leave no case (an organisation type no case has): every chart says so instead of drawing
    none = Filters((KAIYUAN,), org_types=("不存在的组织类型",))
    assert d.case_count(none, day, path=demo_warehouse) == 0
    empties = [d.type_chart(d.by_type(none, day, demo_warehouse)),
               d.domain_chart(d.by_domain(none, day, demo_warehouse)),
               d.area_chart(d.by_area(none, day, path=demo_warehouse), "区县", "全市"),
               d.monthly_chart(d.monthly(none, day, path=demo_warehouse), "开原市"),
               d.source_chart(d.by_source(none, day, demo_warehouse)),
               d.level_chart(d.by_level(none, day, demo_warehouse)),
               d.group_petition_chart(d.group_petition_by_type(none, day, demo_warehouse))]
    for fig in empties:
        assert not fig.data and fig.layout.annotations[0].text.startswith("当前筛选条件下")
    assert d.kpis(none, day, demo_warehouse)["success_rate"] is None


def _metric(at, label):
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_page_answers_how_neighbour_disputes_developed_in_kaiyuan(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/disputes.py").run()
    assert not at.exception
    assert at.title[0].value == "纠纷分析"
    (n,), = fetch(demo_warehouse, "SELECT count(*) FROM marts.cases")
    assert _metric(at, "受理案件数") == f"{n:,} 件"
    assert not [m.label for m in at.metric if not m.proto.help]

    next(w for w in at.sidebar.multiselect if w.label == "区县").set_value([KAIYUAN]).run()
    next(w for w in at.sidebar.multiselect if w.label == "纠纷类型").set_value([NEIGHBOURS]).run()
    assert not at.exception
    f = Filters((KAIYUAN,), dispute_types=(NEIGHBOURS,))
    day = _day(demo_warehouse, f)
    (n, group, petition), = _one(demo_warehouse, f, """count(*), count(*) FILTER (WHERE people_involved >= 5),
        count(*) FILTER (WHERE is_petition)""")
    assert _metric(at, "受理案件数") == f"{n:,} 件"
    assert _metric(at, "调解成功率") == f"{metrics.result('mediation_success_rate', f, day, path=demo_warehouse)['value']:.1%}"
    assert _metric(at, "群体性纠纷") == f"{group:,} 件"
    assert _metric(at, "涉访案件") == f"{petition:,} 件"

    trend = next(fig for fig in (plotly.io.from_json(c.proto.spec) for c in at.get("plotly_chart"))
                 if "各月" in fig.layout.title.text)
    assert "开原市 · 邻里纠纷" in trend.layout.title.text
    by_month = dict(_one(demo_warehouse, f, "month(accepted_date), count(*)", "TRUE GROUP BY ALL"))
    # the bar labels (the y values arrive base64-packed in the spec): what the user reads, month by month
    assert list(trend.data[0].text) == [f"{by_month.get(m, 0):,}" for m in range(3, 13)]

    # one county in the sidebar: the drill-down starts at its townships; choose one, the list follows
    town_box = next(s for s in at.selectbox if s.label == "下钻到乡镇(街道)")
    town = d.by_area(f, day, KAIYUAN, path=demo_warehouse)["代码"][0]
    town_box.set_value(town).run()
    assert not at.exception
    (in_town,), = _one(demo_warehouse, f, "count(*)", "township_code = ?", [town])
    cases = next(t.value for t in at.dataframe if "案件编号" in t.value.columns)
    assert len(cases) == min(in_town, d.LIST_ROWS) and set(cases["乡镇(街道)"]) == {d.by_area(
        f, day, KAIYUAN, path=demo_warehouse)["名称"][0]}


def test_page_empty_filters_show_a_friendly_message(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/disputes.py").run()
    # a county and dispute type with no case in March, found in the data rather than assumed
    empty = fetch(demo_warehouse, """
        SELECT c.county_code, t.dispute_category_code FROM marts.dim_county c, marts.dim_dispute_type t
        WHERE NOT EXISTS (SELECT 1 FROM marts.cases k WHERE k.county_code = c.county_code
                          AND k.dispute_category_code = t.dispute_category_code AND accepted_month = DATE '2023-03-01')
        ORDER BY ALL LIMIT 1""")
    if not empty:
        pytest.skip("every county has a case of every type in March")
    (county, kind), = empty
    next(w for w in at.sidebar.multiselect if w.label == "区县").set_value([county]).run()
    next(w for w in at.sidebar.multiselect if w.label == "纠纷类型").set_value([kind]).run()
    at.select_slider(key="f_period").set_value(("2023-03", "2023-03")).run()
    assert not at.exception
    assert _metric(at, "受理案件数") == "0 件" and _metric(at, "调解成功率") == "—"
    assert any("没有案件" in i.value for i in at.info)
