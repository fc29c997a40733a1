"""Drill-down: the records behind one county's indicator or deduction.

`trace(warehouse, "昌图县", "verification_rate", as_of=...)` runs the same SQL file the score is summed from
(warehouse/sql/scoring/<key>.sql) for one county and returns the records counted in the numerator and in the
denominator — cases, verification tasks, released persons, (评理说事点 × month) pairs, milestones and risk reports,
judicial offices, townships, mediators — with the value and points they give. By construction the numerator and
denominator are the sums of these records (`num_amount`, `den_amount`), so every number of the scorecard can be
traced back to them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from warehouse import metrics
from warehouse.metrics import Cut, ScoringError, connect
from warehouse.rubric import DEDUCTION_NAMES, INDICATOR_NAMES, Rubric, rubric_in_force
from warehouse.scoring import IndicatorResult, indicator_result

_FLAGS = ("in_numerator", "in_denominator", "num_amount", "den_amount")
_HIDDEN = ("township_code",)  # a cut column: the township's name says the same
_ORDER = {"center_build": "part, record_id", "point_monthly_rate": "org_id, month",
          "timely_submission_rate": "record_type, milestone_no, township, month"}

# Chinese headings for the record columns, for the drill-down page.
COLUMN_LABELS = {
    "county_code": "区县代码", "record_type": "记录类型", "record_id": "记录", "part": "部分",
    "in_numerator": "计入分子", "in_denominator": "计入分母", "num_amount": "分子计数", "den_amount": "分母计数",
    "township": "乡镇(街道)", "village": "村(社区)", "org_id": "组织编码", "org_name": "调解组织",
    "mediator_id": "调解员编号", "name_masked": "姓名", "inmate_name_masked": "服刑人员姓名",
    "accepted_date": "受理日期", "mediated_date": "调解日期", "outcome": "调解结果", "resolution_level": "化解层级",
    "entered_at": "录入时间(北京时间)", "report_month": "统计月份", "cases_accepted": "受理案件数",
    "prison_name": "监狱名称", "issued_date": "下发日期", "feedback_date": "反馈日期",
    "verification_status": "核查状态", "verification_result": "核查结果",
    "stat_date": "统计日期", "cumulative_registrations": "累计注册人数", "population": "常住人口(2020年普查)",
    "founded_date": "成立日期", "month": "月份", "qualifying_case_count": "专职调解员受理案件数",
    "qualifying_cases": "专职调解员受理的案件",
    "deadline": "截止日期", "centres": "调处化解中心", "qualifying_centres": "按期达标的中心", "built_date": "建成日期",
    "inaugurated_date": "挂牌运行日期", "full_time_mediators": "专职人民调解员数",
    "plan_submitted_date": "创建计划报送日期", "plan_deadline": "创建计划截止日期",
    "evidence_submitted_date": "佐证材料报送日期", "evidence_deadline": "佐证材料截止日期",
    "current_star_level": "现有星级", "applied_star_level": "申报星级", "acceptance_result": "验收结果",
    "released_date": "释放日期", "handover_method": "衔接方式", "handover_date": "衔接日期",
    "assistance_status": "帮教情况", "milestone_no": "事项序号", "milestone": "报送事项", "due_date": "应报日期",
    "received": "已报送", "status": "状态", "days_late": "逾期天数", "days_overdue": "超期天数",
    "township_code": "乡镇(街道)代码", "org_type": "组织类型", "dispute_category_code": "纠纷类型代码",
    "dispute_category": "纠纷类型", "campaign_domain": "重点领域", "source": "纠纷来源", "has_full_time": "有专职调解员",
    "plan_on_time": "创建计划按期", "evidence_on_time": "佐证材料按期", "short_staffed": "专职调解员不足",
    "is_full_time": "专职",
    "done_date": "完成/报送日期", "employment_type": "专兼职", "annual_training_date": "年度培训日期",
    "occurred_date": "发生日期", "is_due_to_poor_dispute_work": "因排查化解不到位引发",
    "is_by_released_person_in_assistance": "刑释解矫人员帮教期内", "summary": "简要情况",
}


@dataclass
class Trace:
    key: str
    name: str
    county_code: str
    county: str
    as_of: date
    records: pl.DataFrame                  # every record the rule looked at for the county, with its flags
    numerator: pl.DataFrame | None         # indicator: records counted in the numerator (deduction: None)
    denominator: pl.DataFrame | None       # indicator: records counted in the denominator (deduction: None)
    result: IndicatorResult | None = None  # indicator: value, points, met as the scorecard shows them
    count: int = 0                         # deduction: incidents / persons counted

    @property
    def numerator_total(self) -> int | float:
        """The indicator's numerator (the sum of num_amount; #6: county half + township half), or the deduction's
        count."""
        if self.result is None:
            return self.count
        n = self.result.numerator
        return int(n) if n.denominator == 1 else float(n)

    @property
    def denominator_total(self) -> int | None:
        return None if self.result is None else self.result.denominator


def resolve_county(con: duckdb.DuckDBPyConnection, county: str) -> tuple[str, str]:
    """(code, name) of a county given by its code (211224) or its name (昌图县)."""
    rows = con.execute("SELECT county_code, county FROM marts.dim_county WHERE county_code = $c OR county = $c",
                       {"c": county}).fetchall()
    if not rows:
        raise ScoringError(f"未知的区县:{county}")
    return rows[0]


def trace(source: str | Path | duckdb.DuckDBPyConnection, county: str, key: str,
          as_of: date | str | None = None, rubric: Rubric | None = None) -> Trace:
    """The records behind indicator or deduction `key` of `county` at `as_of` (default as in scoring.score)."""
    if key not in INDICATOR_NAMES and key not in DEDUCTION_NAMES:
        raise ScoringError(f"未知的指标或扣分项:{key}")
    rubric = rubric or rubric_in_force()
    as_of = metrics.check_as_of(as_of, rubric)
    with connect(source) as con:
        as_of = as_of or metrics.latest_data_date(con, rubric)
        code, name = resolve_county(con, county)
        frame = metrics.records(con, key, metrics.params(rubric, as_of), Cut(county_code=(code,)),
                                order=_ORDER.get(key, "record_type, record_id"))
    if key in DEDUCTION_NAMES:
        return Trace(key, DEDUCTION_NAMES[key], code, name, as_of, frame, None, None, None, frame.height)
    other = [c for c in frame.columns if c not in _FLAGS and c not in _HIDDEN]
    numerator = frame.filter(pl.col("in_numerator")).select(other + ["num_amount"])
    denominator = frame.filter(pl.col("in_denominator")).select(other + ["den_amount"])
    rule = rubric.indicators[key]
    if key in metrics.PARTS:
        parts = {p: (int(numerator.filter(pl.col("part") == p)["num_amount"].sum()),
                     int(denominator.filter(pl.col("part") == p)["den_amount"].sum())) for p in metrics.PARTS[key]}
        result = indicator_result(rule, 0, 0, parts)
    else:
        result = indicator_result(rule, int(numerator["num_amount"].sum()), int(denominator["den_amount"].sum()))
    return Trace(key, INDICATOR_NAMES[key], code, name, as_of, frame, numerator, denominator, result)


COUNTY_LEVEL = "区县本级"   # records that belong to the county as a whole (its own centre, its population …)


def by_township(tr: Trace) -> pl.DataFrame:
    """The trace's records per township, so a county can see where a score comes from: township_code, township
    (区县本级 for records with none, last), records, and for an indicator the numerator and denominator each township
    adds — sums of the same amounts as the Trace's totals, so the rows add up to the scorecard's numerator and
    denominator — and its share (None where it adds nothing to the denominator, or where the indicator's value
    cannot be cut by township)."""
    frame = tr.records
    keys = [pl.col("township_code"), pl.col("township").fill_null(COUNTY_LEVEL)]
    if tr.result is None:
        grouped = frame.group_by(keys).agg(pl.len().alias("records"))
    else:
        grouped = frame.group_by(keys).agg(
            pl.len().alias("records"),
            pl.col("num_amount").filter(pl.col("in_numerator")).sum().alias("numerator"),
            pl.col("den_amount").filter(pl.col("in_denominator")).sum().alias("denominator"))
        # a township's own share only where the indicator's value can be cut by township (a census population
        # or a county's own centre belongs to the county alone: its townships have no share of their own)
        share = pl.col("numerator") / pl.col("denominator")
        cuttable = "township_code" in metrics.cut_by(tr.key)
        grouped = grouped.with_columns(
            pl.when((pl.col("denominator") > 0) & cuttable).then(share).otherwise(None).alias("value"))
    return grouped.sort(pl.col("township_code").is_null(), "township_code")
