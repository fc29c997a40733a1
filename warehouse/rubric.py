"""The scoring rubric: weights, targets, deadlines and deductions, read from a TOML file.

The defaults of scoring.md ship as `warehouse/rubric.toml`; the bureau may edit it or pass its own
file (`--rubric`, or `RUBRIC_PATH` for the dashboard: `rubric_in_force()`). Every target, deadline, window,
campaign date and point value the product uses comes from the rubric in force; none is written in code or SQL. A file is validated whole on load: unknown keys, missing indicators or
parameters, wrong types, negative weights, targets outside 0–1 and the like are refused with a
`RubricError` whose message names every offending key; weights that do not sum to 100 only give
a warning (`Rubric.warnings`, also issued through `warnings.warn`).
"""
from __future__ import annotations

import hashlib
import os
import tomllib
import warnings
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from etl.contract import COUNTY_SUBMISSION

DEFAULT_PATH = Path(__file__).resolve().parent / "rubric.toml"
ENV_VAR = "RUBRIC_PATH"

# key -> (indicator name, the parameters besides weight/target/plan_target with their kinds)
INDICATORS: dict[str, tuple[str, dict[str, str]]] = {
    "entry_rate": ("人民调解案件录入率", {}),
    "verification_rate": ("服刑人员信息核查率", {"window_days": "days"}),
    "verification_success_rate": ("核查成功率", {}),
    "app_registration_rate": ("慧评理注册使用率", {}),
    "point_monthly_rate": ("评理说事点月度达标率", {"first_month": "month"}),
    "center_build": ("调处化解中心建设", {"county_centre_deadline": "date", "township_centre_deadline": "date",
                                      "township_centre_min_full_time": "count"}),
    "star_office": ("星级司法所创建", {"plan_deadline": "date", "evidence_deadline": "date"}),
    "local_resolution_rate": ("矛盾不上交率", {}),
    "mediation_success_rate": ("调解成功率", {}),
    "key_handover_rate": ("重点帮教对象必接必送率", {}),
    "timely_submission_rate": ("报送及时率", {"risk_report_due_day": "day_of_month"}),
    "training_rate": ("调解员培训覆盖率", {"training_from": "date"}),
}
INDICATOR_NAMES = {k: v[0] for k, v in INDICATORS.items()}

# key -> (deduction name, whether it has a cap)
DEDUCTIONS: dict[str, tuple[str, bool]] = {
    "incident_poor_work": ("个人极端案事件(因排查化解不到位引发)", False),
    "incident_released_person": ("个人极端案事件(刑释解矫人员帮教期内)", False),
    "lost_contact": ("刑满释放人员脱管、漏管", True),
}
DEDUCTION_NAMES = {k: v[0] for k, v in DEDUCTIONS.items()}

# the six 报送事项 of the 工作报送台账, as the export contract names them; their due dates are the rubric's
MILESTONE_NAMES = COUNTY_SUBMISSION.column("报送事项").enum


class RubricError(ValueError):
    """A rubric file that cannot be used; `problems` lists one message per offending key."""

    def __init__(self, problems: list[str], source: str = ""):
        self.problems = problems
        where = f"考评细则 {source} " if source else "考评细则"
        super().__init__(f"{where}有误:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class IndicatorRule:
    key: str
    name: str
    weight: float
    target: float
    plan_target: bool
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def weight_q(self) -> Fraction:
        return Fraction(str(self.weight))

    @property
    def target_q(self) -> Fraction:
        return Fraction(str(self.target))


@dataclass(frozen=True)
class DeductionRule:
    key: str
    name: str
    points: float              # per incident / person, a positive number of points taken off
    cap: float | None = None   # at most this many points in total (None: no cap)


@dataclass(frozen=True)
class Phase:
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class Rubric:
    indicators: dict[str, IndicatorRule]
    milestones: dict[str, date]
    deductions: dict[str, DeductionRule]
    source: str = "默认(warehouse/rubric.toml)"
    warnings: tuple[str, ...] = ()
    campaign_start: date = date.min          # the campaign period; every as-of date lies within it
    campaign_end: date = date.max
    phases: tuple[Phase, ...] = ()
    name: str = ""                           # what the bureau calls this rubric (its file name when unnamed)
    fingerprint: str = ""                    # the first 8 hex digits of the file's SHA-256: which version is in force

    def param(self, indicator: str, name: str) -> Any:
        return self.indicators[indicator].params[name]

    @property
    def label(self) -> str:
        """Name and short hash, as the sidebar and the downloads show which rubric is in force."""
        return f"{self.name} · {self.fingerprint}" if self.fingerprint else self.name

    def campaign_months(self) -> list[date]:
        """The first day of every month of the campaign."""
        months, m = [], self.campaign_start.replace(day=1)
        while m <= self.campaign_end:
            months.append(m)
            m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
        return months

    def to_json(self) -> dict:
        return {
            "name": self.name, "fingerprint": self.fingerprint, "source": self.source,
            "campaign": {"start": self.campaign_start.isoformat(), "end": self.campaign_end.isoformat(),
                         "phases": [{"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()}
                                    for p in self.phases]},
            "indicators": {k: {"name": r.name, "weight": r.weight, "target": r.target, "plan_target": r.plan_target,
                               **{p: (v.isoformat() if isinstance(v, date) else v) for p, v in r.params.items()}}
                           for k, r in self.indicators.items()},
            "milestones": {k: v.isoformat() for k, v in self.milestones.items()},
            "deductions": {k: {"name": d.name, "points": d.points, **({"cap": d.cap} if d.cap is not None else {})}
                           for k, d in self.deductions.items()},
        }


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Read and validate a rubric file (default: the shipped warehouse/rubric.toml)."""
    p = Path(path) if path is not None else DEFAULT_PATH
    source = "默认(warehouse/rubric.toml)" if path is None else str(p)
    try:
        raw = p.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise RubricError([f"文件不存在:{p}"], source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RubricError(["文件不是 UTF-8 编码的文本"], source) from None
    return parse_rubric(text, source, default_name=p.stem)


_LOADED: dict[tuple, Rubric] = {}


def _cached_load(path: Path | None) -> Rubric:
    """load_rubric, once per version of the file (path, size, modification time): an edited file is read again."""
    p = path or DEFAULT_PATH
    try:
        st = p.stat()
        stamp = (str(p), st.st_size, st.st_mtime_ns)
    except OSError:
        return load_rubric(path)          # raises the RubricError naming the missing file
    if stamp not in _LOADED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the warnings stay on the Rubric (Rubric.warnings) for the caller
            _LOADED[stamp] = load_rubric(path)
    return _LOADED[stamp]


def default_rubric() -> Rubric:
    """The shipped warehouse/rubric.toml."""
    return _cached_load(None)


def rubric_path() -> Path | None:
    """The rubric file the deployment names with RUBRIC_PATH (None: the shipped default)."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else None


def rubric_in_force() -> Rubric:
    """The rubric every page, download and score uses: RUBRIC_PATH when set, else the shipped default.
    A file that fails validation raises RubricError with every problem, so nothing is scored by a broken rubric."""
    return _cached_load(rubric_path())


def parse_rubric(text: str, source: str = "", default_name: str = "") -> Rubric:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError([f"TOML 格式错误:{exc}"], source) from None
    fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return rubric_from_dict(data, source, fingerprint=fingerprint, default_name=default_name)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


TOP_LEVEL = ("name", "campaign", "indicators", "milestones", "deductions")


def rubric_from_dict(data: dict, source: str = "", fingerprint: str = "", default_name: str = "") -> Rubric:
    """Validate a parsed rubric; every problem found is reported at once, each naming its key."""
    problems: list[str] = []

    for key in data:
        if key not in TOP_LEVEL:
            problems.append(f"{key}:未知的配置项(只允许 {'、'.join(TOP_LEVEL)})")
    title = data.get("name", default_name or "考评细则")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"name:细则名称应为非空文字,实际为 {title!r}")
        title = default_name
    start, end, phases = _campaign(data.get("campaign"), problems)

    # --- indicators -------------------------------------------------------------------------------------------
    indicators: dict[str, IndicatorRule] = {}
    for key, where, entry in _tables(data, "indicators", {k: v[0] for k, v in INDICATORS.items()}, "指标",
                                     "缺少指标配置([indicators.*])", problems):
        name, param_kinds = INDICATORS[key]
        allowed = {"weight", "target", "plan_target", *param_kinds}
        for k in entry:
            if k not in allowed:
                problems.append(f"{where}.{k}:未知的配置项(可用:{'、'.join(sorted(allowed))})")
        weight, target, plan = entry.get("weight"), entry.get("target"), entry.get("plan_target")
        found = len(problems)
        if weight is None:
            problems.append(f"{where}.weight:缺少权重")
        elif not _is_number(weight):
            problems.append(f"{where}.weight:权重应为数字,实际为 {weight!r}")
        elif weight < 0:
            problems.append(f"{where}.weight:权重不能为负数({weight})")
        if target is None:
            problems.append(f"{where}.target:缺少目标值")
        elif not _is_number(target):
            problems.append(f"{where}.target:目标值应为 0 到 1 之间的小数,实际为 {target!r}")
        elif not 0 <= target <= 1:
            problems.append(f"{where}.target:目标值应在 0 到 1 之间(如 90% 写作 0.90),实际为 {target}")
        if plan is None:
            problems.append(f"{where}.plan_target:缺少(true 表示目标来自方案,未达标列入通报)")
        elif not isinstance(plan, bool):
            problems.append(f"{where}.plan_target:应为 true 或 false,实际为 {plan!r}")
        params: dict[str, Any] = {}
        for pname, kind in param_kinds.items():
            value = entry.get(pname)
            msg = _check_param(kind, value)
            if msg:
                problems.append(f"{where}.{pname}:{msg}")
            else:
                params[pname] = value
        ok = len(problems) == found
        if ok:
            indicators[key] = IndicatorRule(key, name, weight, target, plan, params)

    # --- milestones -------------------------------------------------------------------------------------------
    milestones: dict[str, date] = {}
    section = data.get("milestones")
    if not isinstance(section, dict):
        problems.append("milestones:缺少工作报送台账事项的截止日期([milestones])")
        section = {}
    for key, value in section.items():
        if key not in MILESTONE_NAMES:
            problems.append(f"milestones.{key}:未知的报送事项(可用:{'、'.join(MILESTONE_NAMES)})")
    for name in MILESTONE_NAMES:
        value = section.get(name)
        msg = _check_param("date", value) if name in section else "缺少该事项的截止日期"
        if msg:
            problems.append(f"milestones.{name}:{msg}")
        else:
            milestones[name] = value

    # --- deductions -------------------------------------------------------------------------------------------
    deductions: dict[str, DeductionRule] = {}
    for key, where, entry in _tables(data, "deductions", {k: v[0] for k, v in DEDUCTIONS.items()}, "扣分项",
                                     "缺少扣分项配置([deductions.*])", problems):
        name, capped = DEDUCTIONS[key]
        allowed = {"points", "cap"} if capped else {"points"}
        for k in entry:
            if k not in allowed:
                problems.append(f"{where}.{k}:未知的配置项(可用:{'、'.join(sorted(allowed))})")
        found = len(problems)
        for k in sorted(allowed):
            v = entry.get(k)
            if v is None:
                problems.append(f"{where}.{k}:缺少" + ("每起/每人扣分" if k == "points" else "扣分上限"))
            elif not _is_number(v):
                problems.append(f"{where}.{k}:应为数字,实际为 {v!r}")
            elif v < 0:
                problems.append(f"{where}.{k}:扣分请写正数(表示扣多少分),实际为 {v}")
        ok = len(problems) == found
        if ok:
            deductions[key] = DeductionRule(key, name, entry["points"], entry.get("cap") if capped else None)

    for key, due in milestones.items():
        if start and end and not start <= due <= end:
            problems.append(f"milestones.{key}:截止日期 {due} 不在专项行动期间({start} 至 {end})内")

    if problems:
        raise RubricError(problems, source)

    notes = []
    total = sum((r.weight_q for r in indicators.values()), Fraction(0))
    if total != 100:
        notes.append(f"十二项指标权重之和为 {float(total):g},不是 100(总分满分随之改变)")
    for note in notes:
        warnings.warn(f"考评细则 {source}:{note}", stacklevel=3)
    return Rubric(indicators, milestones, deductions, source or "(未命名)", tuple(notes), start, end, phases,
                  title.strip(), fingerprint)


def _campaign(section: Any, problems: list[str]) -> tuple[date | None, date | None, tuple[Phase, ...]]:
    """[campaign] start, end and its [[campaign.phases]], each checked; (None, None, ()) when unusable."""
    if not isinstance(section, dict):
        problems.append("campaign:缺少专项行动期间([campaign] start、end 与各阶段 [[campaign.phases]])")
        return None, None, ()
    for k in section:
        if k not in ("start", "end", "phases"):
            problems.append(f"campaign.{k}:未知的配置项(可用:start、end、phases)")
    start, end = section.get("start"), section.get("end")
    for k, v in (("start", start), ("end", end)):
        msg = _check_param("date", v)
        if msg:
            problems.append(f"campaign.{k}:{msg}")
    if _check_param("date", start) or _check_param("date", end):
        return None, None, ()
    if start > end:
        problems.append(f"campaign.end:结束日期 {end} 早于开始日期 {start}")
        return None, None, ()
    phases, raw = [], section.get("phases", [])
    if not isinstance(raw, list) or not raw:
        problems.append("campaign.phases:至少写一个阶段([[campaign.phases]],含 name、start、end)")
        raw = []
    for i, p in enumerate(raw, 1):
        where = f"campaign.phases[{i}]"
        if not isinstance(p, dict):
            problems.append(f"{where}:应为一个表([[campaign.phases]])")
            continue
        found = len(problems)
        for k in p:
            if k not in ("name", "start", "end"):
                problems.append(f"{where}.{k}:未知的配置项(可用:name、start、end)")
        if not isinstance(p.get("name"), str) or not p["name"].strip():
            problems.append(f"{where}.name:阶段名称应为非空文字")
        for k in ("start", "end"):
            msg = _check_param("date", p.get(k))
            if msg:
                problems.append(f"{where}.{k}:{msg}")
        if len(problems) > found:
            continue
        if not start <= p["start"] <= p["end"] <= end:
            problems.append(f"{where}:阶段 {p['start']} 至 {p['end']} 应在专项行动期间({start} 至 {end})内,且开始不晚于结束")
        elif phases and p["start"] <= phases[-1].end:
            problems.append(f"{where}:阶段开始日期 {p['start']} 应晚于上一阶段的结束日期 {phases[-1].end}")
        else:
            phases.append(Phase(p["name"].strip(), p["start"], p["end"]))
    return start, end, tuple(phases)


def _tables(data: dict, section_name: str, known: dict[str, str], kind: str, missing_section: str,
            problems: list[str]):
    """Each known [section.key] table, in rubric order; unknown, missing and malformed keys go to problems."""
    section = data.get(section_name)
    if not isinstance(section, dict):
        problems.append(f"{section_name}:{missing_section}")
        section = {}
    for key in section:
        if key not in known:
            problems.append(f"{section_name}.{key}:未知的{kind}(可用:{'、'.join(known)})")
    for key, name in known.items():
        where = f"{section_name}.{key}"
        entry = section.get(key)
        if entry is None:
            problems.append(f"{where}:缺少{kind}「{name}」")
        elif not isinstance(entry, dict):
            problems.append(f"{where}:应为一个表([{where}])")
        else:
            yield key, where, entry


def _check_param(kind: str, value: Any) -> str | None:
    if value is None:
        return "缺少该参数"
    if kind == "date":
        if not isinstance(value, date) or hasattr(value, "hour"):
            return f"应为日期(如 2023-06-20,不加引号),实际为 {value!r}"
    elif kind == "month":
        if not isinstance(value, date) or hasattr(value, "hour") or value.day != 1:
            return f"应为某月 1 日的日期(如 2023-04-01),实际为 {value!r}"
    elif kind == "days":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"应为不小于 0 的整数天数,实际为 {value!r}"
    elif kind == "count":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"应为不小于 0 的整数,实际为 {value!r}"
    elif kind == "day_of_month":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 28:
            return f"应为 1 到 28 之间的整数(次月几日),实际为 {value!r}"
    return None
