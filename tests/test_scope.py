"""A 县区用户 sees only their own county, in every query function of the dashboard (issue 11, item 4).

The scope is enforced in one place, dashboard.db: every query runs on a cursor of catalog `scoped`, whose views read
the cursor's `scope_county`. This file holds it to that for every public function of the dashboard's query modules
that reads the warehouse — found by introspection, so a new query function fails `test_the_registry_covers…` until
it is listed in REGISTRY with its arguments. Each runs as a user of 昌图县 (no county filter) and must

  (a) carry no other county's code or name anywhere in its result (every column, every cell, the column names), and
  (b) give what the same function gives run unscoped (the system, as outside the app) with the filter 昌图县 —
      except where REGISTRY documents why the scoped answer legitimately differs, and says what it is instead.

Only ranking.scorecard reads around the scope (db.connection(published=True)): the ranked table of the seven counties
is published to every county. PUBLISHED lists it, and a test checks that nothing else in the product asks for it.
Record lists (cases, case history, verification tasks, released persons, quarantined rows, the ranking drill-down)
need the "records" permission: a 市局领导 gets access.Forbidden, an analyst gets the rows.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import (access, db, disputes, metrics, organisations, overview, quality, queries, ranking, risks,
                       verification)
from dashboard.filters import Filters
from dashboard.quality import QuarantineFilter
from tests.conftest import ROOT, fetch
from warehouse.scoring import DEDUCTION_KEYS, INDICATOR_KEYS, CountyScore, IndicatorResult, Scorecard

# the whole module on one worker: its warehouses' scoped instances and context are then built once
pytestmark = pytest.mark.xdist_group("test_scope-0")

COUNTIES = {"211202": "银州区", "211204": "清河区", "211221": "铁岭县", "211223": "西丰县", "211224": "昌图县",
            "211281": "调兵山市", "211282": "开原市"}
CHANGTU = "211224"
OTHERS = {code: name for code, name in COUNTIES.items() if code != CHANGTU}
COUNTY_USER = access.Principal("t", "county", CHANGTU)
LEADER = access.Principal("l", "leader")
ANALYST = access.Principal("a", "analyst")
MODULES = (queries, disputes, verification, organisations, risks, quality, overview, metrics, ranking)
PUBLISHED = {"ranking.scorecard"}   # the only functions allowed db.connection(published=True)
# functions made of the published scorecard alone (checked below to be exactly ranking.scorecard's answers)
PUBLISHED_VIA_SCORECARD = {"ranking.history"}
# documents weighing every county against the others, built from the published scorecard: refused to a county user
# (test_documents_of_all_counties_are_refused_to_a_county_user), so there is no scoped answer to compare
ALL_COUNTIES_ONLY = {"ranking.document_bytes"}

# another county in a text: its name, its code (alone or as the head of a township / village code), or the county
# part of a case number ((2023)辽1282民调字…)
_OTHER = re.compile("|".join([*OTHERS.values(), *(rf"(?<![0-9A-Za-z]){c}" for c in OTHERS),
                              *(rf"辽{c[2:]}(?![0-9])" for c in OTHERS)]))


# ---------------------------------------------------------------------------------------------------- the context

@dataclass
class Ctx:
    """One warehouse and what the calls need from it: the as-of date, a case of 昌图县 with several versions, a case
    of another county, and the files that brought rows of 昌图县 (what a county user sees of meta.load_file)."""
    path: Path
    day: date
    case_id: str
    other_case_id: str
    files: set[int]

    def sql(self, text: str, params: list | None = None) -> list[tuple]:
        return fetch(self.path, text, params)

    def one(self, text: str, params: list | None = None) -> Any:
        return self.sql(text, params)[0][0]


def _ctx(path: Path) -> Ctx:
    with access.acting_as(access.SYSTEM):
        day = metrics.as_of(Filters(), path)
    (case_id,), = fetch(path, """SELECT case_id FROM marts.cases WHERE county_code = ? ORDER BY versions_loaded DESC,
                                 case_id LIMIT 1""", [CHANGTU])
    (other,), = fetch(path, "SELECT case_id FROM marts.cases WHERE county_code <> ? ORDER BY case_id LIMIT 1", [CHANGTU])
    tables = fetch(path, """SELECT table_schema || '.' || table_name FROM information_schema.columns
                            WHERE table_schema IN ('marts', 'meta') GROUP BY ALL
                            HAVING list_contains(list(column_name), 'file_seq')
                               AND list_contains(list(column_name), 'county_code')""")
    files = {s for (s,) in fetch(path, " UNION ".join(f"SELECT file_seq FROM {t} WHERE county_code = ?" for (t,) in tables),
                                 [CHANGTU] * len(tables))}
    return Ctx(path, day, case_id, other, files)


@pytest.fixture(scope="module")
def contexts(request) -> Callable[[str], Ctx]:
    """The context of the demo warehouse, or of the messy one (the demo quarantines nothing), built when first asked."""
    built: dict[str, Ctx] = {}

    def get(name: str) -> Ctx:
        if name not in built:
            built[name] = _ctx(request.getfixturevalue(f"{name}_warehouse"))
        return built[name]
    return get


def system(call: Callable[[Ctx, Filters], Any], c: Ctx, f: Filters) -> Any:
    with access.acting_as(access.SYSTEM):
        return call(c, f)


# ---------------------------------------------------------------------------------------------------- the registry

@dataclass(frozen=True)
class Q:
    """How to call one query function: `call(ctx, filters)` (the filters: none for the county user, 昌图县 for the
    system). `expect(ctx)`, when given, is what the county user must get instead of the system's filtered answer,
    and `why` says why. `records`: a person-level list (needs the "records" permission). `warehouses`: the fixtures
    it runs on."""
    call: Callable[[Ctx, Filters], Any]
    expect: Callable[[Ctx], Any] | None = None
    why: str = ""
    records: bool = False
    warehouses: tuple[str, ...] = ("demo",)


_CHANGTU_ONLY = Filters((CHANGTU,))


def _only_changtu(call: Callable[[Ctx, Filters], Any], column: str = "county_code") -> Callable[[Ctx], Any]:
    return lambda c: system(call, c, Filters()).filter(pl.col(column) == CHANGTU)


def _qf(f: Filters) -> QuarantineFilter:
    return QuarantineFilter(counties=f.counties)


def _freshness(c: Ctx) -> dict:
    everything = system(lambda c, f: queries.freshness(c.path), c, Filters())
    return {**everything,
            "files_loaded": c.one("SELECT count(*) FROM meta.load_file WHERE status = 'loaded' AND list_contains(?, file_seq)",
                                  [sorted(c.files)]),
            "files_refused": 0,
            "rows_quarantined": c.one("SELECT count(*) FROM (SELECT DISTINCT file_seq, row_number FROM meta.quarantine "
                                      "WHERE county_code = ?)", [CHANGTU]),
            "cases": c.one("SELECT count(*) FROM marts.cases WHERE county_code = ?", [CHANGTU])}


def _summary(c: Ctx) -> dict:
    everything = system(lambda c, f: quality.summary(c.path), c, Filters())
    files = [sorted(c.files)]
    return {**everything,
            "files_loaded": c.one("SELECT count(*) FROM meta.load_file WHERE status = 'loaded' "
                                  "AND list_contains(?, file_seq)", files),
            "files_refused": 0, "files_skipped": 0,
            "rows_quarantined": c.one("SELECT count(*) FROM (SELECT DISTINCT file_seq, row_number FROM meta.quarantine "
                                      "WHERE county_code = ?)", [CHANGTU]),
            "issues": c.one("SELECT count(*) FROM meta.quarantine WHERE county_code = ?", [CHANGTU]),
            "expectations_failed": c.one("SELECT count(*) FROM meta.expectation_result WHERE NOT success "
                                         "AND list_contains(?, file_seq)", files)}


_RUN_COUNTS = ("文件数", "入库文件数", "拒收文件数", "重复文件数", "读取行数", "入库行数", "隔离行数")


def _runs(c: Ctx) -> pl.DataFrame:
    return _empty(system(lambda c, f: quality.runs(c.path), c, Filters()), *_RUN_COUNTS)


def _empty(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns(pl.lit(None, frame[col].dtype).alias(col) for col in columns)


def _files(c: Ctx) -> pl.DataFrame:
    frame = system(lambda c, f: quality.files(path=c.path), c, Filters())
    return _empty(frame.filter(pl.col("文件序号").is_in(sorted(c.files))), "读取行数", "入库行数", "隔离行数")


def _expectations(c: Ctx) -> pl.DataFrame:
    names = {n for (n,) in c.sql("SELECT file_name FROM meta.load_file WHERE list_contains(?, file_seq)",
                                 [sorted(c.files)])}
    frame = system(lambda c, f: quality.expectation_results(path=c.path), c, Filters())
    return _empty(frame.filter(pl.col("文件名").is_in(sorted(names))), "不符合行数").with_columns(不符合值示例=pl.lit(""))


def _quarantine_options(c: Ctx) -> dict:
    rows = c.sql("""SELECT file_seq, file_name, dataset, rule FROM meta.quarantine WHERE county_code = ?""", [CHANGTU])
    seqs = {seq: name for seq, name, _, _ in rows}
    names = list(seqs.values())
    return {"files": {seq: name if names.count(name) == 1 else f"{name}(第{seq}号文件)" for seq, name in sorted(seqs.items())},
            "datasets": {k: quality.dataset_name(k) for k in sorted({d for _, _, d, _ in rows})},
            "rules": {r: quality.rule_text(r) for r in sorted({r for _, _, _, r in rows})}}


WHY_DIM = "a dimension list with no filter argument: the view holds only the own county's row(s)"
WHY_FILES = ("meta.load_file and meta.expectation_result are cut by file (db.SCOPE_RULES 'file'): a county user sees "
             "the files that brought rows of their county; a refused or skipped file brought none, so only users of "
             "all counties see it; a file's city-wide figures (rows read, loaded, quarantined; a check's unexpected rows "
             "and sample values) are empty for them, as meta.load_run's counts are (quality._all_counties_only)")
WHY_RUNS = "meta.load_run (SCOPE_RULES 'run'): when each run ran is seen by all, its city-wide counts only by all-county users"
WHY_QUARANTINE = "no filter argument: the county's quarantined rows, of the files that brought them"
WHY_CLOCK = ("no filter argument: the latest event date in the data the user sees (their county's), which is no "
             "figure of another county; the pages' as-of date then follows it (the ranking's published table is "
             "scored at the date the page passes)")

DEMO_AND_MESSY = ("demo", "messy")
REGISTRY: list[tuple[str, Q]] = [
    # dashboard.queries
    ("queries.counties", Q(lambda c, f: queries.counties(c.path),
                           _only_changtu(lambda c, f: queries.counties(c.path)), WHY_DIM)),
    ("queries.townships", Q(lambda c, f: queries.townships(c.path),
                            _only_changtu(lambda c, f: queries.townships(c.path)), WHY_DIM)),
    ("queries.dispute_categories", Q(lambda c, f: queries.dispute_categories(c.path))),   # public: the same for all
    ("queries.freshness", Q(lambda c, f: queries.freshness(c.path), _freshness,
                            f"no filter argument; {WHY_FILES}; quarantined rows and cases of the county",
                            warehouses=DEMO_AND_MESSY)),
    ("queries.kpis", Q(lambda c, f: queries.kpis(f, c.day, c.path))),
    ("queries.cases_by_type", Q(lambda c, f: queries.cases_by_type(f, c.day, c.path))),
    ("queries.monthly_trend", Q(lambda c, f: queries.monthly_trend(f, c.day, c.path))),
    ("queries.entry_rate_by_county", Q(lambda c, f: queries.entry_rate_by_county(f, c.day, c.path))),
    ("queries.case_history", Q(lambda c, f: queries.case_history(c.case_id, c.path), records=True)),
    # dashboard.disputes
    ("disputes.rates", Q(lambda c, f: disputes.rates(f, c.day, ("county_code",), path=c.path))),
    ("disputes.rates", Q(lambda c, f: disputes.rates(f, c.day, ("township_code", "month"), path=c.path))),
    ("disputes.kpis", Q(lambda c, f: disputes.kpis(f, c.day, c.path))),
    ("disputes.by_type", Q(lambda c, f: disputes.by_type(f, c.day, c.path))),
    ("disputes.by_domain", Q(lambda c, f: disputes.by_domain(f, c.day, c.path))),
    ("disputes.by_area", Q(lambda c, f: disputes.by_area(f, c.day, path=c.path))),
    ("disputes.by_area", Q(lambda c, f: disputes.by_area(f, c.day, CHANGTU, path=c.path))),
    ("disputes.monthly", Q(lambda c, f: disputes.monthly(f, c.day, path=c.path))),
    ("disputes.by_source", Q(lambda c, f: disputes.by_source(f, c.day, c.path))),
    ("disputes.by_level", Q(lambda c, f: disputes.by_level(f, c.day, c.path))),
    ("disputes.group_petition_by_type", Q(lambda c, f: disputes.group_petition_by_type(f, c.day, c.path))),
    ("disputes.case_count", Q(lambda c, f: disputes.case_count(f, c.day, path=c.path))),
    ("disputes.case_list", Q(lambda c, f: disputes.case_list(f, c.day, limit=None, path=c.path), records=True)),
    ("disputes.case_list_csv", Q(lambda c, f: disputes.case_list_csv(f, c.day, path=c.path), records=True)),
    ("disputes.case_list_xlsx", Q(lambda c, f: disputes.case_list_xlsx(f, c.day, path=c.path), records=True)),
    # dashboard.verification
    ("verification.rates_by_county", Q(lambda c, f: verification.rates_by_county(f, c.day, c.path))),
    ("verification.rates_by_month", Q(lambda c, f: verification.rates_by_month(f, c.day, c.path))),
    ("verification.kpis", Q(lambda c, f: verification.kpis(f, c.day, c.path))),
    ("verification.overdue", Q(lambda c, f: verification.overdue(f, c.day, c.path), records=True)),
    ("verification.key_handover_by_county", Q(lambda c, f: verification.key_handover_by_county(f, c.day, c.path))),
    ("verification.status_by_county",
     Q(lambda c, f: verification.status_by_county("resettlement_status", f, c.day, c.path))),
    ("verification.status_by_county",
     Q(lambda c, f: verification.status_by_county("assistance_status", f, c.day, c.path))),
    ("verification.lost_contact", Q(lambda c, f: verification.lost_contact(f, c.day, c.path), records=True)),
    ("verification.separated_by_county", Q(lambda c, f: verification.separated_by_county(f, c.day, c.path))),
    # dashboard.organisations (lists of organisations and townships, not of persons or cases)
    ("organisations.point_months", Q(lambda c, f: organisations.point_months(f, c.day, c.path))),
    ("organisations.point_rate", Q(lambda c, f: organisations.point_rate(f, c.day, c.path))),
    ("organisations.inactive_points", Q(lambda c, f: organisations.inactive_points(f, c.day, c.path))),
    ("organisations.mediators_by_county", Q(lambda c, f: organisations.mediators_by_county(f, c.day, c.path))),
    ("organisations.centres", Q(lambda c, f: organisations.centres(f, c.day, c.path))),
    ("organisations.star_offices", Q(lambda c, f: organisations.star_offices(f, c.day, c.path))),
    # dashboard.risks
    ("risks.totals", Q(lambda c, f: risks.totals(f, c.path))),
    ("risks.hazards_by_month", Q(lambda c, f: risks.hazards_by_month(f, c.day, c.path))),
    ("risks.outcomes_by_county", Q(lambda c, f: risks.outcomes_by_county(f, c.path))),
    ("risks.timeliness_by_county", Q(lambda c, f: risks.timeliness_by_county(f, c.day, c.path))),
    ("risks.timeliness_grid", Q(lambda c, f: risks.timeliness_grid(f, c.day, c.path))),
    ("risks.kpis", Q(lambda c, f: risks.kpis(f, c.day, c.path))),
    ("risks.complete_months", Q(lambda c, f: risks.complete_months(f, c.day, c.path))),
    ("risks.late_reports", Q(lambda c, f: risks.late_reports(f, c.day, c.path))),
    # dashboard.quality (the demo quarantines nothing: the quarantine also on the messy warehouse)
    ("quality.summary", Q(lambda c, f: quality.summary(c.path), _summary,
                          f"no filter argument; {WHY_FILES}; {WHY_RUNS}", warehouses=DEMO_AND_MESSY)),
    ("quality.runs", Q(lambda c, f: quality.runs(c.path), _runs, WHY_RUNS, warehouses=DEMO_AND_MESSY)),
    ("quality.files", Q(lambda c, f: quality.files(path=c.path), _files, WHY_FILES, warehouses=DEMO_AND_MESSY)),
    ("quality.expectation_results", Q(lambda c, f: quality.expectation_results(path=c.path), _expectations,
                                      WHY_FILES + "; the run's checks of the marts (no file) only by all-county users",
                                      warehouses=DEMO_AND_MESSY)),
    ("quality.quarantine_options", Q(lambda c, f: quality.quarantine_options(c.path), _quarantine_options,
                                     WHY_QUARANTINE, warehouses=DEMO_AND_MESSY)),
    ("quality.quarantine", Q(lambda c, f: quality.quarantine(_qf(f), c.path, 0, 100_000), records=True,
                             warehouses=DEMO_AND_MESSY)),
    ("quality.quarantine_count", Q(lambda c, f: quality.quarantine_count(_qf(f), c.path), warehouses=DEMO_AND_MESSY)),
    ("quality.quarantine_by_county", Q(lambda c, f: quality.quarantine_by_county(_qf(f), c.path),
                                       warehouses=DEMO_AND_MESSY)),
    ("quality.quarantine_summary", Q(lambda c, f: quality.quarantine_summary(_qf(f), c.path),
                                     warehouses=DEMO_AND_MESSY)),
    # dashboard.overview
    ("overview.milestones", Q(lambda c, f: overview.milestones(f, c.day, c.path))),
    # dashboard.metrics
    ("metrics.county_names", Q(lambda c, f: metrics.county_names(c.path),
                               _only_changtu(lambda c, f: metrics.county_names(c.path)), WHY_DIM)),
    ("metrics.latest_data_date", Q(lambda c, f: metrics.latest_data_date(c.path), None, WHY_CLOCK)),
    ("metrics.as_of", Q(lambda c, f: metrics.as_of(Filters(f.counties, asof=c.day), c.path))),
    *[("metrics.results", Q(lambda c, f, k=k: metrics.results(k, f, c.day, ("county_code",),
                                                                fields=("townships",), path=c.path)))
      for k in INDICATOR_KEYS],
    ("metrics.result", Q(lambda c, f: metrics.result("mediation_success_rate", f, c.day, path=c.path))),
    ("metrics.result", Q(lambda c, f: metrics.result("timely_submission_rate", f, c.day, months=False,
                                                     record_type="工作报送台账", path=c.path))),
    ("metrics.records", Q(lambda c, f: metrics.records("verification_rate", f, c.day, path=c.path))),
    ("metrics.records", Q(lambda c, f: metrics.records("point_monthly_rate", f, c.day, path=c.path))),
    *[("metrics.counts", Q(lambda c, f, k=k: metrics.counts(k, f, c.day, ("county_code",), path=c.path)))
      for k in DEDUCTION_KEYS],
    # dashboard.ranking (scorecard: published, see test_the_scorecard_is_published…)
    *[("ranking.drill_down", Q(lambda c, f, k=k: ranking.drill_down(CHANGTU, k, c.day, path=c.path), records=True))
      for k in (*INDICATOR_KEYS, *DEDUCTION_KEYS)],
    *[("ranking.quarantined", Q(lambda c, f, k=k: ranking.quarantined(CHANGTU, k, c.path), warehouses=DEMO_AND_MESSY))
      for k in ("entry_rate", "lost_contact")],
]


# ---------------------------------------------------------------------------------------------------- helpers

def _query_functions() -> set[str]:
    """Public functions of the query modules that read the warehouse: a `path` parameter, or a call into dashboard.db."""
    found = set()
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            source = inspect.getsource(fn)
            if "path" in inspect.signature(fn).parameters or re.search(r"\b(db\.|query\(|connection\()", source):
                found.add(f"{module.__name__.rsplit('.', 1)[1]}.{name}")
    return found


def _function(name: str) -> Callable:
    module, fn = name.split(".")
    return getattr(globals()[module], fn)


def _texts(value: Any) -> list[str]:
    """Every piece of text in a result: cells of every column and the column names of frames, dict keys and values,
    dataclass fields, downloads (CSV decoded, XLSX's strings)."""
    out: list[str] = []
    if isinstance(value, pl.DataFrame):
        out += value.columns
        out += [str(v) for row in value.iter_rows() for v in row if v is not None]
    elif isinstance(value, (bytes, bytearray)):
        if value[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(value)) as z:
                out += [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
        else:
            out.append(value.decode("utf-8-sig"))
    elif isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out += _texts(k) + _texts(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            out += _texts(v)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            out += _texts(getattr(value, f.name))
    return out


def _assert_same(got: Any, want: Any, where: str = "") -> None:
    if isinstance(want, pl.DataFrame):
        assert isinstance(got, pl.DataFrame), where
        try:
            assert_frame_equal(got, want, check_exact=True)
        except AssertionError as differs:
            raise AssertionError(f"{where}: {differs}") from None
    elif isinstance(want, (bytes, bytearray)) and want[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(got)) as a, zipfile.ZipFile(io.BytesIO(want)) as b:
            assert a.namelist() == b.namelist(), where
            for n in b.namelist():
                if n != "docProps/core.xml":   # the creation time
                    assert a.read(n) == b.read(n), f"{where} {n}"
    elif isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), f"{where}: {got} != {want}"
        for k in want:
            _assert_same(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want), f"{where}: {got} != {want}"
        for i, (a, b) in enumerate(zip(got, want)):
            _assert_same(a, b, f"{where}[{i}]")
    elif dataclasses.is_dataclass(want):
        assert type(got) is type(want), where
        for f in dataclasses.fields(want):
            _assert_same(getattr(got, f.name), getattr(want, f.name), f"{where}.{f.name}")
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def _has_rows(value: Any) -> bool:
    if isinstance(value, pl.DataFrame):
        return value.height > 0
    if isinstance(value, bytes):
        return len(value) > 0 and (value[:2] == b"PK" or value.decode("utf-8-sig").count("\n") > 1)
    return value.records.height > 0   # a Trace


def _cases() -> list:
    seen: dict[str, int] = {}
    out = []
    for name, q in REGISTRY:
        n = seen[name] = seen.get(name, -1) + 1
        for wh in q.warehouses:
            out.append(pytest.param(name, q, wh, id=f"{name}-{n}-{wh}"))
    return out


RECORD_FUNCTIONS = sorted({name for name, q in REGISTRY if q.records})


# ---------------------------------------------------------------------------------------------------- the tests

def test_the_registry_covers_every_query_function():
    listed = {name for name, _ in REGISTRY}
    missing = _query_functions() - listed - PUBLISHED - ALL_COUNTIES_ONLY - PUBLISHED_VIA_SCORECARD
    assert not missing, f"query functions not in tests/test_scope.py REGISTRY (list them with their arguments): {missing}"
    assert listed <= _query_functions(), f"REGISTRY lists what is not a query function: {listed - _query_functions()}"
    assert all(q.expect is None or q.why for _, q in REGISTRY), "every exception says why"


def test_documents_of_all_counties_are_refused_to_a_county_user(demo_warehouse):
    card = ranking.scorecard(None, None, demo_warehouse)
    for kind in ("notice", "briefing"):
        with access.acting_as(access.Principal("c", "county", CHANGTU)), pytest.raises(access.Forbidden):
            ranking.document_bytes(card, kind, demo_warehouse)
        with access.acting_as(access.Principal("a", "analyst")):
            assert ranking.document_bytes(card, kind, demo_warehouse).startswith(b"PK")


def test_only_the_published_score_table_reads_around_the_scope():
    """db.connection(published=True) appears in ranking.scorecard and nowhere else in the product."""
    found = set()
    for file in [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]:
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for call in ast.walk(fn):
                if isinstance(call, ast.Call) and any(
                        kw.arg == "published" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
                        for kw in call.keywords):
                    found.add(f"{file.stem}.{fn.name}")
    assert found == PUBLISHED


def test_record_lists_and_only_they_require_the_permission():
    """The functions that call access.require("records") are exactly those REGISTRY marks as record lists."""
    requiring = {name for name in _query_functions() | PUBLISHED
                 if 'access.require("records")' in inspect.getsource(_function(name))}
    assert requiring == set(RECORD_FUNCTIONS)


@pytest.mark.parametrize("name, q, warehouse", _cases())
def test_a_county_user_sees_only_their_county(name, q, warehouse, contexts):
    c = contexts(warehouse)
    with access.acting_as(COUNTY_USER):
        got = q.call(c, Filters())
    leaks = sorted({m.group(0) for text in _texts(got) for m in _OTHER.finditer(text)})
    assert not leaks, f"{name} shows 昌图县's user another county: {leaks}"
    if q.expect is not None:
        want = q.expect(c)
    elif q.why:             # documented as differing, with nothing to compare but (a) and a sanity check below
        want = None
    else:
        want = system(q.call, c, _CHANGTU_ONLY)
    if want is not None:
        _assert_same(got, want, name)


def test_the_as_of_clock_of_a_county_user_is_their_own_data(contexts):
    """metrics.latest_data_date (WHY_CLOCK): at most the city's, at least the latest case accepted in the county."""
    c = contexts("demo")
    with access.acting_as(COUNTY_USER):
        own = metrics.latest_data_date(c.path)
    with access.acting_as(access.SYSTEM):
        city = metrics.latest_data_date(c.path)
    latest_case = c.one("SELECT max(accepted_date) FROM marts.cases WHERE county_code = ? AND accepted_date <= ?",
                        [CHANGTU, city])
    assert latest_case <= own <= city


def test_a_county_user_cannot_read_another_countys_case_history(contexts):
    c = contexts("demo")
    with access.acting_as(COUNTY_USER):
        assert queries.case_history(c.other_case_id, c.path).is_empty()
        assert queries.case_history(c.case_id, c.path).height >= 1
    with access.acting_as(access.SYSTEM):
        assert queries.case_history(c.other_case_id, c.path).height >= 1


def test_the_history_is_the_published_scorecard_at_each_month_end(contexts):
    """ranking.history (环比 and trends): for a county user exactly ranking.scorecard's answers at trend_dates."""
    c = contexts("demo")
    with access.acting_as(COUNTY_USER):
        got = ranking.history(c.day, c.path)
    with access.acting_as(access.SYSTEM):
        want = [ranking.scorecard(d, path=c.path) for d in ranking.trend_dates(c.day)]
    _assert_same(got, want, "history")


def test_the_scorecard_is_published_and_holds_only_county_aggregates(contexts):
    c = contexts("demo")
    with access.acting_as(COUNTY_USER):
        got = ranking.scorecard(c.day, path=c.path)
    with access.acting_as(access.SYSTEM):
        want = ranking.scorecard(c.day, path=c.path)
    _assert_same(got, want, "scorecard")
    assert {s.county_code: s.county for s in got.counties} == COUNTIES   # the seven counties, ranked

    def walk(value: Any, where: str) -> None:   # county-level figures only: no frame, no list of records
        assert not isinstance(value, (pl.DataFrame, pl.Series)), where
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}[{k!r}]")
        elif isinstance(value, (list, tuple)):
            assert where in ("card.counties", "card.rubric") or all(isinstance(v, (str, int, Fraction)) for v in value), where
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")
        elif isinstance(value, (Scorecard, CountyScore, IndicatorResult)):
            for f in dataclasses.fields(value):
                if f.name != "rubric":
                    walk(getattr(value, f.name), f"{where}.{f.name}")
    walk(got, "card")
    assert all(isinstance(s, CountyScore) for s in got.counties)


@pytest.mark.parametrize("name", RECORD_FUNCTIONS)
def test_a_leader_may_not_list_records(name, contexts):
    c = contexts("demo")
    q = next(q for n, q in REGISTRY if n == name)
    with access.acting_as(LEADER), pytest.raises(access.Forbidden):
        q.call(c, Filters())


@pytest.mark.parametrize("name", RECORD_FUNCTIONS)
def test_an_analyst_gets_the_records(name, contexts):
    q = next(q for n, q in REGISTRY if n == name)
    c = contexts(q.warehouses[-1])   # the quarantine: on the messy warehouse
    with access.acting_as(ANALYST):
        assert _has_rows(q.call(c, Filters()))


def test_a_leader_still_gets_every_aggregate(contexts):
    c = contexts("demo")
    with access.acting_as(LEADER):
        assert disputes.case_count(Filters(), c.day, path=c.path) > 0
        assert verification.kpis(Filters(), c.day, c.path)["tasks"] > 0
        assert quality.quarantine_count(QuarantineFilter(), c.path)["rows"] == 0
        assert len(ranking.scorecard(c.day, path=c.path).counties) == 7


def test_a_county_user_may_not_drill_into_another_county(contexts):
    c = contexts("demo")
    with access.acting_as(COUNTY_USER):
        for other in OTHERS:
            with pytest.raises(access.Forbidden, match="只能查看本区县的明细"):
                ranking.drill_down(other, "mediation_success_rate", c.day, path=c.path)
        assert ranking.drill_down(CHANGTU, "mediation_success_rate", c.day, path=c.path).county_code == CHANGTU
    with access.acting_as(ANALYST):
        assert ranking.drill_down("211282", "mediation_success_rate", c.day, path=c.path).county == "开原市"


def _scoped_views(con) -> dict[str, str]:
    return dict(con.execute("""SELECT schema_name || '.' || view_name, sql FROM duckdb_views()
                               WHERE database_name = 'scoped' AND NOT internal""").fetchall())


def test_a_cursor_with_no_scope_sees_no_row(contexts):
    c = contexts("messy")
    cursor = db._instance(c.path).cursor()
    try:
        cursor.execute("USE scoped")
        seen = {view: cursor.execute(f"SELECT count(*) FROM {view}").fetchone()[0] for view in _scoped_views(cursor)}
    finally:
        cursor.close()
    public = {name for name, rule in db.SCOPE_RULES.items() if rule == "public"}
    assert seen and all(n == 0 for view, n in seen.items() if view not in public), seen
    assert all(seen[view] > 0 for view in public)   # reference lists of no county: the same for everyone


def test_every_mart_and_meta_table_has_a_view_and_nothing_else_does(contexts):
    c = contexts("demo")
    tables = {f"{s}.{t}" for s, t in c.sql("""SELECT table_schema, table_name FROM information_schema.tables
                                               WHERE table_type = 'BASE TABLE'""")}
    cursor = db._instance(c.path).cursor()
    try:
        views = set(_scoped_views(cursor))
        schemas = {s for (s,) in cursor.execute("""SELECT schema_name FROM duckdb_schemas()
                                                   WHERE database_name = 'scoped' AND NOT internal""").fetchall()}
    finally:
        cursor.close()
    assert {t for t in tables if t.split(".")[0] in ("landing", "staging")}, "the warehouse has landing and staging"
    assert views == {t for t in tables if t.split(".")[0] in ("marts", "meta")}
    assert schemas <= {"main", "marts", "meta"}
    assert not {v for v in views if v.split(".")[0] in ("landing", "staging", "ref")}


def test_the_leak_check_sees_every_other_county_in_an_unscoped_list(contexts):
    """The check of (a) is not blind: the system's case list of the city names the six other counties."""
    c = contexts("demo")
    with access.acting_as(access.SYSTEM):
        found = {m.group(0) for text in _texts(disputes.case_list_csv(Filters(), c.day, path=c.path))
                 for m in _OTHER.finditer(text)}
    assert set(OTHERS.values()) <= found and any(t.startswith("辽") for t in found)


def test_a_county_user_filtering_on_another_county_gets_nothing(contexts):
    """The sidebar refuses another county for a 县区用户; were one asked for anyway, the scope leaves nothing."""
    c = contexts("demo")
    other = Filters(("211282",))
    with access.acting_as(COUNTY_USER):
        assert disputes.case_count(other, c.day, path=c.path) == 0
        assert disputes.case_list(other, c.day, path=c.path).is_empty()
        assert verification.overdue(other, c.day, c.path).is_empty()
        assert metrics.results("mediation_success_rate", other, c.day, ("county_code",), path=c.path).is_empty()
