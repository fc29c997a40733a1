"""The demo generator (python -m etl.simulate) follows the export contract, is deterministic, and has the
promised shape.

Most tests read the generated files directly (csv module, openpyxl) and check them against etl.contract and
the reference data, so they do not depend on the ETL; one test also loads every file through the ETL's reader,
normaliser and rules, which must find nothing to quarantine.
"""
from __future__ import annotations

import csv
import inspect
import io
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import openpyxl
import pytest

from etl import reference
from etl.contract import DATASETS, MEDIATION_CASE
from etl.simulate import generate
from etl.simulate.world import build_world
from tests.conftest import ROOT, fetch

CAMPAIGN = (date(2023, 3, 1), date(2023, 12, 31))
QUARTER_FILES = {
    "mediation_case": [f"人民调解案件_2023Q{q}.{ext}" for q, ext in zip("1234", ("xlsx", "csv", "csv", "xlsx"))],
    "monthly_case_report": [f"人民调解统计月报_2023Q{q}.{ext}" for q, ext in zip("1234", ("csv", "xlsx", "csv", "xlsx"))],
}
RURAL, URBAN = ("211224", "211223", "211221", "211282"), ("211202", "211204")


# ---------------------------------------------------------------- reading files without the ETL

@dataclass
class Table:
    titles: list[list]        # rows above the header
    header: list[str]
    rows: list[list]          # data rows, cells as stored (None when empty)
    total: list | None        # trailing 合计/总计 row
    sheets: list[str]


def _dataset_of(name: str):
    return next(d for d in sorted(DATASETS.values(), key=lambda d: -len(d.prefix)) if name.startswith(d.prefix))


def read_raw(path: Path, encoding: str = "xlsx") -> Table:
    dataset = _dataset_of(path.name)
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        sheets = list(wb.sheetnames)
        ws = wb[dataset.prefix] if dataset.prefix in sheets else wb[sheets[0]]
        cells = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        text = path.read_bytes().decode(encoding)
        cells = [[c if c != "" else None for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
        sheets = []
    names = {c.name for c in dataset.columns}
    at = next(i for i, r in enumerate(cells) if {c for c in r if c is not None} <= names and sum(c is not None for c in r) > 1)
    header = [c for c in cells[at] if c is not None]
    rows = [(r + [None] * len(header))[: len(header)] for r in cells[at + 1:]]
    total = rows.pop() if rows and any(c in ("合计", "总计") for c in rows[-1]) else None
    return Table(cells[:at], header, rows, total, sheets)


def records(table: Table) -> list[dict]:
    return [dict(zip(table.header, r)) for r in table.rows]


def when(value) -> tuple[datetime, str] | None:
    """A date or datetime cell and the form it was written in (excel, iso, slash, cn)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value, "excel"
    m = re.fullmatch(r"(\d{4})([-/年])(\d{1,2})[-/月](\d{1,2})日?(?: (\d{2}):(\d{2})(?::(\d{2}))?)?", value)
    assert m, value
    form = {"-": "iso", "/": "slash", "年": "cn"}[m[2]]
    y, mo, d, h, mi, s = (int(x) if x else 0 for x in (m[1], m[3], m[4], m[5], m[6], m[7]))
    return datetime(y, mo, d, h, mi, s), form


def day(value) -> date | None:
    parsed = when(value)
    return parsed[0].date() if parsed else None


def gb11643_ok(text: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", text):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(text, weights)) % 11] == text[17]


# ---------------------------------------------------------------- place names, from the reference data only

SUFFIX = re.compile(r"(满族乡|民族乡|街道|镇|乡)$")


@cache
def _places():
    counties = dict(reference.counties().select("code", "name").iter_rows())
    townships = defaultdict(dict)
    for code, name, county in reference.townships().select("code", "name", "county_code").iter_rows():
        townships[county][code] = name
    villages = defaultdict(dict)
    for code, name, township in reference.villages().select("code", "name", "township_code").iter_rows():
        villages[township][code] = name
    return counties, townships, villages


def county_code(text: str) -> str:
    counties, _, _ = _places()
    found = [c for c, n in counties.items() if text in (n, n + "司法局") or (text == n[:-1] and n != "铁岭县")]
    assert len(found) == 1, text
    return found[0]


def township_code(county: str, text: str) -> str:
    names = _places()[1][county]
    found = [c for c, n in names.items() if n == text] or \
            [c for c, n in names.items() if SUFFIX.sub("", n) == text != n]
    assert len(found) == 1, (county, text)
    return found[0]


def village_code(township: str, text: str) -> str:
    found = [c for c, n in _places()[2][township].items() if n == text]
    assert found, (township, text)
    return found[0]


# ---------------------------------------------------------------- fixtures

def _load(inbox: Path) -> dict:
    manifest = json.loads((inbox / ".simulate-manifest.json").read_text(encoding="utf-8"))
    tables = {f["file"]: read_raw(inbox / f["file"], f["encoding"]) for f in manifest["files"]
              if f["dataset"] in QUARTER_FILES}
    cases = [{**r, "_file": name} for name in QUARTER_FILES["mediation_case"] for r in records(tables[name])]
    reports = [{**r, "_file": name} for name in QUARTER_FILES["monthly_case_report"] for r in records(tables[name])]
    return {"inbox": inbox, "manifest": manifest, "tables": tables, "cases": cases, "reports": reports}


@pytest.fixture(scope="module")
def small(demo_inbox) -> dict:
    """conftest's session demo (seed 7, scale 0.1), read raw."""
    return _load(demo_inbox)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("sim_scale1")
    generate(out, seed=2023, scale=1.0)
    return _load(out)


def latest(cases: list[dict]) -> dict[str, dict]:
    """One row per case: its latest version (the latest 录入时间)."""
    out: dict[str, dict] = {}
    for r in cases:
        if r["案件编号"] not in out or when(r["录入时间"])[0] > when(out[r["案件编号"]]["录入时间"])[0]:
            out[r["案件编号"]] = r
    return out


# ---------------------------------------------------------------- files, formats, layout

def test_cli_defaults_and_summary(tmp_path):
    params = inspect.signature(generate).parameters
    assert params["seed"].default == 2023 and params["scale"].default == 1.0
    done = subprocess.run([sys.executable, "-m", "etl.simulate", "--out", str(tmp_path), "--seed", "3",
                           "--scale", "0.02"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / ".simulate-manifest.json").read_text(encoding="utf-8"))
    assert (manifest["seed"], manifest["scale"]) == (3, 0.02)
    for f in manifest["files"]:
        assert f["file"] in done.stdout
    assert "件案件" in done.stdout.splitlines()[-1]


def test_files_formats_and_encodings(small):
    inbox, manifest = small["inbox"], small["manifest"]
    on_disk = sorted(p.name for p in inbox.iterdir() if not p.name.startswith("."))
    assert sorted(f["file"] for f in manifest["files"]) == on_disk
    for dataset, names in QUARTER_FILES.items():
        assert [f["file"] for f in manifest["files"] if f["dataset"] == dataset] == names
    enc = {f["file"]: f["encoding"] for f in manifest["files"]}
    assert [enc[n] for n in QUARTER_FILES["mediation_case"]] == ["xlsx", "gb18030", "utf-8-sig", "xlsx"]
    assert {"xlsx", "gb18030", "utf-8-sig"} <= {enc[n] for n in QUARTER_FILES["monthly_case_report"]}
    for name, encoding in enc.items():
        data = (inbox / name).read_bytes()
        if encoding == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            data.decode("gb18030")
        elif encoding == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf")
        elif encoding == "xlsx":
            assert data.startswith(b"PK")
    q4 = small["tables"]["人民调解案件_2023Q4.xlsx"]
    assert q4.sheets == ["说明", "人民调解案件"]
    assert read_raw(inbox / "人民调解案件_2023Q4.xlsx").rows  # the data sheet, found by its name
    wb = openpyxl.load_workbook(inbox / "人民调解案件_2023Q4.xlsx", read_only=True)
    assert "人民调解案件" in str(next(wb["说明"].iter_rows(values_only=True))[0])
    wb.close()
    # the manifest counts the data rows of every file (duplicates included)
    for f in manifest["files"]:
        if f["dataset"] in QUARTER_FILES:
            assert len(small["tables"][f["file"]].rows) == f["rows"], f["file"]


def test_titles_headers_and_totals(small):
    for name, table in small["tables"].items():
        dataset = _dataset_of(name)
        contract = [c.name for c in dataset.columns]
        assert 1 <= len(table.titles) <= 3, name
        assert all(sum(c is not None for c in row) == 1 for row in table.titles), name
        assert sorted(table.header) == sorted(contract), name
    case_orders = [small["tables"][n].header == [c.name for c in MEDIATION_CASE.columns]
                   for n in QUARTER_FILES["mediation_case"]]
    assert case_orders.count(False) == 1 and case_orders.count(True) == 3   # one file with shuffled columns
    assert any(re.fullmatch(r"导出时间:\d{4}-\d{2}-\d{2} \d{2}:\d{2}", str(t[0] or ""))
               for n in QUARTER_FILES["mediation_case"] for t in small["tables"][n].titles)
    for name in QUARTER_FILES["mediation_case"]:
        assert small["tables"][name].total is None
    for name in QUARTER_FILES["monthly_case_report"]:
        table = small["tables"][name]
        assert table.total is not None, name
        total = dict(zip(table.header, table.total))
        if table.header[0] not in ("受理案件数", "调解成功数"):
            assert table.total[0] == "合计"
        assert "合计" in table.total
        for col in ("受理案件数", "调解成功数"):
            assert int(total[col]) == sum(int(r[col]) for r in records(table)), (name, col)


def test_dates_are_written_in_several_forms(small):
    forms = Counter()
    for r in small["cases"]:
        for col in ("受理日期", "调解日期", "录入时间"):
            parsed = when(r[col])
            if parsed:
                forms[(r["_file"], parsed[1])] += 1
    assert {f for (_, f) in forms} >= {"excel", "slash", "cn"}
    for name in QUARTER_FILES["mediation_case"]:           # one form per file; real dates in the workbooks
        file_forms = {f for (n, f) in forms if n == name}
        assert file_forms == ({"excel"} if name.endswith(".xlsx") else file_forms) and len(file_forms) == 1
    months = {r["统计月份"] for r in small["reports"]}
    assert all(re.fullmatch(r"2023-(0[3-9]|1[0-2])|2023年([3-9]|1[0-2])月", m) for m in months)
    assert any("年" in m for m in months) and any("-" in m for m in months)


# ---------------------------------------------------------------- case rows

def test_case_rows_follow_the_contract(small):
    types = reference.dispute_types()
    dispute_names = set(types["name"]) | {a for al in types["aliases"].drop_nulls() for a in al.split("|") if a}
    enums = {c.name: c.enum for c in MEDIATION_CASE.columns if c.enum}
    required = MEDIATION_CASE.required
    cases = small["cases"]
    assert cases
    for r in cases:
        for col in required:
            assert r[col] not in (None, ""), (col, r)
        for col, allowed in enums.items():
            assert r[col] is None or r[col] in allowed, (col, r[col])
        assert r["纠纷类型"] in dispute_names
        assert re.fullmatch(r"\(2023\)辽(\d{4})民调字第\d{5,}号", r["案件编号"])
        assert r["案件编号"][7:11] == county_code(r["所属区县"])[2:]
        people = int(r["涉及人数"])
        assert people >= 1
        if r["涉及金额(元)"] is not None:
            money = r["涉及金额(元)"]
            if isinstance(money, str):
                assert re.fullmatch(r"\d+\.\d{2}", money)
            else:
                assert money >= 0 and round(money, 2) == money
        names, ids = (r["当事人姓名"] or "").split("、"), (r["当事人身份证号"] or "").split("、")
        assert len(names) == len(ids) <= min(people, 4)
        for pid in ids:
            assert gb11643_ok(pid), pid
            born = date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))
            assert date(1940, 1, 1) <= born <= date(2003, 12, 31)
        accepted, mediated, entered = day(r["受理日期"]), day(r["调解日期"]), when(r["录入时间"])[0]
        assert CAMPAIGN[0] <= accepted <= CAMPAIGN[1]
        assert (mediated is None) == (r["调解结果"] == "调解中")
        if mediated:
            assert 0 <= (mediated - accepted).days <= 30
        assert entered.date() >= accepted
        success = r["调解结果"] == "调解成功"
        assert (r["协议形式"] is not None) == success and (r["履行情况"] is not None) == success
        assert (r["所属村(社区)"] is not None) == (r["化解层级"] == "村(社区)")


def test_entry_times(small):
    """A case is entered 0–10 days after 受理日期; a row with a later 录入时间 is the update that entered the
    result, one to three days after 调解日期 (an export shows each case as it stood, with its latest 录入时间)."""
    late = 0
    for r in small["cases"]:
        accepted, mediated, entered = day(r["受理日期"]), day(r["调解日期"]), when(r["录入时间"])[0]
        if (entered.date() - accepted).days > 10:
            late += 1
            assert mediated is not None and 1 <= (entered.date() - mediated).days <= 3, r
        if r["调解结果"] == "调解中":
            assert 0 <= (entered.date() - accepted).days <= 10
        assert entered.second == 0 or entered.hour < 18
    assert late < len(small["cases"]) / 2


def test_places_are_real(small):
    forms = Counter()
    for r in small["cases"] + small["reports"]:
        county = county_code(r["所属区县"])
        forms["county_short" if len(r["所属区县"]) == 2 and r["所属区县"] not in ("铁岭县",) else
              "county_bureau" if r["所属区县"].endswith("司法局") else "county_full"] += 1
        township = township_code(county, r["所属乡镇(街道)"])
        forms["township_short" if r["所属乡镇(街道)"] != _places()[1][county][township] else "township_full"] += 1
        if r.get("所属村(社区)"):
            village_code(township, r["所属村(社区)"])
    assert {"county_short", "county_bureau", "county_full", "township_short", "township_full"} <= set(forms)


def test_mediators_and_organisations_come_from_the_world(small):
    world = build_world(small["manifest"]["seed"])
    assert any(m.full_time for m in world.mediators.values()) and not all(m.full_time for m in world.mediators.values())
    kinds = Counter(o.type for o in world.orgs.values())
    assert kinds["村(居)民评理说事点"] == kinds["村(居)调委会"] == len(reference.villages())
    assert kinds["乡镇(街道)调委会"] == len(reference.townships())
    assert kinds["矛盾纠纷调处化解中心"] == len(reference.counties())
    levels = {"村(居)民评理说事点": {"村(社区)"}, "村(居)调委会": {"村(社区)"}, "乡镇(街道)调委会": {"乡镇(街道)"},
              "个人品牌调解工作室": {"乡镇(街道)"}, "行业性专业性调委会": {"县(市、区)", "市"},
              "矛盾纠纷调处化解中心": {"县(市、区)", "市"}}
    for r in small["cases"]:
        assert re.fullmatch(r"TJ\d{6}-\d{5}", r["调解员编号"])
        mediator = world.mediators[r["调解员编号"]]
        org = world.orgs[mediator.org]
        assert r["调解员编号"] in org.mediators
        assert (org.name, org.type) == (r["调解组织名称"], r["调解组织类型"])
        assert r["调解员姓名"] == mediator.name
        county = county_code(r["所属区县"])
        assert org.county == county
        assert r["化解层级"] in levels[org.type]
        if org.type in ("村(居)民评理说事点", "村(居)调委会", "乡镇(街道)调委会", "个人品牌调解工作室"):
            township = township_code(county, r["所属乡镇(街道)"])
            assert org.township == township
            if org.village:
                assert org.village == village_code(township, r["所属村(社区)"])


def test_updates_and_duplicates(small):
    by_case = defaultdict(list)
    for r in small["cases"]:
        by_case[r["案件编号"]].append(r)
    updated = 0
    for case_id, versions in by_case.items():
        files = [v["_file"] for v in versions]
        assert len({day(v["受理日期"]) for v in versions}) == 1
        if len(set(files)) > 1:
            updated += 1
            versions.sort(key=lambda v: QUARTER_FILES["mediation_case"].index(v["_file"]))
            times = [when(v["录入时间"])[0] for v in versions]
            assert times == sorted(times) and times[0] < times[-1]
            assert versions[0]["调解结果"] == "调解中" and versions[-1]["调解结果"] != "调解中"
        for name in set(files):   # twice in one file only as identical rows
            same_file = [{k: v for k, v in x.items()} for x in versions if x["_file"] == name]
            if len(same_file) > 1:
                key = lambda x: (day(x["受理日期"]), day(x["调解日期"]), when(x["录入时间"])[0], x["调解结果"],
                                 x["当事人身份证号"], x["调解员编号"])
                assert len({key(x) for x in same_file}) == 1, case_id
    assert updated >= 20
    rows = sum(len(small["tables"][n].rows) for n in QUARTER_FILES["mediation_case"])
    duplicated = sum(len(t.rows) - len({tuple(r) for r in t.rows})
                     for n, t in small["tables"].items() if n in QUARTER_FILES["mediation_case"])
    assert 0.005 * rows <= duplicated <= 0.02 * rows


def test_monthly_reports(small):
    reports = small["reports"]
    keys = Counter()
    for r in reports:
        accepted, succeeded = int(r["受理案件数"]), int(r["调解成功数"])
        assert 0 <= succeeded <= accepted
        county = county_code(r["所属区县"])
        month = int(re.search(r"(\d{1,2})月?$", r["统计月份"])[1])
        keys[(county, township_code(county, r["所属乡镇(街道)"]), month)] += 1
    assert len(keys) == len(reference.townships()) * 10 and set(keys.values()) == {1}


def test_manifest_truth_matches_the_files(small):
    manifest = small["manifest"]
    entered, reported = defaultdict(set), Counter()
    for r in small["cases"]:
        entered[county_code(r["所属区县"])].add(r["案件编号"])
    for r in small["reports"]:
        reported[county_code(r["所属区县"])] += int(r["受理案件数"])
    for truth in manifest["counties"].values():
        assert truth["cases_entered"] == len(entered[truth["county_code"]])
        assert truth["cases_reported"] == reported[truth["county_code"]]
        assert truth["cases_entered"] <= truth["cases_real"]


def test_every_file_loads_through_the_etl_without_a_quarantined_row(demo_inbox, demo_warehouse):
    """Read back through the ETL (the session's demo warehouse is these files, loaded): headers are the contract's
    and no row breaks a rule."""
    from etl.read import read_file

    names = []
    for path in sorted(p for p in demo_inbox.iterdir() if not p.name.startswith(".")):
        raw = read_file(path)
        assert set(raw.frame.columns) - {"_row"} == {c.name for c in raw.dataset.columns}, path.name
        names.append(path.name)
    loaded = fetch(demo_warehouse, "SELECT file_name, status, rows_quarantined, extra_columns FROM meta.load_file "
                                   "WHERE status <> 'skipped' ORDER BY file_name")  # the manifest is a dot-file
    assert loaded == [(name, "loaded", 0, None) for name in sorted(names)]
    assert fetch(demo_warehouse, "SELECT count(*) FROM meta.quarantine") == [(0,)]


# ---------------------------------------------------------------- the campaign at scale 1

def test_volume_and_county_differences(full):
    manifest = full["manifest"]
    counties = manifest["counties"]
    entered = sum(c["cases_entered"] for c in counties.values())
    assert 15_000 <= entered <= 18_000
    assert entered == len({r["案件编号"] for r in full["cases"]})
    population = dict(reference.population().select("code", "population").iter_rows())
    total_pop = sum(population.values())
    for c in counties.values():   # spread roughly by census population
        share = c["cases_real"] / sum(x["cases_real"] for x in counties.values())
        assert 0.75 <= share / (population[c["county_code"]] / total_pop) <= 1.3, c
    rates = {name: c["cases_entered"] / c["cases_reported"] for name, c in counties.items()}
    assert 0.75 <= rates["西丰县"] <= 0.85
    assert rates["调兵山市"] > 1.0
    assert all(0.88 <= r < 1.0 for n, r in rates.items() if n not in ("西丰县", "调兵山市")), rates


def test_dispute_mix_and_field_shares(full):
    types = reference.dispute_types()
    canonical = dict(zip(types["name"], types["name"]))
    for name, aliases in types.select("name", "aliases").iter_rows():
        canonical.update({a: name for a in (aliases or "").split("|") if a})
    cases = list(latest(full["cases"]).values())
    n = len(cases)
    kind = Counter(canonical[r["纠纷类型"]] for r in cases)
    share = {k: v / n for k, v in kind.items()}
    assert 0.26 <= share["邻里纠纷"] <= 0.34 and 0.15 <= share["婚姻家庭纠纷"] <= 0.23
    assert 0.06 <= share["损害赔偿纠纷"] <= 0.10 and 0.05 <= share["房屋宅基地纠纷"] <= 0.09
    assert 0.04 <= share["合同纠纷"] <= 0.08 and 0.035 <= share["山林土地纠纷"] <= 0.075
    for t in ("拖欠农民工工资纠纷", "其他劳动争议纠纷", "征地拆迁纠纷", "医疗纠纷", "道路交通事故纠纷", "环境污染纠纷",
              "教育纠纷", "消费纠纷", "其他纠纷", "物业纠纷"):
        assert kind[t] > 0, t
    aliases = sum(r["纠纷类型"] != canonical[r["纠纷类型"]] for r in cases) / n
    assert 0.03 <= aliases <= 0.07

    def county_share(codes, t):
        rows = [r for r in cases if county_code(r["所属区县"]) in codes]
        return sum(canonical[r["纠纷类型"]] == t for r in rows) / len(rows)

    land = {c: county_share((c,), "山林土地纠纷") for c in RURAL + URBAN}
    assert min(land[c] for c in RURAL) > 0.04 and max(land[c] for c in URBAN) < 0.012
    assert min(land[c] for c in RURAL) > 4 * max(land[c] for c in URBAN)
    assert county_share(URBAN, "物业纠纷") > 3 * county_share(RURAL, "物业纠纷")

    months = Counter(day(r["受理日期"]).month for r in cases)
    assert min(months[4], months[5], months[12]) > months[8] and months[12] > months[6]
    level = Counter(r["化解层级"] for r in cases)
    assert 0.70 <= level["村(社区)"] / n <= 0.80 and 0.15 <= level["乡镇(街道)"] / n <= 0.25
    assert 0 < level["市"] < level["县(市、区)"] < level["乡镇(街道)"]
    outcome = Counter(r["调解结果"] for r in cases)
    closed = n - outcome["调解中"]
    assert 0.94 <= outcome["调解成功"] / closed <= 0.98 and outcome["调解中"] > 0
    # the cases still going at year end were accepted in the last weeks, and many of those are
    still_going = [day(r["受理日期"]) for r in cases if r["调解结果"] == "调解中"]
    assert min(still_going) >= date(2023, 12, 1)
    last_weeks = [r for r in cases if day(r["受理日期"]) >= date(2023, 12, 18)]
    assert sum(r["调解结果"] == "调解中" for r in last_weeks) / len(last_weeks) > 0.3
    source = Counter(r["纠纷来源"] for r in cases)
    assert {s for s, _ in source.most_common(2)} == {"排查发现", "当事人申请"}
    assert all(source[s] > 0 for s in ("法院委托移送", "公安移送", "信访部门移送"))
    people = Counter(min(int(r["涉及人数"]), 5) for r in cases)
    assert people[2] / n > 0.7 and 0.02 <= people[5] / n <= 0.045 and people[3] + people[4] > people[5]
    assert 0.4 <= sum(r["涉及金额(元)"] is None for r in cases) / n <= 0.8
    assert 0 < sum(r["是否信访案件"] == "是" for r in cases) / n < 0.06
    assert 0 < sum(r["是否移交公安"] == "是" for r in cases) / n < 0.03


# ---------------------------------------------------------------- scale, determinism, output directory

def test_scale_multiplies_volume(tmp_path):
    small_run = generate(tmp_path / "a", seed=1, scale=0.05)["cases_total"]
    larger_run = generate(tmp_path / "b", seed=1, scale=0.2)["cases_total"]
    assert larger_run == pytest.approx(4 * small_run, rel=0.1)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    """Identical bytes for a seed, also from another process with another string-hash seed."""
    import os

    generate(tmp_path / "a", seed=5, scale=0.03)
    generate(tmp_path / "c", seed=6, scale=0.03)
    done = subprocess.run([sys.executable, "-m", "etl.simulate", "--out", str(tmp_path / "b"), "--seed", "5",
                           "--scale", "0.03"], cwd=ROOT, capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert all((tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes()
               for f in QUARTER_FILES["mediation_case"])


def test_existing_output_directory_keeps_other_files(tmp_path):
    fresh, used = tmp_path / "fresh", tmp_path / "used"
    used.mkdir()
    (used / "说明.txt").write_text("收件目录里别人的文件", encoding="utf-8")
    (used / "人民调解案件_2023Q2.csv").write_bytes(b"stale")
    generate(fresh, seed=9, scale=0.02)
    generate(used, seed=9, scale=0.02)
    assert (used / "说明.txt").read_text(encoding="utf-8") == "收件目录里别人的文件"
    for p in fresh.iterdir():
        assert (used / p.name).read_bytes() == p.read_bytes(), p.name


def test_a_period_beyond_one_worksheet_is_written_as_csv_not_cut(tmp_path, monkeypatch):
    """Excel holds 1,048,576 rows per sheet and xlsxwriter returns -1 past them instead of raising: a larger period
    is written as UTF-8 CSV, whole; any write the sheet refuses raises."""
    import random

    import xlsxwriter

    from etl.read import read_file
    from etl.simulate import writers
    header = [c.name for c in DATASETS["monthly_case_report"].columns]
    rows = [dict.fromkeys(header) | {"所属区县": "昌图县", "所属乡镇(街道)": "昌图镇", "统计月份": f"2023-{m:02d}",
                                     "受理案件数": m, "调解成功数": m} for m in range(1, 13)]
    export = writers.Export("人民调解统计月报_全年.xlsx", "monthly_case_report", "人民调解统计月报", header, rows,
                            writers.FileStyle("xlsx", title_rows=("人民调解统计月报",)))
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 10)
    path = writers.write(export, tmp_path, random.Random(1))
    assert path.name == "人民调解统计月报_全年.csv" and read_file(path).rows_read == 12

    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    sheet = writers._Checked(book.add_worksheet(), "x.xlsx")
    sheet.write_string(1_048_575, 0, "最后一行")   # the last row Excel has
    with pytest.raises(ValueError, match="returned -1"):
        sheet.write_string(1_048_576, 0, "超出")
    book.close()
