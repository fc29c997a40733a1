"""口径: how every metric shown is defined, in the bureau's words. Pages show these beside the metric.

Every target, deadline, window and date in these texts is rendered from the rubric in force (never written here),
so a rubric the bureau edits changes the definitions with the numbers.
"""
from __future__ import annotations

from datetime import date

from warehouse.rubric import Rubric, rubric_in_force


def pct(x: float) -> str:
    """0.9 → 90%, 0.955 → 95.5%: a target as the plan writes it."""
    return f"{x * 100:.2f}".rstrip("0").rstrip(".") + "%"


def day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def short_day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _target(rubric: Rubric, key: str) -> str:
    rule = rubric.indicators[key]
    sign = "" if rule.target >= 1 else "≥ "
    return f"目标 {sign}{pct(rule.target)}({'方案' if rule.plan_target else '市局默认,未达标只影响得分,不列入通报'})"


def indicator_definitions(rubric: Rubric | None = None) -> dict[str, str]:
    """口径 of the twelve indicators, after scoring.md, with the rubric's values."""
    r = rubric or rubric_in_force()
    p = r.param
    milestones = "、".join(f"{name} {short_day(due)}" for name, due in r.milestones.items())
    return {
        "entry_rate": "受理日期在期间内、录入基层平台的案件数(按案件编号去重)÷ 期间各月人民调解统计月报“受理案件数”之和"
                      f"(缺报的月报按 0 计)。{_target(r, 'entry_rate')}。超过 100% 照实显示并标注数据异常,得分不超过权重;"
                      "分母为 0 时记 0 分,显示“数据缺失”。",
        "verification_rate": "已核查的任务(核查状态为已核查且反馈日期不晚于截至日期)÷ 下发的任务;只计下发日期在期间内、"
                             f"且距截至日期满 {p('verification_rate', 'window_days')} 天的任务。"
                             f"{_target(r, 'verification_rate')}。",
        "verification_success_rate": "上项已核查的任务中,核查结果为核查成功的任务 ÷ 已核查的任务。"
                                     f"{_target(r, 'verification_success_rate')}。",
        "app_registration_rate": "各乡镇(街道)截至日期前最新一次“累计注册人数”之和(无数据的乡镇按 0 计)÷ "
                                 f"本区县 2020 年普查常住人口。{_target(r, 'app_registration_rate')};分母为 0 时记 0 分,"
                                 "显示“数据缺失”。按区县统计,不按乡镇(街道)、月份拆分。",
        "point_monthly_rate": f"自{p('point_monthly_rate', 'first_month'):%Y年%-m月}起、月末不晚于截至日期的每个整月,"
                              "每个评理说事点当月受理至少 1 件由本点专职调解员办理的案件即为达标;达标的(评理说事点 × 月份)"
                              "÷ 全部(评理说事点 × 月份)。当月 1 日后成立的点不计。"
                              f"{_target(r, 'point_monthly_rate')}:每月调解 1 个案件以上。",
        "center_build": f"两项各占一半:县级调处化解中心于 {day(p('center_build', 'county_centre_deadline'))}前建成记 1,"
                        f"否则记 0;挂牌运行日期不晚于 {day(p('center_build', 'township_centre_deadline'))}且专职人民调解员"
                        f"不少于 {p('center_build', 'township_centre_min_full_time')} 人的乡镇中心数 ÷ 本区县全部乡镇(街道)数。"
                        "截止日期晚于截至日期时以截至日期为准。得分 = 权重 × 两项均值。"
                        f"{_target(r, 'center_build')}。",
        "star_office": f"创建计划于 {day(p('star_office', 'plan_deadline'))}前、佐证材料于 "
                       f"{day(p('star_office', 'evidence_deadline'))}前报送的司法所 ÷ 本区县全部司法所;日期为空视为未按期。"
                       f"截止日期晚于截至日期时以截至日期为准。{_target(r, 'star_office')}。",
        "local_resolution_rate": "调解日期在期间内的已办结案件(调解成功、调解不成功、终止调解)中,化解层级为村(社区)或"
                                 "乡镇(街道)的案件 ÷ 这些已办结案件(小事不出村、大事不出乡镇、矛盾不上交)。"
                                 f"{_target(r, 'local_resolution_rate')}。",
        "mediation_success_rate": "调解日期在期间内的已办结案件(调解成功、调解不成功、终止调解)中调解成功的案件 ÷ 这些已办结案件。"
                                  f"{_target(r, 'mediation_success_rate')}。",
        "key_handover_rate": "释放日期在期间内的重点帮教对象中,衔接方式为必接必送的人数 ÷ 重点帮教对象人数。"
                             f"{_target(r, 'key_handover_rate')}。",
        "timely_submission_rate": "按期完成的报送事项 ÷ 应报事项。应报事项:截止日期不晚于截至日期的工作台账节点"
                                  f"({milestones}),以及每个乡镇每月的风险隐患排查月报(次月 "
                                  f"{p('timely_submission_rate', 'risk_report_due_day')} 日前报送)。"
                                  f"缺报或被隔离的报告视为未按期。{_target(r, 'timely_submission_rate')}。",
        "training_rate": f"年度培训日期在 {day(p('training_rate', 'training_from'))}至截至日期之间的调解员 ÷ 本区县全部调解员。"
                         f"{_target(r, 'training_rate')}。",
    }


def deduction_definitions(rubric: Rubric | None = None) -> dict[str, str]:
    r = rubric or rubric_in_force()
    d = r.deductions

    def pts(x: float) -> str:
        return f"{x:g}"
    return {
        "incident_poor_work": f"发生日期不晚于截至日期、因排查化解不到位引发的个人极端案事件,每起扣 "
                              f"{pts(d['incident_poor_work'].points)} 分。",
        "incident_released_person": "发生日期不晚于截至日期、由刑释解矫人员在帮教期内引发的个人极端案事件,每起扣 "
                                    f"{pts(d['incident_released_person'].points)} 分(同时符合两项的,两项都扣)。",
        "lost_contact": f"帮教情况为脱管或漏管的刑满释放人员,每人扣 {pts(d['lost_contact'].points)} 分,最多扣 "
                        f"{pts(d['lost_contact'].cap)} 分。",
    }


def definitions(rubric: Rubric | None = None) -> dict[str, str]:
    """The shared terms of the sidebar's 口径说明 and the pages."""
    r = rubric or rubric_in_force()
    phases = "、".join(f"{p.name.removesuffix('阶段')} {short_day(p.start)}—{short_day(p.end)}" for p in r.phases)
    return {
        "截至日期": "各页统一的统计截至日期:侧栏所选的日期;未选时为所选期间最后一天,若晚于数据中的最新日期则取最新日期。"
                    "考评指标按截至日期计算,按月统计的图表只计到截至日期;尚未结束或月报未到期、未报齐的月份在月份后标“*”(未完),柱色较浅。",
        "专项行动目标": "专项行动方案(铁司发〔2023〕002号)中有明确目标的各项指标,按年终考评口径(当前考评细则)计算到截至日期;"
                    f"自{day(r.campaign_start)}起累计,不随期间起始月变化。"
                    "全市(或所选区县)的值 = 各区县分子之和 ÷ 分母之和;“n/m 个区县达标”中 m 不含不适用的区县。"
                    "各指标口径见卡片上的问号。",
        "区县地图": "铁岭市七个区县的行政区划边界(随产品内置,不加载任何在线底图),按考评总分或所选指标的值着色,"
                    "绿色为好、红色为差;粗黑边为当前选中的区县。点击地图上的区县或在右侧选择,所有页面随之只显示该区县。",
        "时间节点": f"方案规定的阶段({phases})和工作台账报送节点(截止日期见考评细则)。截止日期已到而完成日期晚于截止日期,"
                    "或截至日期仍未完成的区县为逾期;菱形红色表示该节点有逾期区县,灰色表示未到期。",
        "受理案件数": "所选区县、所选月份内受理(受理日期在期间内、不晚于截至日期)的人民调解案件数,同一案件编号只计一次,"
                      "取最新一次导出的版本。",
        "调结案件数": "调解日期在期间内(不晚于截至日期)、调解结果为调解成功、调解不成功或终止调解的案件数,"
                      "即考评指标“调解成功率”“矛盾不上交率”的分母。",
        "调解成功率": indicator_definitions(r)["mediation_success_rate"],
        "矛盾不上交率": indicator_definitions(r)["local_resolution_rate"],
        "录入率": "人民调解案件录入率 = " + indicator_definitions(r)["entry_rate"],
        "纠纷类型": "按《人民调解统计月报》的纠纷类型目录归类,子类(如拖欠农民工工资纠纷)计入其上级类型(劳动争议纠纷)。",
        "月度趋势": "按受理月份统计:系统录入案件数、其中调解成功数,以及统计月报上报的受理案件数;"
                    "尚未结束或月报未报齐的月份标“*”(未完),其数字还会增加。",
        "数据更新": "数据来自每晚的自动入库:各县区导出文件经校验后发布;不合规的行进入隔离区,不计入任何指标。时间为北京时间。",
        "考评细则": "考评的权重、目标、截止日期、窗口期和扣分标准都来自市局当前的考评细则文件(由系统管理员维护);"
                    "名称后的 8 位编号是文件内容的指纹,细则文件改动后随之变化。",
        "文件状态": "已入库:文件已读取,合规的行入库、不合规的行进入隔离区;拒收:文件无法按口径读取(文件类型、编码、表头或必填列不符),"
                    "或超过大小、行数上限,或多数行不合规(可能不是该数据集的导出),或是符号链接,整份文件未入库;"
                    "重复文件:与已入库文件内容完全相同(内容指纹一致),不重复入库;"
                    "跳过:隐藏文件(“.”开头)、办公软件的临时文件(“~$”开头)和子目录,不读取。",
        "拒收文件": "被拒收过的文件数,内容相同的文件(内容指纹一致)在多个批次中被拒收只计一次。拒收原因见“文件”表,需县区按口径重新导出。",
        "隔离数据": "违反导出口径规则(必填、取值范围、地名、日期先后、数值大小等)的数据行,按文件和行号计数,一行违反多条规则只计一次。"
                    "隔离的行不入库,不计入任何指标。",
        "数据校验": "每个新入库的文件逐项运行数据校验(每列每条规则一项,另有整表行数是否骤降),"
                    "发布前再校验数据表主键不重复;未通过的校验项数按文件(或数据表)和校验项计。",
        "考评总分": "年终考评总分 = 十二项指标得分之和 − 扣分,最低 0 分。每项得分 = 权重 × 值 ÷ 目标(最高按 1 计)"
                    "(调处化解中心建设为 权重 × 值),保留两位小数;权重、目标、截止日期见当前考评细则。",
        "通报": "任一来自专项行动方案的指标未达到目标,或有任一扣分项(个人极端案事件、脱管漏管)的区县列入通报;"
                "“不适用”和超过 100% 的值不算未达标,市局自定的默认目标(非方案目标)未达到不列入通报。",
    }


def definition(metric: str) -> str:
    return definitions()[metric]

