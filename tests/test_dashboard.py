"""Dashboard functions without Streamlit: filters, queries against the warehouse, downloads byte for byte."""
from __future__ import annotations

import io
from datetime import date


from tests.conftest import fetch
import polars as pl
import pytest

from dashboard import charts, metrics, queries
from dashboard.downloads import to_csv_bytes, to_xlsx_bytes
from dashboard.filters import Filters
from warehouse.rubric import default_rubric

KAIYUAN = "211282"


def test_filters_round_trip_through_the_url():
    f = Filters(("211224", KAIYUAN), date(2023, 4, 1), date(2023, 6, 1))
    params = f.to_params()
    assert params == {"county": "211224,211282", "from": "2023-04", "to": "2023-06"}
    assert Filters.from_params(params, {"211224", KAIYUAN}) == f
    assert Filters().to_params() == {}


@pytest.mark.parametrize("params", [{"county": "999999"}, {"from": "2023-13"}, {"from": "2023-09", "to": "2023-04"},
                                    {"from": "2022-01"}, {"asof": "2024-02-01"}, {"asof": "昨天"}])
def test_bad_url_values_fall_back_to_defaults_and_are_named(params):
    f = Filters.from_params(params, {KAIYUAN})
    assert f == Filters() and f.rejected  # the page says which value it could not use


def test_an_as_of_day_in_the_url_is_the_period_end():
    f = Filters.from_params({"asof": "2023-06-20", "from": "2023-04"}, {KAIYUAN})
    assert (f.start, f.end, f.asof, f.last_day) == (date(2023, 4, 1), date(2023, 6, 1), date(2023, 6, 20),
                                                    date(2023, 6, 20))
    assert f.to_params() == {"from": "2023-04", "to": "2023-06", "asof": "2023-06-20"}
    assert Filters.from_params(f.to_params(), {KAIYUAN}) == f




def test_kpis_count_the_cases_accepted_in_the_period(demo_warehouse):
    f = Filters((KAIYUAN,), date(2023, 4, 1), date(2023, 9, 1))
    day = metrics.as_of(f, demo_warehouse)
    k = queries.kpis(f, day, demo_warehouse)
    (accepted,), = fetch(demo_warehouse, """
        SELECT count(*) FROM marts.cases WHERE county_code = ? AND accepted_date BETWEEN DATE '2023-04-01' AND ?""",
                         [KAIYUAN, day])
    assert k["accepted"] == accepted > 0
    # the rates are the indicators' own (tested on hand-built rows in test_metrics.py), over the same filters
    success = metrics.result("mediation_success_rate", f, day, path=demo_warehouse)
    assert (k["closed"], k["succeeded"], k["success_rate"]) == (success["denominator"], success["numerator"],
                                                                 success["value"])
    assert k["entry_rate"] == metrics.result("entry_rate", f, day, path=demo_warehouse)["value"]


def test_city_kpis_cover_every_county(demo_warehouse):
    day = metrics.as_of(Filters(), demo_warehouse)
    all_cases = queries.kpis(Filters(), day, demo_warehouse)["accepted"]
    per_county = sum(queries.kpis(Filters((c,)), day, demo_warehouse)["accepted"]
                     for c in queries.counties(demo_warehouse)["county_code"])
    assert all_cases == per_county == fetch(demo_warehouse, "SELECT count(*) FROM marts.cases WHERE accepted_date <= ?",
                                            [day])[0][0]


def test_entry_rate_table_and_chart(demo_warehouse):
    day = metrics.as_of(Filters(), demo_warehouse)
    table = queries.entry_rate_by_county(Filters(), day, demo_warehouse)
    assert table.height == 7
    assert table["录入率"].to_list() == sorted(table["录入率"].to_list(), reverse=True)
    target = default_rubric().indicators["entry_rate"].target
    fig = charts.entry_rate_by_county(table, target)
    assert fig.layout.title.text.startswith("各区县人民调解案件录入率")
    assert list(fig.data[0].x) == table["区县"].to_list()
    # under a dispute-type filter the rate has no denominator (the paper report has no type): none shown
    assert queries.entry_rate_by_county(Filters(dispute_types=("02",)), day, demo_warehouse).is_empty()


def test_cases_by_type_and_trend(demo_warehouse):
    day = metrics.as_of(Filters(), demo_warehouse)
    types = queries.cases_by_type(Filters(), day, demo_warehouse)
    assert types["占比"].sum() == pytest.approx(1.0)
    assert types["纠纷类型"][0] == "邻里纠纷"  # the largest category in published reports
    trend = queries.monthly_trend(Filters(), day, demo_warehouse)
    assert trend["月份"].to_list() == [date(2023, m, 1) for m in range(3, 13)]
    assert trend["系统录入案件数"].sum() == queries.kpis(Filters(), day, demo_warehouse)["accepted"]
    # the last month is not complete at the as-of date: marked, not shown as a drop
    assert not trend["完整"][-1] and trend["完整"][0]
    fig = charts.monthly_trend(trend)
    assert fig.data[0].x[-1].endswith(charts.INCOMPLETE) and "未完" in fig.layout.title.subtitle.text


def test_empty_filter_gives_friendly_empty_charts():
    empty = pl.DataFrame(schema={"纠纷类型": pl.String, "案件数": pl.Int64, "占比": pl.Float64})
    fig = charts.cases_by_type(empty)
    assert fig.layout.annotations[0].text == "当前筛选条件下没有数据"


def test_csv_download_bytes():
    frame = pl.DataFrame({"区县": ["昌图县", "开原市"], "录入率": [0.5, None], "系统录入案件数": [1, 2]})
    assert to_csv_bytes(frame) == (b"\xef\xbb\xbf" + "区县,录入率,系统录入案件数\r\n昌图县,0.5,1\r\n开原市,,2\r\n"
                                   .encode("utf-8"))


def test_xlsx_download_opens_with_numbers_as_numbers():
    import openpyxl

    frame = pl.DataFrame({"区县": ["昌图县"], "系统录入案件数": [1234], "录入率": [0.875]})
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame, "标题", "2023年3月至2023年12月", ("录入率",))))
    ws = wb.active
    assert (ws["A1"].value, ws["A2"].value) == ("标题", "2023年3月至2023年12月")
    assert [c.value for c in ws[4]] == ["区县", "系统录入案件数", "录入率"]
    assert [c.value for c in ws[5]] == ["昌图县", 1234, 0.875]
    assert ws["C5"].number_format == "0.0%" and ws.freeze_panes == "A5"


def test_case_history_shows_every_version_with_its_file(demo_warehouse):
    (case_id,), = fetch(demo_warehouse, "SELECT case_id FROM marts.cases WHERE versions_loaded > 1 "
                                          "AND outcome <> '调解中' ORDER BY case_id LIMIT 1")
    history = queries.case_history(case_id, demo_warehouse)
    assert history.height >= 2 and history["当前版本"].to_list()[-1] is True
    assert history["调解结果"][0] == "调解中" and history["调解结果"][-1] != "调解中"
    assert history["来源文件"][0] != history["来源文件"][-1]
    assert "outcome" in history["变化字段"][-1]


def test_a_small_count_axis_ticks_whole_numbers():
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=["甲", "乙"], y=[1, 3]))
    fig.update_yaxes(tickformat=",d")
    assert charts._layout(fig, "t").layout.yaxis.dtick == 1
    big = go.Figure(go.Bar(x=["甲", "乙"], y=[10, 300]))
    big.update_yaxes(tickformat=",d")
    assert charts._layout(big, "t").layout.yaxis.dtick is None  # plotly's own ticks are whole numbers there
    stacked = go.Figure([go.Bar(x=["甲"], y=[4]), go.Bar(x=["甲"], y=[4])])
    stacked.update_layout(barmode="stack")
    stacked.update_yaxes(tickformat=",d")
    assert charts._layout(stacked, "t").layout.yaxis.dtick == 2  # the stack reaches 8
