"""The pages' numbers on a tiny hand-built warehouse with known answers.

Every rate a page shows that is a scoring indicator comes from the scoring's records (warehouse.metrics), cut by the
sidebar's filters and summed at the page's grain. Each test states the rows (in `warehouse` below) and the exact
figure a person computes from them by the rubric's rules — not a second SQL query to agree with.
"""
from __future__ import annotations

from datetime import date

import pytest

from dashboard import disputes, metrics, organisations, overview, queries, risks, verification
from dashboard.filters import Filters
from tests.handbuilt import HONGQI, KAIYUAN, QINGHE, XIANGYANG, small_campaign
from warehouse.metrics import NotCuttable

NEIGHBOURS = "02"                # 邻里纠纷
QINGHE_TOWNSHIPS = 5             # 红旗, 向阳, 张相, 杨木林子, 聂家 (warehouse/reference)
APRIL_END, MAY_END = date(2023, 4, 30), date(2023, 5, 31)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return small_campaign(tmp_path_factory.mktemp("handbuilt") / "warehouse.duckdb")


QH = Filters((QINGHE,))


# --- 总览's cases: counts by 受理日期, the indicators by their own dates -------------------------------------------

def test_case_cards(warehouse):
    k = queries.kpis(QH, APRIL_END, warehouse)
    assert k["accepted"] == 4                                   # C1–C4 accepted by 04-30
    assert (k["closed"], k["succeeded"]) == (3, 2)              # mediated by 04-30: C1, C2, C3; successful C1, C3
    assert k["success_rate"] == pytest.approx(2 / 3)
    assert (k["entered"], k["reported"], k["entry_rate"]) == (4, 6, pytest.approx(4 / 6))


def test_a_township_cuts_cases_and_both_indicators(warehouse):
    k = queries.kpis(Filters((QINGHE,), townships=(HONGQI,)), APRIL_END, warehouse)
    assert (k["accepted"], k["closed"], k["succeeded"]) == (2, 2, 1)
    assert (k["entered"], k["reported"]) == (2, 4)


def test_a_month_cuts_by_each_records_own_date(warehouse):
    april = Filters((QINGHE,), date(2023, 4, 1), date(2023, 4, 1))
    k = queries.kpis(april, APRIL_END, warehouse)
    assert k["accepted"] == 2                                   # accepted in April: C3, C4
    assert (k["closed"], k["succeeded"]) == (2, 1)              # mediated in April: C2 (unsuccessful), C3
    assert (k["entered"], k["reported"]) == (2, 2)


def test_a_dispute_type_leaves_the_entry_rate_undefined(warehouse):
    k = queries.kpis(Filters((QINGHE,), dispute_types=(NEIGHBOURS,)), APRIL_END, warehouse)
    assert k["accepted"] == 3 and (k["closed"], k["succeeded"]) == (2, 2)
    assert k["entry_rate"] is None and k["reported"] is None   # the paper report has no dispute type
    assert metrics.refused("entry_rate", Filters(dispute_types=(NEIGHBOURS,))) == ["纠纷类型"]


def test_a_value_is_never_cut_where_numerator_and_denominator_part(warehouse):
    township = Filters((QINGHE,), townships=(HONGQI,))
    for key in ("app_registration_rate", "center_build"):  # population and the county centre are the county's
        with pytest.raises(NotCuttable):
            metrics.results(key, township, APRIL_END, path=warehouse)
    with pytest.raises(NotCuttable):                           # nor grouped that way
        metrics.results("entry_rate", QH, APRIL_END, ("org_name",), path=warehouse)


def test_entry_rate_by_county_and_month_trend(warehouse):
    table = queries.entry_rate_by_county(Filters((QINGHE, KAIYUAN)), APRIL_END, warehouse)
    assert table.select("区县", "系统录入案件数", "月报受理案件数", "状态").rows() == [
        ("清河区", 4, 6, "未达标"), ("开原市", 1, 0, "数据缺失")]
    trend = queries.monthly_trend(Filters((QINGHE,), date(2023, 3, 1), date(2023, 5, 1)), APRIL_END, warehouse)
    assert trend.select("系统录入案件数", "月报受理案件数").rows() == [(2, 4), (2, 2), (0, 0)]
    # at 04-30 March is complete (its reports were due 04-05) but its reports are not all in: 1 of 5 townships
    assert trend["完整"].to_list() == [False, False, False]


# --- 纠纷分析 ---------------------------------------------------------------------------------------------------

def test_disputes_by_type_level_and_month(warehouse):
    by_type = disputes.by_type(QH, APRIL_END, warehouse)
    assert by_type.select("纠纷类型", "受理案件数", "调结案件数", "调解成功数").rows() == [
        ("邻里纠纷", 3, 2, 2), ("婚姻家庭纠纷", 1, 1, 0)]
    levels = disputes.by_level(QH, APRIL_END, warehouse)
    assert levels.select("导出值", "调结案件数").rows() == [("村(社区)", 1), ("乡镇(街道)", 1), ("县(市、区)", 1), ("市", 0)]
    k = disputes.kpis(QH, APRIL_END, warehouse)
    assert k["local_rate"] == pytest.approx(2 / 3) and k["village_rate"] == pytest.approx(1 / 3)
    assert k["group_cases"] == 1                                # C4: 6 people
    monthly = disputes.monthly(QH, APRIL_END, path=warehouse)
    march, april = monthly.row(0, named=True), monthly.row(1, named=True)
    assert (march["受理案件数"], march["调结案件数"], march["调解成功数"]) == (2, 1, 1)   # C1 mediated in March
    assert (april["受理案件数"], april["调结案件数"], april["调解成功数"]) == (2, 2, 1)   # C2, C3 in April
    area = disputes.by_area(QH, APRIL_END, QINGHE, path=warehouse)
    hongqi = area.filter(area["代码"] == HONGQI).row(0, named=True)
    assert (hongqi["受理案件数"], hongqi["调结案件数"], hongqi["调解成功率"]) == (2, 2, 0.5)


# --- 核查与帮教 -------------------------------------------------------------------------------------------------

def test_verification_rates_and_overdue_tasks(warehouse):
    k = verification.kpis(QH, APRIL_END, warehouse)
    # due at 04-30 (issued by 03-31, the 30-day window): T1, T2; verified T1, successfully
    assert (k["tasks"], k["verified"], k["succeeded"]) == (2, 1, 1)
    assert k["verification_rate"] == 0.5 and k["success_rate"] == 1.0
    overdue = verification.overdue(QH, APRIL_END, warehouse)
    assert overdue.select("核查编号", "超期天数").rows() == [("T2", 21)]   # 04-30 − 03-10 − 30
    months = verification.rates_by_month(QH, MAY_END, warehouse)   # due at 05-31: issued by 05-01, all four
    assert months.select("下发月份", "应核查任务数", "已核查任务数", "完整").rows() == [
        (date(2023, 3, 1), 2, 1, True), (date(2023, 4, 1), 2, 1, True)]


# --- 组织与队伍 -------------------------------------------------------------------------------------------------

def test_points_training_centres_and_offices(warehouse):
    points = organisations.point_months(QH, APRIL_END, warehouse)   # full months from April ending by 04-30: April
    assert sorted(points.select("org_id", "month", "active", "has_full_time").rows()) == [
        ("P1", date(2023, 4, 1), True, True), ("P2", date(2023, 4, 1), False, False)]
    assert organisations.point_rate(QH, APRIL_END, warehouse)["value"] == 0.5
    last, idle = organisations.inactive_points(QH, APRIL_END, warehouse)
    assert last == date(2023, 4, 1) and idle.select("组织编码", "专职调解员").rows() == [("P2", "无")]
    team = organisations.mediators_by_county(QH, APRIL_END, warehouse).row(0, named=True)
    assert (team["调解员数"], team["专职调解员数"], team["已培训人数"], team["培训覆盖率"]) == (2, 1, 1, 0.5)
    centres = organisations.centres(QH, APRIL_END, warehouse)
    county = centres.filter(centres["层级"] == "县级").row(0, named=True)
    assert (county["中心名称"], county["状态"]) == ("清河区中心", "⏳ 未到期")    # built 06-01, due 06-20
    late = organisations.centres(QH, date(2023, 12, 31), warehouse)
    assert late.filter(late["乡镇(街道)"] == "红旗街道")["状态"].item() == "✅ 按期达标"
    offices = organisations.star_offices(QH, date(2023, 12, 31), warehouse).row(0, named=True)
    assert (offices["司法所数"], offices["计划按期数"], offices["材料按期数"], offices["均按期数"]) == (2, 1, 1, 1)


# --- 风险预警 ---------------------------------------------------------------------------------------------------

def test_risk_reports_due_late_and_missing(warehouse):
    k = risks.kpis(QH, MAY_END, warehouse)
    # due by 05-31: every township for March (04-05) and April (05-05)
    assert (k["due"], k["on_time"], k["late"], k["missing"]) == (2 * QINGHE_TOWNSHIPS, 1, 1, 2 * QINGHE_TOWNSHIPS - 2)
    assert k["on_time_rate"] == pytest.approx(1 / (2 * QINGHE_TOWNSHIPS))
    one = Filters((QINGHE,), townships=(XIANGYANG,))
    late = risks.late_reports(one, MAY_END, warehouse)
    assert late.select("统计月份", "状态", "逾期天数").rows() == [("2023年4月", "未报", 26), ("2023年3月", "逾期", 3)]
    assert risks.complete_months(QH, MAY_END, warehouse) == set()   # no month has every township's report


# --- 总览's timeline: indicator 11's milestone records ----------------------------------------------------------

def test_milestones_name_the_late_counties(warehouse):
    both = Filters((QINGHE, KAIYUAN))
    ms = overview.milestones(both, APRIL_END, warehouse)
    due = ms.filter(ms["状态"] == "已到期")
    assert due.select("节点", "按期完成区县数", "区县数", "逾期区县").rows() == [
        ("工作专班及落实举措", 2, 2, ""),                     # 03-18: both on time (清河区 on the day)
        ("司法所创建计划", 0, 2, "清河区(逾期5天)、开原市(未完成)")]  # 03-20: 清河区 on 03-25, 开原市 never
    assert ms.filter(ms["状态"] == "未到期")["逾期区县"].to_list() == [""] * 4
