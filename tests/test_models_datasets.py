"""Staging and marts of the ten register datasets and the case history, on tiny given rows with known answers.

Rows go into the landing tables (as the ETL leaves them: contract column names, place codes, masked names,
hashed identity numbers, `_file_seq` = the order in which files were received, `_row` = row in the file),
`build_models` runs, and each mart is compared with its exact expected rows. Marts hold no deadline: whether a
report, an office or a centre was on time is the scoring's (the rubric's dates), checked here on the same rows
through the scoring's records.
"""
from __future__ import annotations

from datetime import date, datetime

import duckdb

from etl import landing
from etl.contract import DATASETS
from warehouse import metrics
from warehouse.build import build_models
from warehouse.rubric import default_rubric

CHANGTU, KAIYUAN = "211224", "211282"
CHANGTU_TOWN, CHANGTU_TOWN2, KAIYUAN_TOWN = "211224100", "211224101", "211282102"
CHANGTU_VILLAGE = "211224100002"


def _file(seq: int, row: int) -> dict:
    return {"_run_id": "r", "_file_seq": seq, "_row": row}


def build(files: list[tuple[int, str]] | None = None, **tables: list[dict]) -> duckdb.DuckDBPyConnection:
    """A warehouse in memory: the given landing rows per dataset, meta.load_file rows (file_seq, file_name)."""
    con = duckdb.connect(":memory:")
    landing.ensure(con)
    for table, rows in tables.items():
        for r in rows:
            cols = ", ".join(f'"{k}"' for k in r)
            con.execute(f"INSERT INTO landing.{table} ({cols}) VALUES ({', '.join('?' * len(r))})", list(r.values()))
    for seq, name in files or []:
        con.execute("INSERT INTO meta.load_file (run_id, file_seq, file_name, status) VALUES ('r', ?, ?, 'loaded')",
                    [seq, name])
    build_models(con)
    return con


def scored(con, key: str, as_of: date, columns: str, record_type: str | None = None) -> list[tuple]:
    """Columns of the records scoring counts for `key` at `as_of`, under the shipped rubric."""
    frame = metrics.records(con, key, metrics.params(default_rubric(), as_of), record_type=record_type)
    return frame.select(columns.split(", ")).rows()


def rows(con, sql):
    return con.execute(sql).fetchall()


# --- organisations and mediators -------------------------------------------------------------------------------

def _org(code, name, county, town, seq, row, org_type="村(居)调委会", village=None, founded=None):
    return {"组织编码": code, "组织名称": name, "组织类型": org_type, "所属区县_code": county,
            "所属乡镇(街道)_code": town, "所属村(社区)_code": village, "成立日期": founded, "是否挂牌运行": "是",
            "挂牌日期": None, "专职调解员数": 1, "兼职调解员数": 2, **_file(seq, row)}


def _mediator(mid, org, seq, row, kind="专职", annual=None):
    return {"调解员编号": mid, "姓名_mask": "张*", "性别": "男", "身份证号_hmac": "h-" + mid, "身份证号_sex": "男",
            "身份证号_birth_year": 1970, "所属组织编码": org, "专兼职": kind, "是否评理说事员": "否",
            "岗前培训日期": None, "年度培训日期": annual, **_file(seq, row)}


def test_orgs_keep_the_latest_version_later_file_then_later_row():
    con = build(mediation_org=[
        _org("O1", "旧名称", CHANGTU, CHANGTU_TOWN, seq=1, row=2),
        _org("O2", "第一行", KAIYUAN, KAIYUAN_TOWN, seq=1, row=3),
        _org("O2", "第二行", KAIYUAN, KAIYUAN_TOWN, seq=1, row=4),          # two copies in one file: the later row
        _org("O1", "新名称", CHANGTU, CHANGTU_TOWN, seq=2, row=9, org_type="村(居)民评理说事点",
             village=CHANGTU_VILLAGE, founded=date(2023, 1, 5)),          # a later file replaces the earlier one
    ])
    assert rows(con, """SELECT org_id, org_name, org_type, is_reasoning_point, county, township, village_code, village,
                               founded_date, is_inaugurated, full_time_mediators, versions_loaded, file_seq, file_row
                        FROM marts.orgs ORDER BY org_id""") == [
        ("O1", "新名称", "村(居)民评理说事点", True, "昌图县", "昌图镇", CHANGTU_VILLAGE, "西街社区",
         date(2023, 1, 5), True, 1, 2, 2, 9),
        ("O2", "第二行", "村(居)调委会", False, "开原市", "威远堡镇", None, None, None, True, 1, 2, 1, 4),
    ]
    assert rows(con, "SELECT count(*) FROM staging.mediation_org") == [(4,)]   # every version stays in staging


def test_a_mediator_is_placed_in_the_county_of_its_organisation():
    con = build(
        mediation_org=[_org("O1", "昌图调委会", CHANGTU, CHANGTU_TOWN, seq=1, row=2),
                       _org("O2", "开原调委会", KAIYUAN, KAIYUAN_TOWN, seq=1, row=3),
                       _org("O3", "先在昌图", CHANGTU, CHANGTU_TOWN2, seq=1, row=4),
                       _org("O3", "后归开原", KAIYUAN, KAIYUAN_TOWN, seq=3, row=2)],   # the organisation's latest place
        mediator=[_mediator("M1", "O1", seq=2, row=2),
                  _mediator("M1", "O2", seq=4, row=2, annual=datetime(2023, 5, 6, 9, 30)),  # moved to O2 later
                  _mediator("M2", "O3", seq=2, row=3, kind="兼职"),
                  _mediator("M3", "O9", seq=2, row=4),                   # organisation not in the 调解组织 export
                  _mediator("M3", "O9", seq=2, row=5)])
    assert rows(con, """SELECT mediator_id, org_id, has_known_org, org_name, county_code, county, township,
                               is_full_time, annual_training_date, versions_loaded, file_seq, file_row
                        FROM marts.mediators ORDER BY mediator_id""") == [
        ("M1", "O2", True, "开原调委会", KAIYUAN, "开原市", "威远堡镇", True, date(2023, 5, 6), 2, 4, 2),
        ("M2", "O3", True, "后归开原", KAIYUAN, "开原市", "威远堡镇", False, None, 1, 2, 3),
        ("M3", "O9", False, None, None, None, None, True, None, 2, 2, 5),
    ]


# --- judicial offices, risk reports ------------------------------------------------------------------------------

def _office(name, plan, proof, seq=1, row=2, star=2):
    return {"司法所名称": name, "所属区县_code": CHANGTU, "所属乡镇(街道)_code": CHANGTU_TOWN, "现有星级": star,
            "申报星级": star + 1, "创建计划报送日期": plan, "佐证材料报送日期": proof, "验收结果": "待验收",
            **_file(seq, row)}


def test_judicial_offices_on_time_on_the_deadline_day():
    con = build(judicial_office=[
        _office("A所", date(2023, 3, 20), date(2023, 6, 20)),                     # both on the deadline: on time
        _office("B所", date(2023, 3, 21), date(2023, 6, 1), row=3),              # plan a day late
        _office("C所", date(2023, 3, 1), None, row=4),                           # no evidence yet: not on time
        _office("D所", date(2023, 3, 1), date(2023, 7, 1), seq=1, row=5),
        _office("D所", date(2023, 3, 1), datetime(2023, 6, 20, 15, 30), seq=2, row=2, star=3),  # later file; a datetime
    ])
    assert rows(con, """SELECT office_name, county, township, current_star_level, plan_submitted_date,
                               evidence_submitted_date, versions_loaded
                        FROM marts.judicial_offices ORDER BY office_name""") == [
        ("A所", "昌图县", "昌图镇", 2, date(2023, 3, 20), date(2023, 6, 20), 1),
        ("B所", "昌图县", "昌图镇", 2, date(2023, 3, 21), date(2023, 6, 1), 1),
        ("C所", "昌图县", "昌图镇", 2, date(2023, 3, 1), None, 1),
        ("D所", "昌图县", "昌图镇", 3, date(2023, 3, 1), date(2023, 6, 20), 2),
    ]
    # on time against the rubric's deadlines (03-20, 06-20): a date on the deadline is on time, an empty one is not
    assert scored(con, "star_office", date(2023, 12, 31),
                  "record_id, plan_deadline, plan_on_time, evidence_deadline, evidence_on_time, in_numerator") == [
        ("A所", date(2023, 3, 20), True, date(2023, 6, 20), True, True),
        ("B所", date(2023, 3, 20), False, date(2023, 6, 20), True, False),
        ("C所", date(2023, 3, 20), True, date(2023, 6, 20), False, False),
        ("D所", date(2023, 3, 20), True, date(2023, 6, 20), True, True),
    ]


def _risk(town, month, sent, seq=1, row=2, found=3, county=CHANGTU):
    return {"所属区县_code": county, "所属乡镇(街道)_code": town, "统计月份": month, "排查次数": 4,
            "排查发现纠纷数": found, "高风险隐患数": 0, "中风险隐患数": 1, "低风险隐患数": 2, "已化解数": 3,
            "稳控中数": 0, "移交公安数": 0, "上报党委政府数": 0, "报送日期": sent, **_file(seq, row)}


def test_risk_reports_are_due_on_the_fifth_of_the_next_month():
    con = build(risk_report=[
        _risk(CHANGTU_TOWN, date(2023, 3, 1), date(2023, 4, 5)),                  # on the 5th: on time
        _risk(CHANGTU_TOWN, date(2023, 4, 1), date(2023, 5, 6), row=3),           # the 6th: late
        _risk(CHANGTU_TOWN, date(2023, 5, 1), datetime(2023, 6, 5, 18, 0), row=4),  # a datetime on the 5th
        _risk(CHANGTU_TOWN, date(2023, 12, 1), date(2024, 1, 5), row=5),          # December: due in January
        _risk(CHANGTU_TOWN2, date(2023, 3, 1), date(2023, 4, 1), seq=1, row=6, found=9),
        _risk(CHANGTU_TOWN2, date(2023, 3, 1), date(2023, 4, 9), seq=2, row=2, found=7),   # later file wins
        _risk(KAIYUAN_TOWN, date(2023, 3, 1), date(2023, 4, 2), seq=3, row=2, found=1, county=KAIYUAN),
        _risk(KAIYUAN_TOWN, date(2023, 3, 1), date(2023, 4, 3), seq=3, row=3, found=2, county=KAIYUAN),  # later row
    ])
    assert rows(con, """SELECT county, township, report_month, disputes_found, submitted_date,
                               versions_loaded, file_seq, file_row
                        FROM marts.risk_reports ORDER BY county_code, township_code, report_month""") == [
        ("昌图县", "昌图镇", date(2023, 3, 1), 3, date(2023, 4, 5), 1, 1, 2),
        ("昌图县", "昌图镇", date(2023, 4, 1), 3, date(2023, 5, 6), 1, 1, 3),
        ("昌图县", "昌图镇", date(2023, 5, 1), 3, date(2023, 6, 5), 1, 1, 4),
        ("昌图县", "昌图镇", date(2023, 12, 1), 3, date(2024, 1, 5), 1, 1, 5),
        ("昌图县", "老城镇", date(2023, 3, 1), 7, date(2023, 4, 9), 2, 2, 2),
        ("开原市", "威远堡镇", date(2023, 3, 1), 2, date(2023, 4, 3), 2, 3, 3),
    ]
    # due on the rubric's day (the 5th) of the next month; a report on that day, a datetime included, is on time
    due = scored(con, "timely_submission_rate", date(2023, 12, 31), "record_id, due_date, status, in_numerator",
                 record_type="风险预警月报")
    reported = {r[0]: r[1:] for r in due}
    assert reported["昌图镇 2023-03"] == (date(2023, 4, 5), "按期", True)
    assert reported["昌图镇 2023-04"] == (date(2023, 5, 5), "逾期", False)
    assert reported["昌图镇 2023-05"] == (date(2023, 6, 5), "按期", True)
    assert reported["老城镇 2023-03"] == (date(2023, 4, 5), "逾期", False)
    assert reported["威远堡镇 2023-03"] == (date(2023, 4, 5), "按期", True)
    assert reported["昌图镇 2023-06"] == (date(2023, 7, 5), "未报", False)
    assert "昌图镇 2023-12" not in reported  # December falls due in January, after the campaign: never due


# --- resettlement: verification tasks, released persons ------------------------------------------------------

def _task(tid, status, result, feedback, seq=1, row=2, county=CHANGTU, town=CHANGTU_TOWN):
    return {"核查编号": tid, "监狱名称": "辽宁省铁岭监狱", "服刑人员姓名_mask": "李*", "身份证号_hmac": "h-" + tid,
            "身份证号_sex": "男", "身份证号_birth_year": 1980, "户籍地区县_code": county,
            "户籍地乡镇(街道)_code": town, "下发日期": date(2023, 3, 10), "反馈日期": feedback, "核查状态": status,
            "核查结果": result, "预计释放日期": date(2024, 1, 1), **_file(seq, row)}


def test_verification_tasks_latest_version_and_flags():
    con = build(inmate_verification=[
        _task("T1", "未核查", None, None, seq=1),
        _task("T1", "已核查", "核查成功", date(2023, 3, 25), seq=2),             # verified in a later export
        _task("T2", "已核查", "查无此人", date(2023, 3, 11), row=3, county=KAIYUAN, town=KAIYUAN_TOWN),
        _task("T3", "已核查", "核查成功", date(2023, 4, 1), row=4),
        _task("T3", "未核查", None, None, row=5),                                # two copies in one file: later row
    ])
    assert rows(con, """SELECT task_id, county, township, id_hash, feedback_date, days_to_feedback, is_verified,
                               is_verified_successfully, versions_loaded, file_seq, file_row
                        FROM marts.verification_tasks ORDER BY task_id""") == [
        ("T1", "昌图县", "昌图镇", "h-T1", date(2023, 3, 25), 15, True, True, 2, 2, 2),
        ("T2", "开原市", "威远堡镇", "h-T2", date(2023, 3, 11), 1, True, False, 1, 1, 3),
        ("T3", "昌图县", "昌图镇", "h-T3", None, None, False, False, 2, 1, 5),
    ]


def _person(pid, released, status="帮教中", handover="必接必送", key="是", seq=1, row=2):
    return {"人员编号": pid, "姓名_mask": "王*", "身份证号_hmac": "h-" + pid, "身份证号_sex": "男",
            "身份证号_birth_year": 1985, "性别": "男", "罪名类别": "盗窃罪", "释放日期": released,
            "户籍地区县_code": CHANGTU, "户籍地乡镇(街道)_code": CHANGTU_TOWN, "衔接方式": handover,
            "衔接日期": released, "是否重点帮教对象": key, "安置情况": "已安置", "帮教情况": status, "风险等级": "高",
            "是否人户分离": "否", **_file(seq, row)}


def test_released_persons_latest_version_and_end_of_assistance_period():
    con = build(released_person=[
        _person("P1", date(2023, 5, 8), status="帮教中", seq=1),
        _person("P1", date(2023, 5, 8), status="脱管", seq=2),                      # the later file wins
        _person("P2", date(2020, 2, 29), handover="自行报到", key="否", row=3),       # 5 years from a leap day
        _person("P3", date(2019, 1, 1), status="漏管", row=4),
        _person("P3", date(2019, 1, 1), status="解除帮教", row=5),                  # later row of the same file
    ])
    assert rows(con, """SELECT person_id, county, township, released_date, assistance_end_date, is_key_person,
                               is_escorted_handover, assistance_status, is_lost_contact,
                               is_away_from_registered_residence,
                               versions_loaded, file_seq, file_row
                        FROM marts.released_persons ORDER BY person_id""") == [
        ("P1", "昌图县", "昌图镇", date(2023, 5, 8), date(2028, 5, 8), True, True, "脱管", True, False, 2, 2, 2),
        ("P2", "昌图县", "昌图镇", date(2020, 2, 29), date(2025, 2, 28), False, False, "帮教中", False, False, 1, 1, 3),
        ("P3", "昌图县", "昌图镇", date(2019, 1, 1), date(2024, 1, 1), True, True, "解除帮教", False, False, 2, 1, 5),
    ]


# --- 慧评理, ledgers ------------------------------------------------------------------------------------------

def test_app_registrations_latest_version_per_township_and_date():
    reg = lambda town, day, n, seq, row: {"所属区县_code": CHANGTU, "所属乡镇(街道)_code": town,  # noqa: E731
                                          "统计日期": day, "累计注册人数": n, **_file(seq, row)}
    con = build(app_registration=[
        reg(CHANGTU_TOWN, date(2023, 6, 30), 100, 1, 2),
        reg(CHANGTU_TOWN, date(2023, 6, 30), 120, 2, 2),                          # corrected in a later file
        reg(CHANGTU_TOWN, date(2023, 9, 30), 300, 2, 3),
        reg(CHANGTU_TOWN2, date(2023, 6, 30), 50, 1, 3),
        reg(CHANGTU_TOWN2, date(2023, 6, 30), 55, 1, 4),                          # later row of the same file
    ])
    assert rows(con, """SELECT county, township, stat_date, cumulative_registrations,
                               versions_loaded, file_seq, file_row
                        FROM marts.app_registrations ORDER BY township_code, stat_date""") == [
        ("昌图县", "昌图镇", date(2023, 6, 30), 120, 2, 2, 2),
        ("昌图县", "昌图镇", date(2023, 9, 30), 300, 1, 2, 3),
        ("昌图县", "老城镇", date(2023, 6, 30), 55, 2, 1, 4),
    ]


def _submission(county, item, done, seq=1, row=2, remark=None):
    return {"所属区县_code": county, "报送事项": item, "完成日期": done, "备注": remark, **_file(seq, row)}


def test_county_submissions_every_milestone_with_its_due_date_and_on_time_flag():
    con = build(county_submission=[
        _submission(CHANGTU, "工作专班及落实举措", date(2023, 3, 18)),                       # on the deadline
        _submission(CHANGTU, "星级司法所佐证材料", datetime(2023, 6, 20, 15, 30), row=3),    # a datetime that day
        _submission(CHANGTU, "乡镇中心挂牌运行", date(2023, 9, 21), row=4, remark="逾期报送"),  # a day late
        _submission(CHANGTU, "司法所创建计划", None, seq=1, row=5),                          # not yet done …
        _submission(CHANGTU, "司法所创建计划", date(2023, 3, 19), seq=2, row=2),             # … done in a later file
        _submission(KAIYUAN, "专项行动书面总结", date(2023, 12, 1), seq=1, row=6),
        _submission(KAIYUAN, "专项行动书面总结", date(2023, 12, 20), seq=1, row=7),          # later row of one file
    ])
    # the ledger's rows only, each in its latest version: no deadline here
    assert rows(con, """SELECT county, milestone, completed_date, remark, versions_loaded, file_seq, file_row
                        FROM marts.county_submissions ORDER BY county_code, milestone""") == [
        ("昌图县", "乡镇中心挂牌运行", date(2023, 9, 21), "逾期报送", 1, 1, 4),
        ("昌图县", "司法所创建计划", date(2023, 3, 19), None, 2, 2, 2),
        ("昌图县", "工作专班及落实举措", date(2023, 3, 18), None, 1, 1, 2),
        ("昌图县", "星级司法所佐证材料", date(2023, 6, 20), None, 1, 1, 3),
        ("开原市", "专项行动书面总结", date(2023, 12, 20), None, 2, 1, 7),
    ]
    # every county × milestone of the rubric is due by its deadline, whether or not the ledger has a row
    items = scored(con, "timely_submission_rate", date(2023, 12, 31),
                   "county_code, record_id, due_date, received, done_date, status, days_late",
                   record_type="工作报送台账")
    assert len(items) == 7 * 6 and {r[1]: r[2] for r in items} == default_rubric().milestones
    got = {(c, m): rest for c, m, *rest in items}
    assert got[(CHANGTU, "工作专班及落实举措")] == [date(2023, 3, 18), True, date(2023, 3, 18), "按期", 0]
    assert got[(CHANGTU, "司法所创建计划")] == [date(2023, 3, 20), True, date(2023, 3, 19), "按期", 0]
    assert got[(CHANGTU, "星级司法所佐证材料")] == [date(2023, 6, 20), True, date(2023, 6, 20), "按期", 0]
    assert got[(CHANGTU, "县级调处化解中心建成")] == [date(2023, 6, 20), False, None, "未完成", 194]
    assert got[(CHANGTU, "乡镇中心挂牌运行")] == [date(2023, 9, 20), True, date(2023, 9, 21), "逾期", 1]
    assert got[(KAIYUAN, "专项行动书面总结")] == [date(2023, 12, 15), True, date(2023, 12, 20), "逾期", 5]
    assert got[(KAIYUAN, "工作专班及落实举措")] == [date(2023, 3, 18), False, None, "未完成", 288]


def _centre(name, level, town, built, opened, staff, seq=1, row=2):
    return {"中心名称": name, "层级": level, "所属区县_code": CHANGTU, "所属乡镇(街道)_code": town, "建成日期": built,
            "挂牌运行日期": opened, "专职人民调解员数": staff, **_file(seq, row)}


def test_resolution_centres_latest_version_and_plan_target():
    con = build(resolution_center=[
        _centre("县中心", "县级", None, date(2023, 7, 1), date(2023, 7, 2), 3, seq=1),
        _centre("县中心", "县级", None, date(2023, 6, 20), date(2023, 7, 2), 3, seq=2),       # corrected: on the day
        _centre("镇中心甲", "乡镇级", CHANGTU_TOWN, date(2023, 9, 1), datetime(2023, 9, 20, 10, 0), 2, row=3),
        _centre("镇中心乙", "乡镇级", CHANGTU_TOWN2, date(2023, 5, 1), date(2023, 5, 10), 1, row=4),  # understaffed
        _centre("镇中心丙", "乡镇级", CHANGTU_TOWN2, date(2023, 9, 1), date(2023, 9, 21), 4, row=5),  # late
        _centre("镇中心丁", "乡镇级", CHANGTU_TOWN2, date(2023, 9, 1), None, 2, row=6),             # not open
        _centre("镇中心丁", "乡镇级", CHANGTU_TOWN2, date(2023, 9, 1), date(2023, 9, 2), 2, row=7),  # later row
    ])
    assert rows(con, """SELECT center_name, is_county_level, county, township, built_date, inaugurated_date,
                               full_time_mediators, versions_loaded, file_seq, file_row
                        FROM marts.resolution_centers ORDER BY center_name""") == [
        ("县中心", True, "昌图县", None, date(2023, 6, 20), date(2023, 7, 2), 3, 2, 2, 2),
        ("镇中心丁", False, "昌图县", "老城镇", date(2023, 9, 1), date(2023, 9, 2), 2, 2, 1, 7),
        ("镇中心丙", False, "昌图县", "老城镇", date(2023, 9, 1), date(2023, 9, 21), 4, 1, 1, 5),
        ("镇中心乙", False, "昌图县", "老城镇", date(2023, 5, 1), date(2023, 5, 10), 1, 1, 1, 4),
        ("镇中心甲", False, "昌图县", "昌图镇", date(2023, 9, 1), date(2023, 9, 20), 2, 1, 1, 3),
    ]
    # against the rubric (county centre built by 06-20; township centre open by 09-20 with ≥ 2 full-time mediators)
    centres = {(part, name): rest for part, name, *rest in scored(
        con, "center_build", date(2023, 12, 31), "part, record_id, in_numerator, qualifying_centres, short_staffed")
        if name in ("昌图县", "昌图镇", "老城镇")}
    assert centres == {("county", "昌图县"): [True, ["县中心"], False],
                       ("township", "昌图镇"): [True, ["镇中心甲"], False],
                       ("township", "老城镇"): [True, ["镇中心丁"], False]}


def test_extreme_incidents_latest_version():
    inc = lambda iid, poor, released, seq, row, town=None: {  # noqa: E731
        "事件编号": iid, "所属区县_code": KAIYUAN, "所属乡镇(街道)_code": town, "发生日期": date(2023, 10, 3),
        "是否因排查化解不到位引发": poor, "是否刑释解矫人员帮教期内": released, "简要情况": "…", **_file(seq, row)}
    con = build(extreme_incident=[inc("E1", "是", None, 1, 2), inc("E1", "否", "是", 2, 2, KAIYUAN_TOWN),
                                  inc("E2", "是", "否", 1, 3), inc("E2", "是", "是", 1, 4)])
    assert rows(con, """SELECT incident_id, county, township, occurred_date, is_due_to_poor_dispute_work,
                               is_by_released_person_in_assistance, versions_loaded, file_seq, file_row
                        FROM marts.extreme_incidents ORDER BY incident_id""") == [
        ("E1", "开原市", "威远堡镇", date(2023, 10, 3), False, True, 2, 2, 2),
        ("E2", "开原市", None, date(2023, 10, 3), True, True, 2, 1, 4),
    ]


def test_an_empty_export_gives_empty_marts():
    con = build()
    for mart in ("orgs", "mediators", "judicial_offices", "risk_reports", "verification_tasks", "released_persons",
                 "app_registrations", "resolution_centers", "extreme_incidents", "case_history"):
        assert rows(con, f"SELECT count(*) FROM marts.{mart}") == [(0,)], mart
    assert rows(con, "SELECT count(*) FROM marts.county_submissions") == [(0,)]


# --- case history ----------------------------------------------------------------------------------------------

def _case(case_id, entered, outcome, seq, row, mediated=None):
    return {"案件编号": case_id, "所属区县_code": CHANGTU, "所属乡镇(街道)_code": CHANGTU_TOWN, "纠纷类型_code": "02",
            "受理日期": date(2023, 3, 2), "调解日期": mediated, "调解结果": outcome, "录入时间": entered,
            "涉及人数": 2, **_file(seq, row)}


def test_case_history_orders_every_version_and_marks_the_current_one():
    con = build(
        files=[(1, "人民调解案件_昌图_2023Q1.xlsx"), (2, "人民调解案件_昌图_2023Q2.csv"), (3, "人民调解案件_补报.csv")],
        mediation_case=[
            _case("A", datetime(2023, 3, 3), "调解中", seq=1, row=2),
            _case("A", datetime(2023, 4, 20), "调解成功", seq=2, row=5, mediated=date(2023, 4, 18)),
            _case("A", datetime(2023, 3, 3), "调解中", seq=3, row=2),          # a stale copy received later
            _case("B", datetime(2023, 3, 9), "调解中", seq=1, row=3),
            _case("B", datetime(2023, 3, 9), "调解中", seq=1, row=4),          # the same row twice in one file
        ])
    assert rows(con, """SELECT case_id, version_no, versions_loaded, is_current, entered_at, file_name,
                               file_seq, file_row, outcome, changed_columns
                        FROM marts.case_history ORDER BY case_id, version_no""") == [
        ("A", 1, 3, False, datetime(2023, 3, 3), "人民调解案件_昌图_2023Q1.xlsx", 1, 2, "调解中", None),
        ("A", 2, 3, False, datetime(2023, 3, 3), "人民调解案件_补报.csv", 3, 2, "调解中", []),
        ("A", 3, 3, True, datetime(2023, 4, 20), "人民调解案件_昌图_2023Q2.csv", 2, 5, "调解成功",
         ["mediated_date", "outcome", "entered_at"]),
        ("B", 1, 2, False, datetime(2023, 3, 9), "人民调解案件_昌图_2023Q1.xlsx", 1, 3, "调解中", None),
        ("B", 2, 2, True, datetime(2023, 3, 9), "人民调解案件_昌图_2023Q1.xlsx", 1, 4, "调解中", []),
    ]
    # the current version is exactly the one marts.cases keeps
    assert rows(con, "SELECT case_id, file_seq, file_row FROM marts.case_history WHERE is_current ORDER BY 1") == \
        rows(con, "SELECT case_id, file_seq, file_row FROM marts.cases ORDER BY 1")


# --- staging ---------------------------------------------------------------------------------------------------

def test_staging_keeps_every_version_and_only_english_names():
    con = build(mediation_org=[_org("O1", "甲", CHANGTU, CHANGTU_TOWN, 1, 2),
                               _org("O1", "甲", CHANGTU, CHANGTU_TOWN, 1, 3)],
                mediator=[_mediator("M1", "O1", 1, 2)] * 3,
                risk_report=[_risk(CHANGTU_TOWN, date(2023, 3, 1), date(2023, 4, 5))] * 2)
    counts = dict(rows(con, """SELECT 'mediation_org', count(*) FROM staging.mediation_org
                               UNION ALL SELECT 'mediator', count(*) FROM staging.mediator
                               UNION ALL SELECT 'risk_report', count(*) FROM staging.risk_report"""))
    assert counts == {"mediation_org": 2, "mediator": 3, "risk_report": 2}
    for key in DATASETS:
        cols = [c for (c,) in rows(con, f"SELECT column_name FROM duckdb_columns() "
                                        f"WHERE schema_name = 'staging' AND table_name = '{key}'")]
        assert cols and {"run_id", "file_seq", "file_row"} <= set(cols), key
        assert all(c.isascii() and c == c.lower() for c in cols), (key, cols)
