"""The rubric file: the shipped defaults are the spec's, and a changed file is validated naming the bad key."""
from __future__ import annotations

import fnmatch
import tomllib
import warnings
from datetime import date
from pathlib import Path

import pytest

from etl.contract import MILESTONES
from warehouse.__main__ import main
from warehouse.rubric import DEFAULT_PATH, RubricError, load_rubric, parse_rubric

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEXT = DEFAULT_PATH.read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    assert DEFAULT_TEXT.count(old) == 1, old
    return DEFAULT_TEXT.replace(old, new)


def refused(text: str) -> str:
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "custom.toml")
    return str(info.value)


def test_the_shipped_rubric_is_the_spec_default():
    rubric = load_rubric()
    assert rubric.warnings == ()
    assert {k: (r.weight, r.target, r.plan_target) for k, r in rubric.indicators.items()} == {
        "entry_rate": (15, 0.90, True), "verification_rate": (10, 0.90, True),
        "verification_success_rate": (10, 0.90, True), "app_registration_rate": (10, 0.10, True),
        "point_monthly_rate": (10, 1.00, True), "center_build": (10, 1.00, True), "star_office": (5, 1.00, True),
        "local_resolution_rate": (10, 0.95, False), "mediation_success_rate": (5, 0.95, False),
        "key_handover_rate": (5, 1.00, True), "timely_submission_rate": (5, 1.00, True),
        "training_rate": (5, 1.00, False)}
    assert sum(r.weight for r in rubric.indicators.values()) == 100
    assert rubric.param("verification_rate", "window_days") == 30
    assert rubric.param("point_monthly_rate", "first_month") == date(2023, 4, 1)
    assert rubric.indicators["center_build"].params == {
        "county_centre_deadline": date(2023, 6, 20), "township_centre_deadline": date(2023, 9, 20),
        "township_centre_min_full_time": 2}
    assert rubric.indicators["star_office"].params == {"plan_deadline": date(2023, 3, 20),
                                                       "evidence_deadline": date(2023, 6, 20)}
    assert rubric.param("timely_submission_rate", "risk_report_due_day") == 5
    assert rubric.param("training_rate", "training_from") == date(2023, 1, 1)
    # the plan's deadlines (scoring.md), for the ledger's six items as the contract names them
    assert {k: v.isoformat() for k, v in rubric.milestones.items()} == {
        "工作专班及落实举措": "2023-03-18", "司法所创建计划": "2023-03-20", "星级司法所佐证材料": "2023-06-20",
        "县级调处化解中心建成": "2023-06-20", "乡镇中心挂牌运行": "2023-09-20", "专项行动书面总结": "2023-12-15"}
    assert tuple(rubric.milestones) == MILESTONES
    # the campaign and its three phases (铁司发〔2023〕002号)
    assert (rubric.campaign_start, rubric.campaign_end) == (date(2023, 3, 1), date(2023, 12, 31))
    assert [(p.name, p.start, p.end) for p in rubric.phases] == [
        ("梳理准备阶段", date(2023, 3, 1), date(2023, 3, 20)), ("攻坚预防阶段", date(2023, 3, 21), date(2023, 11, 30)),
        ("总结验收阶段", date(2023, 12, 1), date(2023, 12, 31))]
    assert rubric.name == "铁岭市矛盾纠纷预防化解专项行动年终考评细则(默认)" and len(rubric.fingerprint) == 8
    assert {k: (d.points, d.cap) for k, d in rubric.deductions.items()} == {
        "incident_poor_work": (10, None), "incident_released_person": (10, None), "lost_contact": (1, 5)}


def test_a_custom_file_is_read_from_its_path(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_text(edited("weight = 15\ntarget = 0.90", "weight = 15\ntarget = 0.80"), encoding="utf-8")
    rubric = load_rubric(path)
    assert rubric.indicators["entry_rate"].target == 0.80 and rubric.source == str(path)
    with pytest.raises(RubricError, match="文件不存在"):
        load_rubric(tmp_path / "missing.toml")


@pytest.mark.parametrize("text, key, words", [
    (DEFAULT_TEXT + "\n[scoring]\nyear = 2023\n", "scoring", "未知的配置项"),
    (edited("[indicators.training_rate]", "[indicators.training_rates]"), "indicators.training_rates", "未知的指标"),
    (edited("weight = 15\n", "wieght = 15\n"), "indicators.entry_rate.wieght", "未知的配置项"),
    (edited("weight = 15\n", ""), "indicators.entry_rate.weight", "缺少权重"),
    (edited("weight = 15\n", "weight = -15\n"), "indicators.entry_rate.weight", "不能为负数"),
    (edited("weight = 15\n", 'weight = "15"\n'), "indicators.entry_rate.weight", "应为数字"),
    (edited("target = 0.10\n", "target = 10\n"), "indicators.app_registration_rate.target", "0 到 1 之间"),
    (edited("target = 0.10\n", "target = -0.1\n"), "indicators.app_registration_rate.target", "0 到 1 之间"),
    (edited("target = 0.10\nplan_target = true\n", "target = 0.10\nplan_target = \"是\"\n"),
     "indicators.app_registration_rate.plan_target", "true 或 false"),
    (edited("window_days = 30", "window_days = -1"), "indicators.verification_rate.window_days", "不小于 0"),
    (edited("evidence_deadline = 2023-06-20", 'evidence_deadline = "6月20日"'),
     "indicators.star_office.evidence_deadline", "应为日期"),
    (edited("first_month = 2023-04-01", "first_month = 2023-04-15"),
     "indicators.point_monthly_rate.first_month", "1 日"),
    (edited("risk_report_due_day = 5", "risk_report_due_day = 31"),
     "indicators.timely_submission_rate.risk_report_due_day", "1 到 28"),
    (edited('"专项行动书面总结" = 2023-12-15\n', ""), "milestones.专项行动书面总结", "缺少"),
    (edited('"专项行动书面总结" = 2023-12-15\n', '"专项行动总结" = 2023-12-15\n'), "milestones.专项行动总结",
     "未知的报送事项"),
    (edited("points = 1\ncap = 5", "points = 1\ncap = -5"), "deductions.lost_contact.cap", "正数"),
    (edited("[deductions.incident_poor_work]\npoints = 10", "[deductions.incident_poor_work]\npoints = -10"),
     "deductions.incident_poor_work.points", "正数"),
    (edited("[deductions.incident_poor_work]\npoints = 10", "[deductions.incident_poor_work]\npoints = 10\ncap = 20"),
     "deductions.incident_poor_work.cap", "未知的配置项"),
])
def test_a_bad_rubric_is_refused_naming_the_key(text, key, words):
    message = refused(text)
    assert f"{key}:" in message and words in message
    assert "custom.toml" in message


def test_a_missing_indicator_is_refused_and_every_problem_is_listed():
    start = DEFAULT_TEXT.index("[indicators.training_rate]")
    end = DEFAULT_TEXT.index("# 工作报送台账")
    text = (DEFAULT_TEXT[:start] + DEFAULT_TEXT[end:]).replace("target = 0.95", "target = 95")
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "custom.toml")
    assert info.value.problems == [
        "indicators.local_resolution_rate.target:目标值应在 0 到 1 之间(如 90% 写作 0.90),实际为 95",
        "indicators.mediation_success_rate.target:目标值应在 0 到 1 之间(如 90% 写作 0.90),实际为 95",
        "indicators.training_rate:缺少指标「调解员培训覆盖率」"]


def test_a_toml_syntax_error_is_refused():
    assert "TOML 格式错误" in refused(DEFAULT_TEXT + "\n[indicators.entry_rate\n")


def test_weights_not_summing_to_100_only_warn():
    text = edited("weight = 15\n", "weight = 20\n")
    with pytest.warns(UserWarning, match="权重之和为 105"):
        rubric = parse_rubric(text, "custom.toml")
    assert rubric.indicators["entry_rate"].weight == 20
    assert rubric.warnings == ("十二项指标权重之和为 105,不是 100(总分满分随之改变)",)


def test_cli_refuses_a_bad_rubric_and_prints_the_weight_warning(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(edited("target = 0.10\n", "target = 1.5\n"), encoding="utf-8")
    assert main(["score", "--warehouse", str(tmp_path / "w.duckdb"), "--rubric", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "indicators.app_registration_rate.target" in err and "错误" in err

    import duckdb

    from etl import landing
    from warehouse.build import build_models

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    landing.ensure(con)
    build_models(con)
    con.close()
    odd = tmp_path / "odd.toml"
    odd.write_text(edited("weight = 15\n", "weight = 5\n"), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # the CLI prints the warning instead of warning twice
        assert main(["score", "--warehouse", str(tmp_path / "w.duckdb"), "--rubric", str(odd),
                     "--output", str(tmp_path / "s.json")]) == 0
    err = capsys.readouterr().err
    assert "提示:考评细则" in err and "权重之和为 90" in err
    assert (tmp_path / "s.json").read_text(encoding="utf-8").startswith("{")


def test_the_package_ships_the_rubric_and_the_scoring_sql():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["warehouse"]
    shipped = [p.relative_to(ROOT / "warehouse").as_posix() for p in (ROOT / "warehouse").rglob("*")
               if p.is_file() and (p.name == "rubric.toml" or p.parent.name == "scoring")]
    assert "rubric.toml" in shipped and "sql/scoring/entry_rate.sql" in shipped
    for rel in shipped:
        assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), rel
