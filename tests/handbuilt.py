"""Hand-built warehouses with known answers: landing rows as the ETL leaves them (contract column names, place
codes, `_file_seq` = order of the files received), built into marts by `build_models`. Shared by the scoring tests
and the tests of the pages' metrics, so both reason about the same tiny, readable data.
"""
from __future__ import annotations

import tomllib
import warnings
from datetime import date, datetime
from pathlib import Path

import duckdb

from etl import landing
from warehouse.build import build_models
from warehouse.rubric import DEFAULT_PATH, rubric_from_dict

QINGHE, KAIYUAN, DIAOBINGSHAN = "211204", "211282", "211281"
HONGQI, XIANGYANG, ZHANGXIANG, YANGMULINZI, NIEJIA = "211204001", "211204002", "211204101", "211204102", "211204203"
KAIYUAN_TOWN = "211282102"
KAIYUAN_TOWNSHIPS = 20                   # townships of 开原市 in data/tieling_townships.csv


# --- building a warehouse from given rows ---------------------------------------------------------------------

def _file(seq: int = 1, row: int = 2) -> dict:
    return {"_run_id": "r", "_file_seq": seq, "_row": row}


def build(path: Path | None = None, loads: list[tuple[str, datetime]] = (), **tables: list[dict]):
    """A warehouse with the given landing rows per dataset and meta.load_run rows (run_id, finished_at)."""
    con = duckdb.connect(str(path) if path else ":memory:")
    landing.ensure(con)
    for table, rows in tables.items():
        for r in rows:
            cols = ", ".join(f'"{k}"' for k in r)
            con.execute(f"INSERT INTO landing.{table} ({cols}) VALUES ({', '.join('?' * len(r))})", list(r.values()))
    for run_id, finished in loads:
        con.execute("INSERT INTO meta.load_run (run_id, started_at, finished_at) VALUES (?, ?, ?)",
                    [run_id, finished, finished])
    build_models(con)
    return con


def case(cid, accepted, county=QINGHE, entered=None, outcome="调解中", mediated=None, level="村(社区)",
         mediator="M0", seq=1, row=2, town=None, dispute="02", org_type=None, people=2):
    return {"案件编号": cid, "所属区县_code": county, "所属乡镇(街道)_code": town, "纠纷类型_code": dispute,
            "调解员编号": mediator, "受理日期": accepted, "调解日期": mediated, "调解结果": outcome,
            "化解层级": level, "涉及人数": people, "调解组织类型": org_type, "调解组织名称": org_type and org_type + "甲",
            "录入时间": entered or datetime.combine(mediated or accepted, datetime.min.time()), **_file(seq, row)}


def report(town, month, accepted, county=QINGHE, seq=1, row=2):
    return {"所属区县_code": county, "所属乡镇(街道)_code": town, "统计月份": month, "受理案件数": accepted,
            "调解成功数": 0, **_file(seq, row)}


def org(code, org_type="村(居)民评理说事点", county=QINGHE, town=HONGQI, founded=None, seq=1, row=2):
    return {"组织编码": code, "组织名称": code + "名称", "组织类型": org_type, "所属区县_code": county,
            "所属乡镇(街道)_code": town, "成立日期": founded, **_file(seq, row)}


def mediator(mid, org_code, kind="专职", annual=None, seq=1, row=2):
    return {"调解员编号": mid, "姓名_mask": "张*", "所属组织编码": org_code, "专兼职": kind, "年度培训日期": annual,
            **_file(seq, row)}


def task(tid, issued, status="未核查", result=None, feedback=None, county=QINGHE, seq=1, row=2):
    return {"核查编号": tid, "监狱名称": "辽宁省铁岭监狱", "身份证号_hmac": "h-" + tid, "户籍地区县_code": county,
            "户籍地乡镇(街道)_code": HONGQI if county == QINGHE else KAIYUAN_TOWN, "下发日期": issued,
            "反馈日期": feedback, "核查状态": status, "核查结果": result, **_file(seq, row)}


def person(pid, released, key="是", handover="必接必送", status="帮教中", county=QINGHE, seq=1, row=2):
    return {"人员编号": pid, "身份证号_hmac": "h-" + pid, "释放日期": released, "户籍地区县_code": county,
            "户籍地乡镇(街道)_code": HONGQI if county == QINGHE else KAIYUAN_TOWN, "衔接方式": handover,
            "是否重点帮教对象": key, "安置情况": "已安置", "帮教情况": status, **_file(seq, row)}


def registration(town, day, n, county=QINGHE, seq=1, row=2):
    return {"所属区县_code": county, "所属乡镇(街道)_code": town, "统计日期": day, "累计注册人数": n, **_file(seq, row)}


def submission(item, done, county=QINGHE, seq=1, row=2):
    return {"所属区县_code": county, "报送事项": item, "完成日期": done, **_file(seq, row)}


def risk(town, month, sent, county=QINGHE, seq=1, row=2):
    return {"所属区县_code": county, "所属乡镇(街道)_code": town, "统计月份": month, "排查次数": 1,
            "排查发现纠纷数": 0, "报送日期": sent, **_file(seq, row)}


def centre(name, level, town, built=None, opened=None, staff=2, county=QINGHE, seq=1, row=2):
    return {"中心名称": name, "层级": level, "所属区县_code": county, "所属乡镇(街道)_code": town, "建成日期": built,
            "挂牌运行日期": opened, "专职人民调解员数": staff, **_file(seq, row)}


def office(name, plan, evidence, county=QINGHE, seq=1, row=2, town=HONGQI):
    return {"司法所名称": name, "所属区县_code": county, "所属乡镇(街道)_code": town, "创建计划报送日期": plan,
            "佐证材料报送日期": evidence, **_file(seq, row)}


def incident(iid, occurred, poor, released, county=QINGHE, seq=1, row=2):
    return {"事件编号": iid, "所属区县_code": county, "发生日期": occurred, "是否因排查化解不到位引发": poor,
            "是否刑释解矫人员帮教期内": released, **_file(seq, row)}


def rubric_with(**changes):
    """The default rubric with changes given as dotted keys: rubric_with(**{"indicators.entry_rate.target": 0.5})."""
    data = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for p in parents:
            node = node[p]
        node[last] = value
    with warnings.catch_warnings():                  # weights not summing to 100: tested in test_rubric.py
        warnings.simplefilter("ignore")
        return rubric_from_dict(data, "test")


NEIGHBOURS, FAMILY = "02", "01"  # 邻里纠纷, 婚姻家庭纠纷


def small_campaign(path: Path) -> Path:
    """A small campaign in 清河区 (and one 开原市 case) whose every figure can be worked out by hand: the rows of
    tests/test_metrics.py's known answers and of the rubric-edit test."""
    build(path,
          mediation_case=[
              # 清河区: four cases in two townships; 开原市: one
              case("C1", date(2023, 3, 5), town=HONGQI, dispute=NEIGHBOURS, outcome="调解成功",
                   mediated=date(2023, 3, 10), level="村(社区)", org_type="村(居)调委会"),
              case("C2", date(2023, 3, 20), town=HONGQI, dispute=FAMILY, outcome="调解不成功",
                   mediated=date(2023, 4, 2), level="县(市、区)", org_type="村(居)调委会", row=3),
              case("C3", date(2023, 4, 10), town=XIANGYANG, dispute=NEIGHBOURS, outcome="调解成功",
                   mediated=date(2023, 4, 15), level="乡镇(街道)", mediator="M1", org_type="村(居)民评理说事点", row=4),
              case("C4", date(2023, 4, 20), town=XIANGYANG, dispute=NEIGHBOURS, row=5, org_type="村(居)调委会",
                   people=6),
              case("K1", date(2023, 3, 1), county=KAIYUAN, town=KAIYUAN_TOWN, outcome="调解成功",
                   mediated=date(2023, 3, 2), row=6)],
          monthly_case_report=[report(HONGQI, date(2023, 3, 1), 4), report(XIANGYANG, date(2023, 4, 1), 2, row=3)],
          inmate_verification=[
              task("T1", date(2023, 3, 1), "已核查", "核查成功", date(2023, 3, 20)),
              task("T2", date(2023, 3, 10), row=3),
              task("T3", date(2023, 4, 5), "已核查", "信息不符", date(2023, 4, 10), row=4),
              task("T4", date(2023, 4, 20), row=5)],
          mediation_org=[org("P1", town=HONGQI), org("P2", town=XIANGYANG, row=3)],
          mediator=[mediator("M1", "P1", annual=date(2023, 2, 1)), mediator("M2", "P2", kind="兼职", row=3)],
          resolution_center=[centre("清河区中心", "县级", None, built=date(2023, 6, 1)),
                             centre("红旗中心", "乡镇级", HONGQI, opened=date(2023, 9, 1), row=3)],
          judicial_office=[office("红旗所", date(2023, 3, 15), date(2023, 6, 10)),
                           office("向阳所", date(2023, 3, 25), None, town=XIANGYANG, row=3)],
          risk_report=[risk(HONGQI, date(2023, 3, 1), date(2023, 4, 5)),
                       risk(XIANGYANG, date(2023, 3, 1), date(2023, 4, 8), row=3)],
          county_submission=[submission("工作专班及落实举措", date(2023, 3, 18)),
                             submission("司法所创建计划", date(2023, 3, 25), row=3),
                             submission("工作专班及落实举措", date(2023, 3, 1), county=KAIYUAN, row=4)]).close()
    return path
