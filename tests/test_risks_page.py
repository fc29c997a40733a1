"""风险预警: what the reports say checked against direct sums on the marts; the due, late and missing reports (indicator
11's own records, known answers on hand-built rows in test_metrics.py) checked for the missing-report rule on the
demo warehouse with reports taken out; and the page."""
from __future__ import annotations

import shutil
from datetime import date

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import metrics
from dashboard import risks as r
from dashboard.downloads import to_csv_bytes
from dashboard.filters import Filters, campaign_months
from tests.conftest import fetch
from tests.test_app import ENTRY

CHANGTU, QINGHE, KAIYUAN = "211224", "211204", "211282"
SUMS = ("screenings", "disputes_found", "high_risk_hazards", "medium_risk_hazards", "low_risk_hazards",
        "resolved", "under_control", "referred_to_police", "reported_to_party_government")


def _sums(path, county=None, start=date(2023, 3, 1), end=date(2023, 12, 1)):
    cond = "AND county_code = ?" if county else ""
    cols = ", ".join(f"coalesce(sum({c}), 0)" for c in SUMS)
    row = fetch(path, f"SELECT count(*), {cols} FROM marts.risk_reports WHERE report_month BETWEEN ? AND ? {cond}",
                [start, end, *([county] if county else [])])[0]
    return dict(zip(("reports", *SUMS), row))


def _due_date(month):
    return date(month.year + month.month // 12, month.month % 12 + 1, r.due_day())  # the rubric's day, next month


def _counts(k: dict) -> tuple[int, int, int, int]:
    return k["due"], k["on_time"], k["late"], k["missing"]


@pytest.fixture(scope="module")
def gappy_warehouse(demo_warehouse, tmp_path_factory):
    """The demo warehouse with three more reports taken out and one sent on 2023-07-20: two 昌图县 townships
    that had sent June's report miss it, one 清河区 township misses September (on top of the reports the
    simulator already leaves out)."""
    path = tmp_path_factory.mktemp("risks") / "warehouse.duckdb"
    shutil.copy(demo_warehouse, path)
    con = duckdb.connect(str(path))
    try:
        gone = con.execute("""
            DELETE FROM marts.risk_reports WHERE (report_month = DATE '2023-06-01' AND township_code IN
                  (SELECT township_code FROM marts.risk_reports WHERE county_code = $c
                   AND report_month = DATE '2023-06-01' ORDER BY 1 LIMIT 2))
               OR (report_month = DATE '2023-09-01' AND township_code =
                  (SELECT min(township_code) FROM marts.risk_reports WHERE county_code = $q
                   AND report_month = DATE '2023-09-01'))
            RETURNING township_code, report_month""", {"c": CHANGTU, "q": QINGHE}).fetchall()
        later = con.execute("""
            UPDATE marts.risk_reports SET submitted_date = DATE '2023-07-20'
            WHERE report_month = DATE '2023-05-01' AND township_code =
                  (SELECT min(township_code) FROM marts.risk_reports WHERE county_code = $k
                   AND report_month = DATE '2023-05-01' AND submitted_date <= DATE '2023-06-05')
            RETURNING township_code""", {"k": KAIYUAN}).fetchall()
    finally:
        con.close()
    assert len(gone) == 3 and len(later) == 1
    return path


@pytest.mark.parametrize("counties", [(), (CHANGTU,)])
def test_report_totals_and_breakdowns_match_direct_sql(demo_warehouse, counties):
    f = Filters(counties)
    want = _sums(demo_warehouse, *counties)
    got = r.totals(f, demo_warehouse)
    assert {k: got[k] for k in want} == want and want["reports"] > 0
    assert got["hazards"] == want["high_risk_hazards"] + want["medium_risk_hazards"] + want["low_risk_hazards"]
    by_month = r.hazards_by_month(f, metrics.as_of(f, demo_warehouse), demo_warehouse)
    assert [int(by_month[n].sum()) for n in ("高风险", "中风险", "低风险")] == \
        [want[c] for c in ("high_risk_hazards", "medium_risk_hazards", "low_risk_hazards")]
    by_county = r.outcomes_by_county(f, demo_warehouse)
    assert [int(by_county[n].sum()) for n in ("已化解", "稳控中", "移交公安", "上报党委政府")] == \
        [want[c] for c in ("resolved", "under_control", "referred_to_police", "reported_to_party_government")]
    assert set(by_county["区县代码"]) == ({CHANGTU} if counties else {c for (c,) in fetch(
        demo_warehouse, "SELECT DISTINCT county_code FROM marts.risk_reports")})


def test_period_and_township_filters_cut_the_reports(demo_warehouse):
    f = Filters(start=date(2023, 5, 1), end=date(2023, 6, 1))
    assert r.totals(f, demo_warehouse)["screenings"] == _sums(demo_warehouse, None, f.start, f.end)["screenings"]
    assert set(r.hazards_by_month(f, date(2023, 6, 30), demo_warehouse)["月份"]) == {date(2023, 5, 1), date(2023, 6, 1)}
    (town, n), = fetch(demo_warehouse, """SELECT township_code, count(*) FROM marts.risk_reports
                                         GROUP BY ALL ORDER BY township_code LIMIT 1""")
    one = Filters(townships=(town,))
    assert r.totals(one, demo_warehouse)["reports"] == n
    day = metrics.as_of(one, demo_warehouse)
    assert r.kpis(one, day, demo_warehouse)["due"] == sum(_due_date(m) <= day for m in campaign_months())


@pytest.mark.parametrize("counties, start, end", [((), date(2023, 3, 1), date(2023, 12, 1)),
                                                   ((CHANGTU,), date(2023, 3, 1), date(2023, 12, 1)),
                                                   ((), date(2023, 5, 1), date(2023, 7, 1))])
def test_every_township_and_month_due_is_counted_once(demo_warehouse, counties, start, end):
    f = Filters(counties, start, end)
    day = metrics.as_of(f, demo_warehouse)
    cond = "WHERE county_code = ?" if counties else ""
    (townships,), = fetch(demo_warehouse, f"SELECT count(*) FROM marts.dim_township {cond}", list(counties))
    months = sum(start <= m <= end and _due_date(m) <= day for m in campaign_months())
    k = r.kpis(f, day, demo_warehouse)
    assert k["due"] == townships * months > 0 and k["due"] == k["on_time"] + k["late"] + k["missing"]
    assert k["on_time_rate"] == pytest.approx(k["on_time"] / k["due"])
    grid = r.timeliness_grid(f, day, demo_warehouse)
    assert tuple(int(grid[c].sum()) for c in ("应报", "按期", "逾期", "未报")) == _counts(k)


def test_a_period_with_nothing_due_yet(demo_warehouse):
    f = Filters(start=date(2023, 3, 1), end=date(2023, 3, 1))  # March's reports fall due on 5 April
    day = metrics.as_of(f, demo_warehouse)
    k = r.kpis(f, day, demo_warehouse)
    assert (k["due"], k["on_time_rate"]) == (0, None) and k["reports"] > 0
    assert r.late_reports(f, day, demo_warehouse).is_empty()
    assert "尚无到期" in r.timeliness_chart(r.timeliness_by_county(f, day, demo_warehouse)).layout.annotations[0].text


def _missing(path, f, day):
    late = r.late_reports(f, day, path)
    return sorted(zip(*(late.filter(pl.col("状态") == "未报")[c] for c in ("区县", "乡镇", "统计月份"))))


def test_missing_reports_count_as_due_and_late(gappy_warehouse, demo_warehouse):
    f = Filters()
    day = metrics.as_of(f, gappy_warehouse)
    k = r.kpis(f, day, gappy_warehouse)
    base = r.kpis(f, day, demo_warehouse)
    assert k["missing"] == base["missing"] + 3 and k["due"] == base["due"]
    late = r.late_reports(f, day, gappy_warehouse)
    assert late.columns == ["区县", "乡镇", "统计月份", "应报日期", "报送日期", "逾期天数", "状态"]
    assert late.height == k["late"] + k["missing"]
    assert late["逾期天数"].to_list() == sorted(late["逾期天数"].to_list(), reverse=True)
    missing = late.filter(pl.col("状态") == "未报")
    added = sorted(set(_missing(gappy_warehouse, f, day)) - set(_missing(demo_warehouse, f, day)))
    assert [(c, m) for c, _, m in added] == [("昌图县", "2023年6月")] * 2 + [("清河区", "2023年9月")]
    assert set(_missing(demo_warehouse, f, day)) <= set(_missing(gappy_warehouse, f, day))
    assert set(missing["报送日期"]) == {"未报"}
    june = missing.filter((pl.col("统计月份") == "2023年6月") & pl.col("乡镇").is_in([t for _, t, _ in added]))
    assert set(june["逾期天数"]) == {(day - date(2023, 7, 5)).days}
    # the report sent on 2023-07-20 for May is late by 45 days over the whole year
    kaiyuan = r.late_reports(Filters((KAIYUAN,)), day, gappy_warehouse).filter(pl.col("报送日期") == "2023-07-20")
    assert kaiyuan.select("统计月份", "逾期天数", "状态").rows() == [("2023年5月", 45, "逾期")]
    # the county filter keeps only its own gaps
    changtu = r.kpis(Filters((CHANGTU,)), day, gappy_warehouse)
    assert changtu["missing"] == r.kpis(Filters((CHANGTU,)), day, demo_warehouse)["missing"] + 2
    assert changtu["due"] == r.kpis(Filters((CHANGTU,)), day, demo_warehouse)["due"]


def test_a_report_sent_after_the_as_of_date_is_still_missing_then(gappy_warehouse, demo_warehouse):
    f = Filters((KAIYUAN,), date(2023, 5, 1), date(2023, 6, 1))
    day = metrics.as_of(f, gappy_warehouse)
    assert day == date(2023, 6, 30)
    k = r.kpis(f, day, gappy_warehouse)
    assert k["missing"] == r.kpis(f, day, demo_warehouse)["missing"] + 1
    row = r.late_reports(f, day, gappy_warehouse).filter(pl.col("报送日期").str.contains("补报")).row(0, named=True)
    assert (row["统计月份"], row["逾期天数"], row["报送日期"]) == ("2023年5月", 25, "未报(2023-07-20 补报)")


def test_charts(demo_warehouse):
    f = Filters()
    day = metrics.as_of(f, demo_warehouse)
    hazards = r.hazards_chart(r.hazards_by_month(f, day, demo_warehouse))
    assert [t.name for t in hazards.data if t.type == "bar"] == ["高风险隐患", "中风险隐患", "低风险隐患"]
    # the simulator leaves some townships' reports out, so some months are marked as not all in
    assert hazards.layout.barmode == "stack" and hazards.data[0].x[0].startswith("3月")
    assert hazards.layout.xaxis.title.text == "统计月份(2023年)"
    outcomes = r.outcomes_chart(r.outcomes_by_county(f, demo_warehouse))
    assert [t.name for t in outcomes.data] == ["已化解", "稳控中", "移交公安", "上报党委政府"]
    by_county = r.timeliness_by_county(f, day, demo_warehouse)
    rate = r.timeliness_chart(by_county)
    assert rate.layout.shapes[0].y0 == 1.0  # the 100% target line
    assert list(rate.data[0].text) == [f"{v:.1%}" for v in by_county["按期报送率"]]
    grid = r.timeliness_grid(f, day, demo_warehouse)
    heat = r.timeliness_heatmap(grid)
    assert len(heat.data[0].y) == by_county.height and len(heat.data[0].x) == grid["月份"].n_unique()
    nothing = Filters(start=date(2023, 3, 1), end=date(2023, 3, 1))
    for fig in (r.hazards_chart(r.hazards_by_month(Filters(("000000",)), day, demo_warehouse)),
                r.outcomes_chart(r.outcomes_by_county(Filters(("000000",)), demo_warehouse)),
                r.timeliness_chart(r.timeliness_by_county(nothing, date(2023, 3, 31), demo_warehouse)),
                r.timeliness_heatmap(r.timeliness_grid(nothing, date(2023, 3, 31), demo_warehouse))):
        assert not fig.data and fig.layout.annotations[0].text.startswith(("当前筛选条件", "所选期间"))


def test_late_list_csv_has_a_bom_for_excel(gappy_warehouse):
    late = r.late_reports(Filters(), metrics.as_of(Filters(), gappy_warehouse), gappy_warehouse)
    raw = to_csv_bytes(late)
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "区县,乡镇,统计月份,应报日期,报送日期,逾期天数,状态" and len(lines) == late.height + 1


def _metric(at, label_start):
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_page_follows_the_county_filter(gappy_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(gappy_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/risks.py").run()
    assert not at.exception
    assert at.title[0].value == "风险预警"
    day = metrics.as_of(Filters(), gappy_warehouse)
    due, on_time, late, missing = _counts(r.kpis(Filters(), day, gappy_warehouse))
    assert _metric(at, "月报按期报送率") == f"{on_time / due:.1%}"
    assert _metric(at, "排查次数") == f"{_sums(gappy_warehouse)['screenings']:,} 次"
    (shown,) = [d.value for d in at.dataframe if "逾期天数" in d.value.columns]
    assert len(shown) == late + missing and (shown["状态"] == "未报").sum() == missing

    at.sidebar.multiselect[0].set_value([CHANGTU]).run()
    assert not at.exception
    due, on_time, late, missing = _counts(r.kpis(Filters((CHANGTU,)), day, gappy_warehouse))
    want = _sums(gappy_warehouse, CHANGTU)
    assert _metric(at, "月报按期报送率") == f"{on_time / due:.1%}"
    assert _metric(at, "风险隐患") == \
        f"{want['high_risk_hazards'] + want['medium_risk_hazards'] + want['low_risk_hazards']:,} 件"
    assert _metric(at, "已化解") == f"{want['resolved']:,} 件"
    (shown,) = [d.value for d in at.dataframe if "逾期天数" in d.value.columns]
    assert len(shown) == late + missing and set(shown["区县"]) == {"昌图县"}
    assert [b.proto.label for b in at.get("download_button")] == ["下载逾期或未报的月报(CSV)"]


def test_page_with_nothing_due_says_so(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.switch_page("../pages/risks.py").run()
    at.select_slider(key="f_period").set_value(("2023-03", "2023-03")).run()
    assert not at.exception
    assert _metric(at, "月报按期报送率") == "—"
    assert any("尚无到期" in i.value for i in at.info)
    assert _metric(at, "排查次数") == f"{_sums(demo_warehouse, None, date(2023, 3, 1), date(2023, 3, 1))['screenings']:,} 次"
