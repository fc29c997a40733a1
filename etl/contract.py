"""The export contract (shared spec exports.md) as data: every dataset, column, type and rule.

Reader, normaliser, Great Expectations suites, simulator and warehouse all read this
module, so a change to the contract is made once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

ORG_TYPES = ("村(居)调委会", "乡镇(街道)调委会", "行业性专业性调委会", "村(居)民评理说事点",
             "矛盾纠纷调处化解中心", "个人品牌调解工作室")
YES_NO = ("是", "否")
SEX = ("男", "女")


@dataclass(frozen=True)
class Column:
    name: str                      # header text exactly as in the contract
    type: str                      # text|int|money|date|datetime|month|enum|id18|id18_list|phone|name|name_list
    required: bool = False
    enum: tuple[str, ...] = ()
    pii: bool = False              # never reaches the warehouse in clear
    min: float | None = None
    max: float | None = None
    place: str | None = None       # county|township|village: resolved to an official code
    dates: str = "event"           # date/datetime/month columns: event|old|ahead, see PLAUSIBLE_DATES
    max_length: int | None = None  # longest cell accepted (characters); None: the type's MAX_LENGTH


@dataclass(frozen=True)
class Dataset:
    key: str                       # e.g. mediation_case
    prefix: str                    # file-name prefix and sheet name, e.g. 人民调解案件
    source: str
    grain: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]   # identifies one record across exports
    version_column: str | None = None   # the latest value wins; otherwise the later file wins
    date_order: tuple[tuple[str, str], ...] = ()   # (earlier, later): later never before earlier
    not_greater: tuple[tuple[str, str], ...] = ()  # (a, b): a <= b
    required_when: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (col, when_col, when_values)
    empty_when: tuple[tuple[str, str, tuple[str, ...]], ...] = ()     # (col, when_col, when_values)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# --- what a value must fit: plausible dates, number capacities, text lengths (spec: "What the ETL must do with a
# bad row or file"). The normaliser quarantines a value that does not fit the warehouse's columns; the suites in
# expectations/ quarantine a date outside its plausible range. ---------------------------------------------------

BEIJING = timezone(timedelta(hours=8))


def run_date() -> date:
    """The run's own date: today in Beijing, where the exports' dates are written (tests pass their own)."""
    return datetime.now(BEIJING).date()


# A date column's class (Column.dates) → (earliest, days after the run's date, years after the run's date).
# event: dates of events in the exporting systems, which did not exist before 2000; old: dates that may predate
# them (an organisation founded, a mediator trained), never before the People's Republic; ahead: an expected
# release, up to 50 years ahead. The day after the run's date is still plausible: an export written just past
# midnight, or a clock a little fast, must not cost its rows.
PLAUSIBLE_DATES = {"event": (date(2000, 1, 1), 1, 0), "old": (date(1949, 10, 1), 1, 0), "ahead": (None, 0, 50)}


def plausible_dates(c: Column, today: date) -> tuple[date | None, date]:
    """The first and last plausible day (inclusive) of a date, datetime or month column, on the run's date."""
    earliest, days, years = PLAUSIBLE_DATES[c.dates]
    latest = today + timedelta(days=days)
    if years:
        try:
            latest = latest.replace(year=latest.year + years)
        except ValueError:   # 29 February in a year that has none
            latest = latest.replace(year=latest.year + years, day=28)
    return earliest, latest


# Number capacities: what the warehouse's columns hold (etl/landing.py and warehouse/sql/staging cast to these).
# Counts are INTEGER in staging (landing keeps BIGINT): over two billion, where the largest real count (a township's
# app registrations) stays in the thousands. Amounts are DECIMAL(14, 2): up to 999,999,999,999.99 yuan, far beyond
# any dispute. A value beyond is quarantined (out_of_range) before it can overflow a cast and stop the night.
MONEY_DIGITS, MONEY_SCALE = 14, 2
INT_RANGE = (-(2**31), 2**31 - 1)
MONEY_LIMIT = 10 ** (MONEY_DIGITS - MONEY_SCALE)   # an amount's absolute value stays below this

# Text lengths: the longest cell (characters, as read) a column accepts; longer is quarantined (too_long). Codes,
# names and places are short in every real export; 备注 and 简要情况 hold a paragraph or two. A cell past this is a
# broken export (a shifted column, a pasted document), never data to keep.
FREE_TEXT_LENGTH = 5000
MAX_LENGTH = {"text": 500, "name": 100, "name_list": 2000, "id18_list": 2000}
DEFAULT_MAX_LENGTH = 100   # enums, numbers, dates, id18, phone: their forms are far shorter


def max_length(c: Column) -> int:
    return c.max_length or MAX_LENGTH.get(c.type, DEFAULT_MAX_LENGTH)


def _places(county: str = "所属区县", township: str | None = "所属乡镇(街道)", township_required: bool = True,
            village: str | None = None) -> tuple[Column, ...]:
    cols = [Column(county, "text", required=True, place="county")]
    if township:
        cols.append(Column(township, "text", required=township_required, place="township"))
    if village:
        cols.append(Column(village, "text", place="village"))
    return tuple(cols)


MEDIATION_CASE = Dataset(
    "mediation_case", "人民调解案件", "基层平台", "one mediation case",
    columns=(
        Column("案件编号", "text", required=True),
        *_places(village="所属村(社区)"),
        Column("调解组织名称", "text", required=True),
        Column("调解组织类型", "enum", required=True, enum=ORG_TYPES),
        Column("调解员编号", "text", required=True),
        Column("调解员姓名", "name", pii=True),
        Column("纠纷类型", "dispute_type", required=True),
        Column("纠纷来源", "enum", required=True, enum=("排查发现", "当事人申请", "主动调解", "法院委托移送",
                                                      "公安移送", "信访部门移送", "其他部门移送")),
        Column("当事人姓名", "name_list", pii=True),
        Column("当事人身份证号", "id18_list", pii=True),
        Column("涉及人数", "int", required=True, min=1),
        Column("涉及金额(元)", "money", min=0),
        Column("受理日期", "date", required=True),
        Column("调解日期", "date"),
        Column("调解结果", "enum", required=True, enum=("调解成功", "调解不成功", "终止调解", "调解中")),
        Column("协议形式", "enum", enum=("口头协议", "书面协议")),
        Column("履行情况", "enum", enum=("已履行", "部分履行", "未履行", "履行中")),
        Column("化解层级", "enum", required=True, enum=("村(社区)", "乡镇(街道)", "县(市、区)", "市")),
        Column("是否信访案件", "enum", enum=YES_NO),
        Column("是否移交公安", "enum", enum=YES_NO),
        Column("录入时间", "datetime", required=True),
    ),
    natural_key=("案件编号",), version_column="录入时间",
    date_order=(("受理日期", "调解日期"), ("受理日期", "录入时间")),
    required_when=(("调解日期", "调解结果", ("调解成功", "调解不成功", "终止调解")),
                   ("协议形式", "调解结果", ("调解成功",)), ("履行情况", "调解结果", ("调解成功",))),
    empty_when=(("调解日期", "调解结果", ("调解中",)),),
)

MONTHLY_CASE_REPORT = Dataset(
    "monthly_case_report", "人民调解统计月报", "基层平台", "county × township × month",
    columns=(*_places(), Column("统计月份", "month", required=True),
             Column("受理案件数", "int", required=True, min=0),
             Column("调解成功数", "int", required=True, min=0)),
    natural_key=("所属区县", "所属乡镇(街道)", "统计月份"),
    not_greater=(("调解成功数", "受理案件数"),),
)

MEDIATION_ORG = Dataset(
    "mediation_org", "调解组织", "基层平台", "one organisation",
    columns=(Column("组织编码", "text", required=True), Column("组织名称", "text", required=True),
             Column("组织类型", "enum", required=True, enum=ORG_TYPES),
             *_places(village="所属村(社区)"),
             Column("成立日期", "date", dates="old"), Column("是否挂牌运行", "enum", enum=YES_NO),
             Column("挂牌日期", "date", dates="old"),
             Column("专职调解员数", "int", min=0), Column("兼职调解员数", "int", min=0)),
    natural_key=("组织编码",),
)

MEDIATOR = Dataset(
    "mediator", "人民调解员", "基层平台", "one mediator",
    columns=(Column("调解员编号", "text", required=True), Column("姓名", "name", required=True, pii=True),
             Column("性别", "enum", enum=SEX), Column("身份证号", "id18", pii=True),
             Column("联系电话", "phone", pii=True), Column("所属组织编码", "text", required=True),
             Column("专兼职", "enum", required=True, enum=("专职", "兼职")),
             Column("是否评理说事员", "enum", enum=YES_NO),
             Column("岗前培训日期", "date", dates="old"), Column("年度培训日期", "date")),
    natural_key=("调解员编号",),
)

JUDICIAL_OFFICE = Dataset(
    "judicial_office", "司法所", "基层平台", "one judicial office",
    columns=(Column("司法所名称", "text", required=True), *_places(),
             Column("现有星级", "int", min=0, max=5), Column("申报星级", "int", min=0, max=5),
             Column("创建计划报送日期", "date"), Column("佐证材料报送日期", "date"),
             Column("验收结果", "enum", enum=("通过", "未通过", "待验收"))),
    natural_key=("司法所名称",),
)

RISK_REPORT = Dataset(
    "risk_report", "矛盾纠纷风险预警月报", "基层平台", "county × township × month",
    columns=(*_places(), Column("统计月份", "month", required=True),
             Column("排查次数", "int", required=True, min=0), Column("排查发现纠纷数", "int", required=True, min=0),
             *(Column(c, "int", min=0) for c in ("高风险隐患数", "中风险隐患数", "低风险隐患数", "已化解数",
                                                 "稳控中数", "移交公安数", "上报党委政府数")),
             Column("报送日期", "date", required=True)),
    natural_key=("所属区县", "所属乡镇(街道)", "统计月份"),
)

INMATE_VERIFICATION = Dataset(
    "inmate_verification", "服刑人员信息核查", "帮教系统", "one verification task",
    columns=(Column("核查编号", "text", required=True), Column("监狱名称", "text", required=True),
             Column("服刑人员姓名", "name", pii=True), Column("身份证号", "id18", required=True, pii=True),
             *_places("户籍地区县", "户籍地乡镇(街道)"),
             Column("下发日期", "date", required=True), Column("反馈日期", "date"),
             Column("核查状态", "enum", required=True, enum=("已核查", "未核查")),
             Column("核查结果", "enum", enum=("核查成功", "查无此人", "信息不符", "人户分离")),
             Column("预计释放日期", "date", dates="ahead")),
    natural_key=("核查编号",),
    date_order=(("下发日期", "反馈日期"),),
    required_when=(("核查结果", "核查状态", ("已核查",)),),
)

RELEASED_PERSON = Dataset(
    "released_person", "刑满释放人员", "帮教系统", "one released person",
    columns=(Column("人员编号", "text", required=True), Column("姓名", "name", pii=True),
             Column("身份证号", "id18", required=True, pii=True), Column("性别", "enum", enum=SEX),
             Column("罪名类别", "text"), Column("释放日期", "date", required=True),
             *_places("户籍地区县", "户籍地乡镇(街道)"),
             Column("衔接方式", "enum", required=True, enum=("必接必送", "自行报到", "未衔接")),
             Column("衔接日期", "date"),
             Column("是否重点帮教对象", "enum", required=True, enum=YES_NO),
             Column("安置情况", "enum", required=True, enum=("已安置", "未安置", "无需安置")),
             Column("帮教情况", "enum", required=True, enum=("帮教中", "解除帮教", "脱管", "漏管")),
             Column("风险等级", "enum", enum=("高", "中", "低")),
             Column("是否人户分离", "enum", enum=YES_NO)),
    natural_key=("人员编号",),
)

APP_REGISTRATION = Dataset(
    "app_registration", "慧评理注册", "慧评理", "county × township × date",
    columns=(*_places(), Column("统计日期", "date", required=True),
             Column("累计注册人数", "int", required=True, min=0)),
    natural_key=("所属区县", "所属乡镇(街道)", "统计日期"),
)

# The six 报送事项 of the ledger. Their due dates are not the contract's: they are the rubric's [milestones].
MILESTONES = ("工作专班及落实举措", "司法所创建计划", "星级司法所佐证材料", "县级调处化解中心建成", "乡镇中心挂牌运行",
              "专项行动书面总结")

COUNTY_SUBMISSION = Dataset(
    "county_submission", "工作报送台账", "市局台账", "county × milestone",
    columns=(*_places(township=None), Column("报送事项", "enum", required=True, enum=MILESTONES),
             Column("完成日期", "date"), Column("备注", "text", max_length=FREE_TEXT_LENGTH)),
    natural_key=("所属区县", "报送事项"),
)

RESOLUTION_CENTER = Dataset(
    "resolution_center", "调处化解中心", "市局台账", "one centre",
    columns=(Column("中心名称", "text", required=True), Column("层级", "enum", required=True, enum=("县级", "乡镇级")),
             *_places(township_required=False), Column("建成日期", "date"), Column("挂牌运行日期", "date"),
             Column("专职人民调解员数", "int", required=True, min=0)),
    natural_key=("中心名称",),
    required_when=(("所属乡镇(街道)", "层级", ("乡镇级",)),),
)

EXTREME_INCIDENT = Dataset(
    "extreme_incident", "个人极端案事件", "市局台账", "one incident",
    columns=(Column("事件编号", "text", required=True), *_places(township_required=False),
             Column("发生日期", "date", required=True),
             Column("是否因排查化解不到位引发", "enum", required=True, enum=YES_NO),
             Column("是否刑释解矫人员帮教期内", "enum", enum=YES_NO),
             Column("简要情况", "text", max_length=FREE_TEXT_LENGTH)),
    natural_key=("事件编号",),
)

DATASETS: dict[str, Dataset] = {d.key: d for d in (
    MEDIATION_CASE, MONTHLY_CASE_REPORT, MEDIATION_ORG, MEDIATOR, JUDICIAL_OFFICE, RISK_REPORT,
    INMATE_VERIFICATION, RELEASED_PERSON, APP_REGISTRATION, COUNTY_SUBMISSION, RESOLUTION_CENTER,
    EXTREME_INCIDENT)}

# Rule codes written to quarantine, with the Chinese text the dashboard shows.
RULES = {
    "required": "必填项为空",
    "enum": "取值不在允许范围",
    "unknown_place": "地名无法识别",
    "city_not_county": "铁岭市不是区县",
    "ambiguous_place": "地名有歧义",
    "date_format": "日期格式无法识别",
    "month_format": "月份格式无法识别",
    "number_format": "数字格式无法识别",
    "min_value": "数值小于下限",
    "max_value": "数值大于上限",
    "id18_format": "身份证号格式错误",
    "id18_checksum": "身份证号校验位错误",
    "phone_format": "电话号码格式错误",
    "dispute_type": "纠纷类型不在目录中",
    "date_order": "日期先后顺序错误",
    "not_greater": "数值大于应不超过的列",
    "required_when": "按条件应填写而为空",
    "empty_when": "按条件应为空而有值",
    "row_count_collapse": "行数较上次同类文件骤降(表级警示)",
    "duplicate_key": "按最新版本规则去重后主键仍重复",
    "implausible_date": "日期不在合理范围内",
    "out_of_range": "数值超出该列可存储的范围",
    "too_long": "文本超过该列最大长度",
}
