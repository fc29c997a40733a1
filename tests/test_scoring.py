"""Year-end scoring on tiny hand-built warehouses with known answers.

Rows go into the landing tables as the ETL leaves them (contract column names, place codes, `_file_seq` = order of
the files received), `build_models` builds the marts, and `score()` / `trace()` run the scoring SQL on the
in-memory warehouse. Each test states the rows, then the exact numerator, denominator, points and marks that
scoring.md gives for them, including the edge cases it names.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from fractions import Fraction

import duckdb
import pytest

from warehouse.scoring import (CountyScore, ScoringError, default_as_of, indicator_result, rank_counties, score)
from warehouse.trace import trace

from tests.handbuilt import (DIAOBINGSHAN, HONGQI, KAIYUAN, KAIYUAN_TOWN, KAIYUAN_TOWNSHIPS, NIEJIA,  # noqa: F401
                             QINGHE, XIANGYANG, YANGMULINZI, ZHANGXIANG, build, case, centre, incident, mediator,
                             office, org, person, registration, report, risk, rubric_with, submission, task)


def got(card, county, key):
    """(numerator, denominator, value, points, met, mark) of one indicator of one county."""
    r = card.county(county).indicators[key]
    return (r.numerator, r.denominator, r.value, r.points, r.met, r.mark)


def ids(frame):
    return frame["record_id"].to_list()


# --- 1 entry_rate ---------------------------------------------------------------------------------------------

def test_entry_rate_cases_in_the_period_over_reported_cases_of_the_period_months():
    con = build(
        mediation_case=[
            case("A", date(2023, 3, 1)),                                   # the period's first day
            case("B", date(2023, 6, 30)),                                  # the as-of date
            case("C", date(2023, 2, 28)),                                  # before the period
            case("D", date(2023, 7, 1)),                                   # after the as-of date
            case("E", date(2023, 5, 10), entered=datetime(2023, 5, 11), row=3),
            case("E", date(2023, 7, 2), entered=datetime(2023, 7, 3), seq=2),   # corrected: now after as-of
            case("F", date(2023, 5, 1), entered=datetime(2023, 5, 1), row=4),
            case("F", date(2023, 5, 1), entered=datetime(2023, 5, 2), seq=2, row=3),  # updated: counts once
            case("G", date(2023, 4, 1), county=KAIYUAN),                   # no report at all in 开原
            *[case(f"H{i}", date(2023, 4, 1), county=DIAOBINGSHAN) for i in range(3)]],
        monthly_case_report=[
            report(HONGQI, date(2023, 3, 1), 2),
            report(HONGQI, date(2023, 6, 1), 1, row=3),                   # the as-of date's month counts
            report(HONGQI, date(2023, 7, 1), 9, row=4),                   # a later month does not
            report(XIANGYANG, date(2023, 2, 1), 7, row=5),                # before the period months
            report(XIANGYANG, date(2023, 4, 1), 5, row=6),
            report(XIANGYANG, date(2023, 4, 1), 1, seq=2),                # corrected in a later file
            report("211281001", date(2023, 4, 1), 2, county=DIAOBINGSHAN)])
    card = score(con, as_of=date(2023, 6, 30))
    # 3 cases (A, B, F) ÷ 4 reported (2 + 1 + 1); 15 × min(1, 0.75 ÷ 0.9) = 12.5
    assert got(card, QINGHE, "entry_rate") == (3, 4, Fraction(3, 4), Fraction(25, 2), False, None)
    assert "人民调解案件录入率 75%(3/4)低于目标 90%" in card.county(QINGHE).notice_reasons
    # denominator 0: value empty, 0 points, a data gap, and not "below target"
    assert got(card, KAIYUAN, "entry_rate") == (1, 0, None, 0, None, "数据缺失")
    assert not any("录入率" in r for r in card.county(KAIYUAN).notice_reasons)
    # above 1: kept as measured, marked, points capped at the weight, not below target
    assert got(card, DIAOBINGSHAN, "entry_rate") == (3, 2, Fraction(3, 2), 15, True, "数据异常")
    assert not any("录入率" in r for r in card.county(DIAOBINGSHAN).notice_reasons)

    t = trace(con, "清河区", "entry_rate", as_of=date(2023, 6, 30))
    assert ids(t.numerator) == ["A", "B", "F"]
    assert ids(t.denominator) == ["向阳街道 2023-04", "红旗街道 2023-03", "红旗街道 2023-06"]
    assert t.denominator["den_amount"].to_list() == [1, 2, 1]
    assert (t.numerator_total, t.denominator_total) == (3, 4)


# --- 2, 3 verification_rate, verification_success_rate ---------------------------------------------------------

VERIFICATION_TASKS = [
    task("T1", date(2023, 3, 1), "已核查", "核查成功", date(2023, 3, 10)),
    task("T2", date(2023, 5, 31), "已核查", "查无此人", date(2023, 6, 10), row=3),  # exactly 30 days before as-of
    task("T3", date(2023, 6, 1), "已核查", "核查成功", date(2023, 6, 5), row=4),    # 29 days: not yet received
    task("T4", date(2023, 2, 27), "已核查", "核查成功", date(2023, 3, 2), row=5),   # before the period
    task("T5", date(2023, 4, 1), "已核查", "核查成功", date(2023, 7, 5), row=6),    # feedback after as-of
    task("T6", date(2023, 4, 2), row=7),                                            # not verified
    task("T7", date(2023, 4, 10), row=8),
    task("T7", date(2023, 4, 10), "已核查", "核查成功", date(2023, 4, 20), seq=2),  # verified in a later export
]


def test_verification_rate_and_success_rate_with_the_30_day_window():
    con = build(inmate_verification=VERIFICATION_TASKS)
    card = score(con, as_of=date(2023, 6, 30))
    # received: T1 T2 T5 T6 T7; verified by as-of: T1 T2 T7 → 10 × (3/5 ÷ 0.9) = 6.67
    assert got(card, QINGHE, "verification_rate") == (3, 5, Fraction(3, 5), Fraction(667, 100), False, None)
    # of the verified T1 T2 T7, successful: T1 T7 → 10 × (2/3 ÷ 0.9) = 7.41
    assert got(card, QINGHE, "verification_success_rate") == (2, 3, Fraction(2, 3), Fraction(741, 100), False, None)
    # no task: not applicable, full points, no notice
    assert got(card, KAIYUAN, "verification_rate") == (0, 0, None, 10, None, "不适用")
    assert got(card, KAIYUAN, "verification_success_rate") == (0, 0, None, 10, None, "不适用")
    assert not any("核查" in r for r in card.county(KAIYUAN).notice_reasons)

    t = trace(con, QINGHE, "verification_rate", as_of=date(2023, 6, 30))
    assert ids(t.numerator) == ["T1", "T2", "T7"] and ids(t.denominator) == ["T1", "T2", "T5", "T6", "T7"]
    t = trace(con, QINGHE, "verification_success_rate", as_of=date(2023, 6, 30))
    assert ids(t.numerator) == ["T1", "T7"] and ids(t.denominator) == ["T1", "T2", "T7"]

    # the window is the rubric's: with 0 days T3 counts too
    card = score(con, as_of=date(2023, 6, 30), rubric=rubric_with(**{"indicators.verification_rate.window_days": 0}))
    assert got(card, QINGHE, "verification_rate")[:2] == (4, 6)


# --- 4 app_registration_rate ----------------------------------------------------------------------------------

def test_app_registration_rate_latest_cumulative_count_per_township_over_population():
    con = build(app_registration=[
        registration(HONGQI, date(2023, 5, 31), 4000),
        registration(HONGQI, date(2023, 6, 30), 5000, row=3),
        registration(HONGQI, date(2023, 6, 30), 5400, seq=2),             # corrected in a later file
        registration(HONGQI, date(2023, 7, 31), 9000, row=4),             # after as-of
        registration(XIANGYANG, date(2023, 6, 15), 3069, row=5),
        registration(ZHANGXIANG, date(2023, 7, 1), 100, row=6),           # none by as-of: counts 0
        registration(KAIYUAN_TOWN, date(2023, 6, 1), 50000, county=KAIYUAN)])
    con.execute("UPDATE marts.dim_county SET population = NULL WHERE county_code = ?", [KAIYUAN])
    card = score(con, as_of=date(2023, 6, 30))
    # (5400 + 3069) ÷ 84693 (清河区, census 2020) = 9.99964%: points 10 × 0.99996 round to 10.00, but below target
    n, d, value, points, met, mark = got(card, QINGHE, "app_registration_rate")
    assert (n, d, value, points, met, mark) == (8469, 84693, Fraction(8469, 84693), 10, False, None)
    assert "慧评理注册使用率 9.9996%(8469/84693)低于目标 10%" in card.county(QINGHE).notice_reasons
    # no population: a data gap, 0 points
    assert got(card, KAIYUAN, "app_registration_rate") == (50000, 0, None, 0, None, "数据缺失")
    t = trace(con, "清河区", "app_registration_rate", as_of=date(2023, 6, 30))
    assert t.numerator.select("record_id", "stat_date", "num_amount").rows() == [
        ("向阳街道", date(2023, 6, 15), 3069), ("红旗街道", date(2023, 6, 30), 5400)]
    assert t.denominator.select("record_id", "den_amount").rows() == [("清河区", 84693)]


# --- 5 point_monthly_rate -------------------------------------------------------------------------------------

def test_point_monthly_rate_full_months_points_founded_before_the_month_full_time_mediators():
    con = build(
        mediation_org=[org("P1"), org("P2", founded=date(2023, 4, 10), row=3),
                       org("P3", founded=date(2023, 5, 1), row=4),       # not before May starts: from June
                       org("C1", org_type="村(居)调委会", row=5),
                       org("P4", county=KAIYUAN, town=KAIYUAN_TOWN, founded=date(2023, 7, 1), row=6)],
        mediator=[mediator("M1", "P1"), mediator("M2", "P1", kind="兼职", row=3), mediator("M3", "P2", row=4),
                  mediator("M4", "C1", row=5), mediator("M5", "P3", row=6)],
        mediation_case=[
            case("c1", date(2023, 4, 3), mediator="M1"),                  # (P1, April): met
            case("c2", date(2023, 5, 20), mediator="M2"),                 # (P1, May): part-time only
            case("c3", date(2023, 5, 2), mediator="M3"),                  # (P2, May): met
            case("c4", date(2023, 4, 20), mediator="M3"),                 # P2 not yet a point in April
            case("c5", date(2023, 6, 1), mediator="M1"),                  # June is not a full month yet
            case("c6", date(2023, 5, 5), mediator="M4"),                  # not a 评理说事点
            case("c7", date(2023, 5, 6), mediator="M5")])                 # P3 has no May
    card = score(con, as_of=date(2023, 6, 15))
    # pairs (P1, 04) (P1, 05) (P2, 05); met (P1, 04) (P2, 05) → 10 × 2/3 = 6.67
    assert got(card, QINGHE, "point_monthly_rate") == (2, 3, Fraction(2, 3), Fraction(667, 100), False, None)
    t = trace(con, QINGHE, "point_monthly_rate", as_of=date(2023, 6, 15))
    assert t.denominator.select("record_id", "qualifying_cases").rows() == [
        ("P1 2023-04", ["c1"]), ("P1 2023-05", None), ("P2 2023-05", ["c3"])]
    assert ids(t.numerator) == ["P1 2023-04", "P2 2023-05"]
    # 开原's point was founded in July: no pair, not applicable, full points
    assert got(card, KAIYUAN, "point_monthly_rate") == (0, 0, None, 10, None, "不适用")
    # no full month yet on 04-29; April is full on its last day
    assert got(score(con, as_of=date(2023, 4, 29)), QINGHE, "point_monthly_rate") == (0, 0, None, 10, None, "不适用")
    assert got(score(con, as_of=date(2023, 4, 30)), QINGHE, "point_monthly_rate") == (1, 1, 1, 10, True, None)


# --- 6 center_build -------------------------------------------------------------------------------------------

def test_center_build_mean_of_county_and_township_halves_with_deadlines_moved_to_as_of():
    con = build(resolution_center=[
        centre("县中心", "县级", None, built=date(2023, 6, 20)),                          # on the deadline
        centre("红旗中心", "乡镇级", HONGQI, opened=datetime(2023, 9, 20, 10, 0), row=3),  # a datetime that day
        centre("向阳中心", "乡镇级", XIANGYANG, opened=date(2023, 9, 1), staff=1, row=4),  # one mediator short
        centre("张相中心", "乡镇级", ZHANGXIANG, opened=date(2023, 9, 21), staff=3, row=5),  # a day late
        centre("杨木林子中心甲", "乡镇级", YANGMULINZI, opened=date(2023, 9, 25), row=6),
        centre("杨木林子中心乙", "乡镇级", YANGMULINZI, opened=date(2023, 9, 5), row=7)])  # one of two suffices
    card = score(con, as_of=date(2023, 12, 31))
    r = card.county(QINGHE).indicators["center_build"]
    assert r.parts == {"county": (1, 1), "township": (2, 5)}       # 聂家满族乡 has no centre
    # value (1 + 2/5) ÷ 2 = 0.7; points = weight × value = 7
    assert (r.numerator, r.denominator, r.value, r.points, r.met) == (Fraction(7, 5), 2, Fraction(7, 10), 7, False)
    assert "调处化解中心建设 70%(县级中心 1/1,乡镇中心 2/5)低于目标 100%" in card.county(QINGHE).notice_reasons
    assert card.county(KAIYUAN).indicators["center_build"].parts == {"county": (0, 1), "township": (0, KAIYUAN_TOWNSHIPS)}
    assert card.county(KAIYUAN).indicators["center_build"].points == 0
    # on 09-10 the township deadline is 09-10: only 杨木林子中心乙 (09-05) is open by then
    r = score(con, as_of=date(2023, 9, 10)).county(QINGHE).indicators["center_build"]
    assert (r.parts["township"], r.value, r.points) == ((1, 5), Fraction(3, 5), 6)
    # on 06-19 the county deadline is 06-19 and the centre built on 06-20 is not counted
    r = score(con, as_of=date(2023, 6, 19)).county(QINGHE).indicators["center_build"]
    assert (r.parts, r.value, r.points) == ({"county": (0, 1), "township": (0, 5)}, 0, 0)

    t = trace(con, QINGHE, "center_build", as_of=date(2023, 12, 31))
    assert t.denominator.select("part", "record_id").rows() == [
        ("county", "清河区"), ("township", "向阳街道"), ("township", "张相镇"), ("township", "杨木林子镇"),
        ("township", "红旗街道"), ("township", "聂家满族乡")]
    assert t.numerator.select("record_id", "qualifying_centres").rows() == [
        ("清河区", ["县中心"]), ("杨木林子镇", ["杨木林子中心乙"]), ("红旗街道", ["红旗中心"])]
    assert (t.numerator_total, t.denominator_total) == (1.4, 2)


# --- 7 star_office --------------------------------------------------------------------------------------------

def test_star_office_both_reports_on_time_deadlines_moved_to_as_of():
    con = build(judicial_office=[
        office("A所", date(2023, 3, 20), date(2023, 6, 20)),                    # both on the deadline
        office("B所", date(2023, 3, 21), date(2023, 6, 1), row=3),              # plan a day late
        office("C所", date(2023, 3, 1), None, row=4),                           # no evidence: not on time
        office("D所", date(2023, 3, 1), datetime(2023, 6, 20, 15, 30), row=5),  # a datetime on the deadline day
        office("E所", date(2023, 3, 1), date(2023, 4, 15), row=6)])
    assert got(score(con, as_of=date(2023, 12, 31)), QINGHE, "star_office") == (3, 5, Fraction(3, 5), 3, False, None)
    # on 05-01 the evidence deadline is 05-01: only E所
    assert got(score(con, as_of=date(2023, 5, 1)), QINGHE, "star_office")[:4] == (1, 5, Fraction(1, 5), 1)
    # on 03-15 both deadlines are 03-15: nobody has sent the evidence yet
    assert got(score(con, as_of=date(2023, 3, 15)), QINGHE, "star_office")[:4] == (0, 5, 0, 0)
    # a county with no judicial office in the export
    assert got(score(con, as_of=date(2023, 12, 31)), KAIYUAN, "star_office") == (0, 0, None, 5, None, "不适用")
    t = trace(con, QINGHE, "star_office", as_of=date(2023, 12, 31))
    assert ids(t.numerator) == ["A所", "D所", "E所"]


# --- 8, 9 local_resolution_rate, mediation_success_rate -------------------------------------------------------

def test_local_resolution_and_mediation_success_of_closed_cases_mediated_in_the_period():
    con = build(mediation_case=[
        case("k1", date(2023, 3, 25), outcome="调解成功", mediated=date(2023, 4, 1), level="村(社区)"),
        case("k2", date(2023, 4, 25), outcome="调解不成功", mediated=date(2023, 5, 1), level="乡镇(街道)"),
        case("k3", date(2023, 4, 26), outcome="调解不成功", mediated=date(2023, 5, 2), level="县(市、区)"),
        case("k4", date(2023, 6, 1), outcome="终止调解", mediated=date(2023, 6, 30), level="市"),
        case("k5", date(2023, 6, 1), outcome="调解中", level="村(社区)"),                  # not closed
        case("k6", date(2023, 6, 20), outcome="调解成功", mediated=date(2023, 7, 1)),     # after as-of
        case("k7", date(2023, 3, 5), entered=datetime(2023, 3, 5), outcome="调解中"),
        case("k7", date(2023, 3, 5), outcome="调解成功", mediated=date(2023, 3, 20),       # closed later
             entered=datetime(2023, 3, 21), seq=2),
        case("k8", date(2023, 2, 20), outcome="调解成功", mediated=date(2023, 2, 25))])   # before the period
    card = score(con, as_of=date(2023, 6, 30))
    # closed k1 k2 k3 k4 k7; at village or township level k1 k2 k7 → 10 × (3/5 ÷ 0.95) = 6.32
    assert got(card, QINGHE, "local_resolution_rate") == (3, 5, Fraction(3, 5), Fraction(632, 100), False, None)
    # successful k1 k7 → 5 × (2/5 ÷ 0.95) = 2.11
    assert got(card, QINGHE, "mediation_success_rate") == (2, 5, Fraction(2, 5), Fraction(211, 100), False, None)
    # default (not plan) targets: missing them costs points but does not put the county in the notice
    assert not any("不上交" in r or "调解成功率" in r for r in card.county(QINGHE).notice_reasons)
    assert got(card, KAIYUAN, "local_resolution_rate") == (0, 0, None, 10, None, "不适用")
    t = trace(con, QINGHE, "local_resolution_rate", as_of=date(2023, 6, 30))
    assert ids(t.numerator) == ["k1", "k2", "k7"] and ids(t.denominator) == ["k1", "k2", "k3", "k4", "k7"]


# --- 10 key_handover_rate -------------------------------------------------------------------------------------

def test_key_handover_rate_key_persons_released_in_the_period():
    con = build(released_person=[
        person("R1", date(2023, 3, 1)),
        person("R2", date(2023, 6, 30), handover="自行报到", row=3),
        person("R3", date(2023, 7, 1), row=4),                            # after as-of
        person("R4", date(2023, 5, 1), key="否", row=5),                  # not a key person
        person("R5", date(2023, 2, 28), handover="未衔接", row=6),        # before the period
        person("R6", date(2023, 5, 5), handover="未衔接", row=7),
        person("R6", date(2023, 5, 5), seq=2)])                           # corrected: 必接必送
    card = score(con, as_of=date(2023, 6, 30))
    assert got(card, QINGHE, "key_handover_rate") == (2, 3, Fraction(2, 3), Fraction(333, 100), False, None)
    assert "重点帮教对象必接必送率 66.67%(2/3)低于目标 100%" in card.county(QINGHE).notice_reasons
    assert got(card, KAIYUAN, "key_handover_rate") == (0, 0, None, 5, None, "不适用")
    t = trace(con, QINGHE, "key_handover_rate", as_of=date(2023, 6, 30))
    assert ids(t.numerator) == ["R1", "R6"] and ids(t.denominator) == ["R1", "R2", "R6"]


# --- 11 timely_submission_rate --------------------------------------------------------------------------------

def test_timely_submission_rate_milestones_and_risk_reports_due_by_as_of():
    con = build(
        county_submission=[
            submission("工作专班及落实举措", date(2023, 3, 18)),                       # on the due date
            submission("司法所创建计划", date(2023, 3, 21), row=3),                    # late
            submission("星级司法所佐证材料", datetime(2023, 6, 20, 15, 30), row=4),   # a datetime that day
            submission("乡镇中心挂牌运行", date(2023, 6, 1), row=5)],                  # not due yet: not counted
        # 县级调处化解中心建成 (due 06-20) has no ledger row: due and not on time
        risk_report=[
            risk(HONGQI, date(2023, 3, 1), date(2023, 4, 5)),                         # on the 5th: on time
            risk(HONGQI, date(2023, 4, 1), date(2023, 5, 6), row=3),                  # the 6th: late
            risk(HONGQI, date(2023, 5, 1), datetime(2023, 6, 5, 18, 0), row=4),       # a datetime on the 5th
            risk(XIANGYANG, date(2023, 3, 1), date(2023, 4, 1), row=5),
            risk(XIANGYANG, date(2023, 4, 1), date(2023, 5, 4), row=6),
            risk(XIANGYANG, date(2023, 4, 1), date(2023, 5, 9), seq=2)])              # the later file: late
    card = score(con, as_of=date(2023, 6, 20))
    # due: 4 milestones (03-18, 03-20, 06-20, 06-20) + 5 townships × 3 months (03, 04, 05; June is due 07-05)
    # on time: 2 milestones + 3 reports → 5 × 5/19 = 1.32
    assert got(card, QINGHE, "timely_submission_rate") == (5, 19, Fraction(5, 19), Fraction(132, 100), False, None)
    # nothing sent at all: every item is due and late
    assert got(card, KAIYUAN, "timely_submission_rate")[:3] == (0, 4 + 3 * KAIYUAN_TOWNSHIPS, 0)

    t = trace(con, QINGHE, "timely_submission_rate", as_of=date(2023, 6, 20))
    milestones = t.denominator.filter(t.denominator["record_type"] == "工作报送台账")
    assert milestones.select("record_id", "due_date", "received", "done_date").rows() == [
        ("工作专班及落实举措", date(2023, 3, 18), True, date(2023, 3, 18)),
        ("司法所创建计划", date(2023, 3, 20), True, date(2023, 3, 21)),
        ("星级司法所佐证材料", date(2023, 6, 20), True, date(2023, 6, 20)),
        ("县级调处化解中心建成", date(2023, 6, 20), False, None)]
    assert ids(t.numerator) == ["工作专班及落实举措", "星级司法所佐证材料",
                                "向阳街道 2023-03", "红旗街道 2023-03", "红旗街道 2023-05"]
    missing = t.denominator.filter(~t.denominator["received"])
    assert missing.height == 1 + 10                                  # the milestone + 3 townships × 3 + 向阳 05

    # on 04-05 the March reports fall due; on 04-04 not yet
    assert got(score(con, as_of=date(2023, 4, 5)), QINGHE, "timely_submission_rate")[:2] == (3, 7)
    assert got(score(con, as_of=date(2023, 4, 4)), QINGHE, "timely_submission_rate")[:2] == (1, 2)


# --- 12 training_rate -----------------------------------------------------------------------------------------

def test_training_rate_mediators_of_the_county_trained_from_january_to_as_of():
    con = build(
        mediation_org=[org("O1", org_type="村(居)调委会")],
        mediator=[mediator("N1", "O1", annual=date(2023, 1, 1)),
                  mediator("N2", "O1", annual=date(2022, 12, 31), row=3),
                  mediator("N3", "O1", annual=date(2023, 7, 1), row=4),              # after as-of
                  mediator("N4", "O1", row=5),                                       # never trained
                  mediator("N5", "O9", annual=date(2023, 3, 1), row=6),              # organisation unknown
                  mediator("N6", "O1", annual=datetime(2023, 6, 30, 9, 0), row=7)])
    card = score(con, as_of=date(2023, 6, 30))
    assert got(card, QINGHE, "training_rate") == (2, 5, Fraction(2, 5), 2, False, None)
    assert not any("培训" in r for r in card.county(QINGHE).notice_reasons)   # a default target
    t = trace(con, QINGHE, "training_rate", as_of=date(2023, 6, 30))
    assert ids(t.numerator) == ["N1", "N6"] and ids(t.denominator) == ["N1", "N2", "N3", "N4", "N6"]


# --- deductions, total, ranking -------------------------------------------------------------------------------

DEDUCTION_ROWS = dict(
    extreme_incident=[
        incident("E1", date(2023, 5, 1), "是", "否"),
        incident("E2", date(2023, 9, 30), "是", "是", row=3),            # deducted under both rules
        incident("E3", date(2023, 10, 2), "否", "是", row=4),            # after as-of
        incident("E4", date(2023, 6, 1), "否", "否", row=5),
        incident("E5", date(2022, 12, 1), "是", None, row=6)],           # the rule names only 发生日期 ≤ as-of
    released_person=[
        person("L1", date(2021, 1, 1), key="否", status="脱管"), person("L2", date(2021, 1, 1), key="否",
                                                                      status="漏管", row=3),
        person("L3", date(2021, 1, 1), key="否", status="帮教中", row=4),
        *[person(f"K{i}", date(2021, 1, 1), key="否", status="脱管", county=KAIYUAN, row=10 + i) for i in range(7)]])

# Points of a county in a warehouse with no other data: 不适用 (full points) for verification 10 + 10,
# point_monthly 10, star_office 5, local_resolution 10, mediation_success 5, key_handover 5, training 5;
# 0 for entry_rate (数据缺失), app_registration (0 registered), center_build (none), timely_submission (none sent).
EMPTY_POINTS = 60


def test_deductions_total_floor_and_competition_ranking():
    con = build(**DEDUCTION_ROWS)
    card = score(con, as_of=date(2023, 10, 1))
    qinghe, kaiyuan = card.county(QINGHE), card.county(KAIYUAN)
    assert qinghe.deduction_counts == {"incident_poor_work": 3, "incident_released_person": 1, "lost_contact": 2}
    assert qinghe.to_json()["deductions"] == {"incident_poor_work": -30, "incident_released_person": -10,
                                              "lost_contact": -2}
    assert kaiyuan.to_json()["deductions"] == {"incident_poor_work": 0, "incident_released_person": 0,
                                               "lost_contact": -5}                     # 7 persons, capped at 5
    assert qinghe.indicator_points == EMPTY_POINTS and qinghe.total == EMPTY_POINTS - 42
    assert kaiyuan.total == EMPTY_POINTS - 5
    assert "刑满释放人员脱管、漏管 7 人,扣 5 分(已达上限)" in kaiyuan.notice_reasons
    assert "个人极端案事件(因排查化解不到位引发) 3 起,扣 30 分" in qinghe.notice_reasons
    # equal totals share a rank and the next rank skips
    assert [(c.county, c.rank, float(c.total)) for c in card.counties] == [
        ("银州区", 1, 60), ("铁岭县", 1, 60), ("西丰县", 1, 60), ("昌图县", 1, 60), ("调兵山市", 1, 60),
        ("开原市", 6, 55), ("清河区", 7, 18)]
    t = trace(con, QINGHE, "incident_poor_work", as_of=date(2023, 10, 1))
    assert ids(t.records) == ["E1", "E2", "E5"] and t.numerator_total == 3
    assert ids(trace(con, KAIYUAN, "lost_contact", as_of=date(2023, 10, 1)).records) == [f"K{i}" for i in range(7)]

    # the total is floored at 0
    card = score(con, as_of=date(2023, 10, 1), rubric=rubric_with(**{"deductions.incident_poor_work.points": 50}))
    assert card.county(QINGHE).total == 0 and card.county(QINGHE).rank == 7


def test_ranking_ties_1_2_2_4():
    counties = [CountyScore(code, code, {}, {}, {}, total=Fraction(t)) for code, t in
                (("a", 80), ("b", 95), ("c", 80), ("d", 70), ("e", Fraction(8001, 100)))]
    rank_counties(counties)
    assert [(c.county_code, c.rank) for c in counties] == [("b", 1), ("e", 2), ("a", 3), ("c", 3), ("d", 5)]
    counties = [CountyScore(code, code, {}, {}, {}, total=Fraction(t)) for code, t in
                (("a", 90), ("b", 80), ("c", 80), ("d", 70))]
    rank_counties(counties)
    assert [c.rank for c in counties] == [1, 2, 2, 4]


def test_a_deduction_of_0_does_not_flag_and_points_follow_the_rubric():
    con = build(**DEDUCTION_ROWS)
    rubric = rubric_with(**{"deductions.lost_contact.points": 0, "indicators.timely_submission_rate.weight": 20})
    card = score(con, as_of=date(2023, 10, 1), rubric=rubric)
    kaiyuan = card.county(KAIYUAN)
    assert kaiyuan.to_json()["deductions"]["lost_contact"] == 0
    assert not any("脱管" in r for r in kaiyuan.notice_reasons)
    assert kaiyuan.indicators["timely_submission_rate"].weight == 20


def test_notice_only_for_plan_targets_missed_or_deductions():
    """A county meeting every plan target, with 不适用 values, an entry rate above 1 and a default target missed,
    is not in the notice; scored on 03-31, when only the first two milestones are due."""
    as_of = date(2023, 3, 31)
    townships = (HONGQI, XIANGYANG, ZHANGXIANG, YANGMULINZI, NIEJIA)
    con = build(
        mediation_case=[case("A", date(2023, 3, 2), outcome="调解成功", mediated=date(2023, 3, 3), level="市"),
                        case("B", date(2023, 3, 2), row=3)],
        monthly_case_report=[report(HONGQI, date(2023, 3, 1), 1)],                   # 2 entered, 1 reported
        app_registration=[registration(HONGQI, date(2023, 3, 31), 8470)],            # ≥ 10% of 84693
        resolution_center=[centre("县中心", "县级", None, built=date(2023, 3, 1)),
                           *[centre(f"{t}中心", "乡镇级", t, opened=date(2023, 3, 30), row=3 + i)
                             for i, t in enumerate(townships)]],
        county_submission=[submission("工作专班及落实举措", date(2023, 3, 10)),
                           submission("司法所创建计划", date(2023, 3, 20), row=3)],
        released_person=[person("L1", date(2021, 1, 1), key="否", status="脱管")])
    rubric = rubric_with(**{"deductions.lost_contact.points": 0})
    card = score(con, as_of=as_of, rubric=rubric)
    qinghe = card.county(QINGHE)
    marks = {k: (r.met, r.mark) for k, r in qinghe.indicators.items()}
    assert marks == {
        "entry_rate": (True, "数据异常"), "verification_rate": (None, "不适用"),
        "verification_success_rate": (None, "不适用"), "app_registration_rate": (True, None),
        "point_monthly_rate": (None, "不适用"), "center_build": (True, None), "star_office": (None, "不适用"),
        "local_resolution_rate": (False, None), "mediation_success_rate": (True, None),
        "key_handover_rate": (None, "不适用"), "timely_submission_rate": (True, None),
        "training_rate": (None, "不适用")}
    assert qinghe.notice is False and qinghe.notice_reasons == []
    assert qinghe.total == 100 - 10                                   # only 矛盾不上交率 (0 of 1 locally) lost
    assert qinghe.rank == 1
    assert all(c.notice for c in card.counties if c.county_code != QINGHE)


# --- as-of, load, JSON, read-only file --------------------------------------------------------------------------

def test_default_as_of_is_the_latest_date_in_the_data_within_the_campaign():
    con = build(mediation_case=[case("A", date(2023, 7, 15))],
                app_registration=[registration(HONGQI, date(2023, 8, 1), 5)],
                risk_report=[risk(HONGQI, date(2023, 12, 1), date(2024, 1, 4))])      # after 12-31: ignored
    assert default_as_of(con) == date(2023, 8, 1)
    assert score(con).as_of == date(2023, 8, 1)
    assert default_as_of(build()) == date(2023, 12, 31)                               # no data at all
    assert default_as_of(build(mediator=[mediator("N", "O", annual=date(2022, 11, 1))])) == date(2023, 3, 1)
    with pytest.raises(ScoringError, match="不在专项行动期间"):
        score(con, as_of="2024-01-05")
    with pytest.raises(ScoringError, match="YYYY-MM-DD"):
        score(con, as_of="2023/06/30")


def test_json_shape_and_load(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    build(path, loads=[("run-1", datetime(2023, 12, 1, 2, 0)), ("run-2", datetime(2024, 1, 2, 2, 30, 5))],
          inmate_verification=VERIFICATION_TASKS, **DEDUCTION_ROWS).close()
    mtime = path.stat().st_mtime_ns
    reader = duckdb.connect(str(path), read_only=True)                 # the dashboard reading at the same time
    try:
        data = score(path, as_of="2023-06-30").to_json()
    finally:
        reader.close()
    assert path.stat().st_mtime_ns == mtime                            # opened read-only
    assert data["as_of"] == "2023-06-30"
    assert data["load"] == {"run_id": "run-2", "finished_at": "2024-01-02T10:30:05+08:00"}  # UTC stored, Beijing shown
    assert [c["rank"] for c in data["counties"]] == sorted(c["rank"] for c in data["counties"])
    qinghe = next(c for c in data["counties"] if c["county_code"] == QINGHE)
    assert set(qinghe) >= {"county_code", "county", "rank", "total", "notice", "notice_reasons", "indicators",
                           "deductions"}
    assert list(qinghe["indicators"]) == [
        "entry_rate", "verification_rate", "verification_success_rate", "app_registration_rate",
        "point_monthly_rate", "center_build", "star_office", "local_resolution_rate", "mediation_success_rate",
        "key_handover_rate", "timely_submission_rate", "training_rate"]
    assert qinghe["indicators"]["verification_rate"] | {} == {
        "name": "服刑人员信息核查率", "value": 0.6, "numerator": 3, "denominator": 5, "target": 0.9, "weight": 10,
        "points": 6.67, "met": False, "mark": None, "plan_target": True}
    assert qinghe["indicators"]["entry_rate"]["value"] is None
    assert qinghe["deductions"] == {"incident_poor_work": -20, "incident_released_person": 0, "lost_contact": -2}
    assert all(v <= 0 for c in data["counties"] for v in c["deductions"].values())
    json.dumps(data, ensure_ascii=False)                               # plain JSON types throughout


def test_trace_agrees_with_the_score_for_every_county_and_key():
    con = build(inmate_verification=VERIFICATION_TASKS, **DEDUCTION_ROWS,
                mediation_case=[case("A", date(2023, 3, 2), outcome="调解成功", mediated=date(2023, 3, 9))],
                monthly_case_report=[report(HONGQI, date(2023, 3, 1), 3)],
                resolution_center=[centre("红旗中心", "乡镇级", HONGQI, opened=date(2023, 9, 1))])
    card = score(con, as_of=date(2023, 12, 31))
    for c in card.counties:
        for key, r in c.indicators.items():
            t = trace(con, c.county_code, key, as_of=date(2023, 12, 31))
            assert (t.result.numerator, t.result.denominator, t.result.points) == \
                (r.numerator, r.denominator, r.points), (c.county, key)
        for key, n in c.deduction_counts.items():
            assert trace(con, c.county, key, as_of=date(2023, 12, 31)).count == n
    with pytest.raises(ScoringError, match="未知的区县"):
        trace(con, "铁岭市", "entry_rate")
    with pytest.raises(ScoringError, match="未知的指标"):
        trace(con, QINGHE, "entry")


def test_points_rounding_half_up_and_target_zero():
    rule = rubric_with(**{"indicators.key_handover_rate.weight": 1}).indicators["key_handover_rate"]
    assert indicator_result(rule, 1, 8).points == Fraction(13, 100)    # 0.125 → 0.13, not banker's 0.12
    rule = rubric_with(**{"indicators.training_rate.target": 0}).indicators["training_rate"]
    assert (indicator_result(rule, 0, 4).points, indicator_result(rule, 0, 4).met) == (5, True)
