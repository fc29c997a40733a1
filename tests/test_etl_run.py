"""The ETL end to end on hand-made inboxes: counts, quarantine, duplicates, refusals, atomic publish, CLI."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TEST_KEY, fetch, write_csv, write_xlsx
from tests.test_normalise import BASE, CASE_HEADER
from warehouse.publish import EtlError, run

REPORT_HEADER = ["所属区县", "所属乡镇(街道)", "统计月份", "受理案件数", "调解成功数"]


def _case_row(**changes):
    return [{**BASE, **changes}[h] for h in CASE_HEADER]


@pytest.fixture
def inbox(tmp_path):
    box = tmp_path / "inbox"
    box.mkdir()
    write_csv(box / "人民调解案件_2023Q1.csv", [
        ["铁岭市人民调解案件统计表"], CASE_HEADER,
        _case_row(案件编号="A1"),
        _case_row(案件编号="A2", 所属区县="铁岭市"),                        # row 4: city is not a county
        _case_row(案件编号="A3", 调解日期="2023-03-01"),                    # row 5: mediated before accepted
        _case_row(案件编号="A4", 所属区县="开原", 所属乡镇="", **{"所属乡镇(街道)": "威远堡镇"}),
    ], encoding="gb18030")
    write_xlsx(box / "人民调解统计月报_2023Q1.xlsx", {"人民调解统计月报": [
        ["铁岭市人民调解统计月报"], ["导出时间:2023-04-05"], REPORT_HEADER,
        ["昌图县", "昌图镇", "2023-03", 2, 1], ["开原市", "威远堡镇", "2023年3月", 1, 2],  # row 5: 成功 > 受理
        ["合计", None, None, 3, 3]]})
    (box / "说明.pdf").write_bytes(b"%PDF-1.4 not an export")
    (box / ".hidden").write_text("ignored")
    return box




def test_run_loads_quarantines_and_refuses(inbox, tmp_path):
    wh = tmp_path / "wh" / "warehouse.duckdb"
    report = run(inbox, wh, hmac_key=TEST_KEY)
    # the run's id, read by people on 数据质量 and in downloads, carries its start in Beijing time
    from datetime import datetime, timedelta, timezone
    started = datetime.strptime(report.run_id.split("-")[0], "%Y%m%dT%H%M%S")
    beijing_now = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=8)
    assert timedelta(0) <= beijing_now - started < timedelta(minutes=5)
    files = {f.file: f for f in report.files}
    assert report.published and set(files) == {"人民调解案件_2023Q1.csv", "人民调解统计月报_2023Q1.xlsx", "说明.pdf",
                                               ".hidden"}
    assert (files[".hidden"].status, files[".hidden"].rows_read) == ("skipped", 0)  # reported, not read
    cases = files["人民调解案件_2023Q1.csv"]
    assert (cases.dataset, cases.encoding, cases.status) == ("mediation_case", "gb18030", "loaded")
    assert (cases.rows_read, cases.rows_loaded, cases.rows_quarantined) == (4, 2, 2)
    reports = files["人民调解统计月报_2023Q1.xlsx"]
    assert (reports.rows_read, reports.rows_loaded, reports.rows_quarantined) == (2, 1, 1)
    pdf = files["说明.pdf"]
    assert (pdf.status, pdf.rows_read) == ("refused", 0) and "不支持的文件类型" in pdf.reason

    assert fetch(wh, "SELECT file_name, row_number, column_name, rule FROM meta.quarantine ORDER BY 1, 2") == [
        ("人民调解案件_2023Q1.csv", 4, "所属区县", "city_not_county"),
        ("人民调解案件_2023Q1.csv", 5, "调解日期", "date_order"),
        ("人民调解统计月报_2023Q1.xlsx", 5, "调解成功数", "not_greater"),
    ]
    assert fetch(wh, "SELECT case_id, county FROM marts.cases ORDER BY 1") == [("A1", "昌图县"), ("A4", "开原市")]
    # every file archived unchanged under its SHA-256, before anything else
    for f in inbox.iterdir():
        if not f.name.startswith("."):
            sha = hashlib.sha256(f.read_bytes()).hexdigest()
            archived = tmp_path / "wh" / "archive" / sha[:2] / (sha + f.suffix.lower())
            assert archived.read_bytes() == f.read_bytes()


def test_loading_the_same_inbox_twice_adds_nothing(inbox, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    run(inbox, wh, hmac_key=TEST_KEY)
    before = fetch(wh, "SELECT (SELECT count(*) FROM landing.mediation_case), (SELECT count(*) FROM meta.quarantine)")
    second = run(inbox, wh, hmac_key=TEST_KEY)
    assert {f.file: f.status for f in second.files} == {
        "人民调解案件_2023Q1.csv": "duplicate", "人民调解统计月报_2023Q1.xlsx": "duplicate", "说明.pdf": "refused",
        ".hidden": "skipped"}
    assert all(f.rows_read == f.rows_loaded == f.rows_quarantined == 0 for f in second.files)
    assert fetch(wh, "SELECT (SELECT count(*) FROM landing.mediation_case), "
                      "(SELECT count(*) FROM meta.quarantine)") == before
    # nothing new: nothing copied, built or published (the file and its runs are as they were)
    assert second.nothing_new and not second.published
    assert fetch(wh, "SELECT count(*) FROM meta.load_run") == [(1,)]
    assert "此前已拒收,文件内容未变" in next(f.reason for f in second.files if f.status == "refused")
    third = run(inbox, wh, hmac_key=TEST_KEY, retry_refused=True)      # the refused file read again: a publish
    assert third.published and not third.nothing_new
    assert fetch(wh, "SELECT count(*) FROM meta.load_run") == [(2,)]


def test_byte_copy_under_a_new_name_is_a_duplicate(inbox, tmp_path):
    (inbox / "人民调解案件_copy.csv").write_bytes((inbox / "人民调解案件_2023Q1.csv").read_bytes())
    report = run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    statuses = sorted(f.status for f in report.files if f.dataset == "mediation_case")
    assert statuses == ["duplicate", "loaded"]


def test_failure_in_the_middle_of_publish_leaves_previous_warehouse(inbox, tmp_path, monkeypatch):
    wh = tmp_path / "warehouse.duckdb"
    run(inbox, wh, hmac_key=TEST_KEY)
    before = wh.read_bytes()
    write_csv(inbox / "人民调解案件_2023Q2.csv", [CASE_HEADER, _case_row(案件编号="B1")])

    import warehouse.build

    def explode(con, *args):
        raise RuntimeError("disk full while building marts")

    monkeypatch.setattr(warehouse.build, "build_models", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        run(inbox, wh, hmac_key=TEST_KEY)
    assert wh.read_bytes() == before
    assert fetch(wh, "SELECT count(*) FROM marts.cases") == [(2,)]
    assert [p.name for p in tmp_path.iterdir() if "building" in p.name] == []


def test_a_run_without_a_key_stops_with_a_clear_message(inbox, tmp_path, monkeypatch):
    monkeypatch.delenv("PII_HMAC_KEY", raising=False)
    with pytest.raises(EtlError, match="PII_HMAC_KEY"):
        run(inbox, tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


CLI_KEY = "cli-key-of-the-test-suite-32-bytes"


def _cli(*args, key=CLI_KEY):
    """python -m etl in a process of its own (what cron and systemd start: its exit status and its output)."""
    env = {k: v for k, v in os.environ.items() if k != "PII_HMAC_KEY"}
    if key:
        env["PII_HMAC_KEY"] = key
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.fixture
def cli(monkeypatch, capsys):
    """python -m etl in this process: etl.__main__.main, whose status `python -m etl` exits with (the process itself
    is test_a_second_run_exits_at_once_while_one_holds_the_lock's, and the cron line's in tests/test_night_safety.py):
    cli(*args, key=…) → (exit status, stdout, stderr)."""
    from etl.__main__ import main

    def call(*args, key=CLI_KEY) -> tuple[int, str, str]:
        if key:
            monkeypatch.setenv("PII_HMAC_KEY", key)
        else:
            monkeypatch.delenv("PII_HMAC_KEY", raising=False)
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return call


def test_cli_json_output(inbox, tmp_path, cli):
    code, stdout, stderr = cli("run", "--inbox", inbox, "--warehouse", tmp_path / "w.duckdb", "--json")
    assert code == 0, stderr
    out = json.loads(stdout)
    assert out["published"] is True
    assert {f["file"]: f["status"] for f in out["files"]} == {
        "人民调解案件_2023Q1.csv": "loaded", "人民调解统计月报_2023Q1.xlsx": "loaded", "说明.pdf": "refused",
        ".hidden": "skipped"}
    for f in out["files"]:
        assert set(f) == {"file", "dataset", "status", "reason", "rows_read", "rows_loaded", "rows_quarantined"}
        assert f["rows_loaded"] + f["rows_quarantined"] == f["rows_read"]


def test_refused_files_name_their_dataset_in_the_json_and_on_the_quality_page(tmp_path, cli):
    """A refused file names the dataset its name or header shows: the report says which data did not arrive."""
    from dashboard import quality

    box = tmp_path / "inbox"
    box.mkdir()
    write_csv(box / "人民调解员_2023.csv", [["调解员编号", "姓名", "所属组织编码"], ["TJ1", "张三", "ORG1"]])
    write_csv(box / "导出.csv", [["调解员编号", "姓名", "所属组织编码"], ["TJ2", "李四", "ORG1"]])
    (box / "人民调解案件_x.xlsx").write_text("<html><body><table><tr><td>系统错误</td></tr></table></body></html>")
    write_csv(box / "数据导出(1).csv", [["编号", "名称", "数量"], ["1", "某某", "3"]])
    warehouse = tmp_path / "w.duckdb"
    code, stdout, stderr = cli("run", "--inbox", box, "--warehouse", warehouse, "--json")
    assert code == 0, stderr
    out = {f["file"]: (f["dataset"], f["status"]) for f in json.loads(stdout)["files"]}
    assert out == {"人民调解员_2023.csv": ("mediator", "refused"), "导出.csv": ("mediator", "refused"),
                   "人民调解案件_x.xlsx": ("mediation_case", "refused"), "数据导出(1).csv": (None, "refused")}
    assert dict(fetch(warehouse, "SELECT file_name, dataset FROM meta.load_file")) == {
        name: dataset for name, (dataset, _) in out.items()}
    shown = {r["文件名"]: (r["数据集"], r["状态"]) for r in quality.files(path=warehouse).iter_rows(named=True)}
    assert shown == {"人民调解员_2023.csv": ("人民调解员", "拒收"), "导出.csv": ("人民调解员", "拒收"),
                     "人民调解案件_x.xlsx": ("人民调解案件", "拒收"), "数据导出(1).csv": ("—", "拒收")}


def test_cli_progress_and_exit_codes(inbox, tmp_path, cli):
    code, _, stderr = cli("run", "--inbox", inbox, "--warehouse", tmp_path / "w.duckdb")
    assert code == 0 and "[1/4]" in stderr and "已发布" in stderr
    assert cli("run", "--inbox", inbox, "--warehouse", tmp_path / "x.duckdb", key=None)[0] == 2
    code, stdout, _ = cli("run", "--inbox", tmp_path / "nope", "--warehouse", tmp_path / "y.duckdb", "--json")
    assert code == 2 and json.loads(stdout)["published"] is False


def test_generated_demo_loads_completely(demo_inbox, demo_warehouse):
    """The ETL on the generator's files: every file detected and loaded, every row accounted for, the truth kept."""
    manifest = json.loads((demo_inbox / ".simulate-manifest.json").read_text(encoding="utf-8"))
    files = {r[0]: r[1:] for r in fetch(demo_warehouse, "SELECT file_name, dataset, encoding, status, rows_read, "
                                                          "rows_loaded, rows_quarantined FROM meta.load_file "
                                                          "WHERE status <> 'skipped'")}  # the manifest (a dot-file)
    assert set(files) == {f["file"] for f in manifest["files"]}
    for f in manifest["files"]:
        assert files[f["file"]] == (f["dataset"], f["encoding"], "loaded", f["rows"], f["rows"], 0)
    entered = dict(fetch(demo_warehouse, "SELECT county, count(*) FROM marts.cases GROUP BY 1"))
    # 受理案件数 summed over each county's township × month reports, in the latest version of each
    reported = dict(fetch(demo_warehouse, "SELECT county_code, sum(cases_accepted) FROM marts.monthly_reports "
                                           "GROUP BY 1"))
    for county, truth in manifest["counties"].items():
        assert entered.get(county, 0) == truth["cases_entered"]
        assert reported[truth["county_code"]] == truth["cases_reported"]


def test_a_second_run_exits_at_once_while_one_holds_the_lock(inbox, tmp_path):
    import fcntl
    import time

    wh = tmp_path / "warehouse.duckdb"
    with open(tmp_path / ".warehouse.duckdb.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242,开始于 2024-01-02 02:00:00")
        held.flush()
        started = time.monotonic()
        done = _cli("run", "--inbox", str(inbox), "--warehouse", str(wh), "--json")   # a process: python -m etl
        assert done.returncode == 3 and "另一个入库任务正在运行" in done.stderr and "pid 4242" in done.stderr
        assert json.loads(done.stdout)["published"] is False        # written out before the process ends (os._exit)
        assert time.monotonic() - started < 20 and not wh.exists()
    assert run(inbox, wh, hmac_key=TEST_KEY).published  # released: the next run goes ahead


def test_files_are_read_a_few_at_a_time_within_a_byte_budget(tmp_path, monkeypatch):
    """New files are read ahead on threads, but never more than READ_AHEAD_BYTES of them at once (one alone always):
    memory follows the largest files, not the inbox; every file still lands, in the order received."""
    import threading
    import time

    import etl.load as load

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(4):
        write_csv(inbox / f"人民调解案件_{n}.csv", [CASE_HEADER, _case_row(案件编号=f"B{n}")])
    active, most, lock = [0], [0], threading.Lock()
    prepare = load._Loader.prepare

    def counted(self, r):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.05)
        try:
            return prepare(self, r)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(load._Loader, "prepare", counted)
    monkeypatch.setattr(load, "READ_AHEAD_BYTES", 1)          # every file is over budget: one at a time
    report = run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    assert most[0] == 1 and [f.status for f in report.files] == ["loaded"] * 4
    assert fetch(tmp_path / "w.duckdb", "SELECT count(*) FROM marts.cases") == [(4,)]
