"""A night that goes wrong: runaway files, killed and interrupted runs, a full disk, weak keys, loose file modes,
links in the inbox, the archive's retention, and files the ETL skips. Tiny hand-built inboxes; a few subprocesses."""
from __future__ import annotations

import errno
import fcntl
import functools
import io
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from etl.load import DEMO_KEY, FileRefused, Limits, check_before_reading, receive
from tests.conftest import ROOT, TEST_KEY, fetch, write_csv, write_xlsx
from tests.test_normalise import BASE, CASE_HEADER
from warehouse.publish import EtlError, run

KEY_ENV = {"PII_HMAC_KEY": TEST_KEY.decode()}


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PII_HMAC_KEY", "ETL_ALLOW_DEMO_KEY")}
    return {**env, **KEY_ENV, **extra}


def _main(capsys, *args) -> tuple[int, str, str]:
    """python -m etl, in this process (fast: no interpreter start, no imports)."""
    from etl.__main__ import main

    code = main(["run", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if ".building" in p.name or p.name.endswith(".part"))


# ================================================================== 3. limits against runaway files

def _deflate_repeated(piece: bytes, times: int) -> tuple[bytes, int]:
    """Raw deflate of piece × times without compressing it times over: after a full flush the compressor starts
    afresh, so every piece compresses to the same bytes, which are simply repeated. Returns (data, crc32)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(piece) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(piece, crc)
    return block * times + zlib.compressobj(9, zlib.DEFLATED, -15).flush(), crc


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from (name, raw deflate data, crc32, declared uncompressed size): the size is whatever we say."""
    out, central = io.BytesIO(), []
    for name, data, crc, size in members:
        n, offset = name.encode(), out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n), 0) + n)
        out.write(data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                                   len(n), 0, 0, 0, 0, 0, offset) + n)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _bomb(tmp_path: Path, decompressed_mb: int, declared: int | None = None) -> bytes:
    """A real workbook (xlsxwriter's parts) whose first sheet is replaced by `decompressed_mb` MB of the same row."""
    small = zipfile.ZipFile(write_xlsx(tmp_path / "small.xlsx", {"人民调解案件": [CASE_HEADER]}))
    members = []
    for info in small.infolist():
        if info.filename == "xl/worksheets/sheet1.xml":
            continue
        body = small.read(info)
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        members.append((info.filename, c.compress(body) + c.flush(), zlib.crc32(body), len(body)))
    data, crc, size = _bomb_sheet(decompressed_mb)
    members.append(("xl/worksheets/sheet1.xml", data, crc, size if declared is None else declared))
    return _zip(members)


@functools.cache
def _bomb_sheet(decompressed_mb: int) -> tuple[bytes, int, int]:
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
    piece = row * (1024 * 1024 // len(row))
    times = decompressed_mb * 1024 * 1024 // len(piece)
    return *_deflate_repeated(piece, times), len(piece) * times


# Peak memory is this process's own high-water mark (VmHWM): getrusage's ru_maxrss also carries the RSS of the
# parent it was forked from (Linux keeps it across exec), which under xdist is a whole test worker.
BOMB_PROBE = """
import json, sys
from pathlib import Path
import duckdb
import etl.load as load

def hwm_mb():
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

def never(*args, **kwargs):
    raise AssertionError("read_file was called on the bomb")

load.read_file = never
baseline = hwm_mb()
received = load.receive(Path(sys.argv[1]), Path(sys.argv[2]))
reports = load.land(duckdb.connect(), received, "r", b"k" * 32)
print(json.dumps({"files": {r.file: [r.status, r.reason] for r in reports},
                  "baseline_mb": baseline, "peak_mb": hwm_mb()}))
"""


def test_a_zip_bomb_is_refused_before_it_is_read_in_little_memory(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "人民调解案件_炸弹.xlsx").write_bytes(_bomb(tmp_path, 1024))            # 1 GB of sheet XML
    (inbox / "人民调解案件_伪装.xlsx").write_bytes(_bomb(tmp_path, 1024, declared=1000))  # … its header says 1000 bytes
    assert all(p.stat().st_size < 8 * 1024 * 1024 for p in inbox.iterdir())        # small on disk
    done = subprocess.run([sys.executable, "-c", BOMB_PROBE, str(inbox), str(tmp_path / "archive")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    honest, forged = out["files"]["人民调解案件_炸弹.xlsx"], out["files"]["人民调解案件_伪装.xlsx"]
    assert honest[0] == "refused" and "解压后共 1,024.0 MB" in honest[1] and "超过上限 200.0 MB" in honest[1]
    assert forged[0] == "refused" and "与其文件头不符" in forged[1]
    print(f"zip bomb: peak RSS {out['peak_mb']:.0f} MB (after imports {out['baseline_mb']:.0f} MB)")
    assert out["peak_mb"] < 400 and out["peak_mb"] - out["baseline_mb"] < 100


def test_row_and_size_limits_are_checked_before_reading(tmp_path):
    rows = [CASE_HEADER] + [[{**BASE, "案件编号": f"R{i}"}[h] for h in CASE_HEADER] for i in range(30)]
    csv = write_csv(tmp_path / "人民调解案件.csv", rows).read_bytes()
    check_before_reading(csv, Limits(max_rows=31))
    with pytest.raises(FileRefused, match="约有 31 行,超过上限 30 行"):
        check_before_reading(csv, Limits(max_rows=30))
    xlsx = write_xlsx(tmp_path / "人民调解案件.xlsx", {"人民调解案件": rows}).read_bytes()
    check_before_reading(xlsx, Limits(max_rows=31))
    with pytest.raises(FileRefused, match="sheet1.xml 有 31 行,超过上限 30 行"):
        check_before_reading(xlsx, Limits(max_rows=30))

    # too large on disk: archived as a stream (unchanged, by its SHA-256), refused, never held in memory
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "人民调解案件.csv").write_bytes(csv)
    (r,) = receive(inbox, tmp_path / "archive", Limits(max_bytes=len(csv) - 1))
    assert r.status == "refused" and "超过上限" in r.reason
    assert r.archived.read_bytes() == csv and r.archived.name.startswith(r.sha256) and not _leftovers(tmp_path)


def _case_rows(prefix: str, n: int, bad: int) -> list[list]:
    return [CASE_HEADER] + [[{**BASE, "案件编号": f"{prefix}{i}", **({"所属区县": "铁岭市"} if i < bad else {})}[h]
                             for h in CASE_HEADER] for i in range(n)]


def test_a_file_mostly_of_bad_rows_is_refused_whole(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "人民调解案件_多数不合规.csv", _case_rows("M", 20, 11))   # 55 % of 20 rows
    write_csv(inbox / "人民调解案件_小文件.csv", _case_rows("S", 10, 10))       # all bad, but only 10 rows
    report = run(inbox, tmp_path / "w.duckdb", hmac_key=TEST_KEY)
    files = {f.file: f for f in report.files}
    mostly = files["人民调解案件_多数不合规.csv"]
    assert (mostly.status, mostly.dataset, mostly.rows_quarantined) == ("refused", "mediation_case", 0)
    assert "多数行不合规,可能不是该数据集的导出:11/20 行(55%)" in mostly.reason and "铁岭市不是区县 11 行" in mostly.reason
    small = files["人民调解案件_小文件.csv"]
    assert (small.status, small.rows_quarantined) == ("loaded", 10)
    assert fetch(tmp_path / "w.duckdb", "SELECT file_name, count(*) FROM meta.quarantine GROUP BY 1") == [
        ("人民调解案件_小文件.csv", 10)]                                  # nothing of the refused file


# ================================================================== 4. interrupted runs clean up

STALLING_RUN = """
import sys, time
from pathlib import Path
import warehouse.build

def stall(con, *args):  # the building copy exists and holds the night's rows: stop here until killed
    Path(sys.argv[1]).write_text("building")
    time.sleep(60)

warehouse.build.build_models = stall
from etl.__main__ import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture
def night(tmp_path):
    """A published warehouse (empty inbox) and an inbox with one file for the next night."""
    inbox, wh = tmp_path / "inbox", tmp_path / "wh" / "w.duckdb"
    inbox.mkdir()
    assert run(inbox, wh, hmac_key=TEST_KEY).published
    (inbox / "说明.pdf").write_bytes(b"%PDF-1.4 not an export")
    return inbox, wh


def _stalled(tmp_path: Path, inbox: Path, wh: Path) -> subprocess.Popen:
    marker = tmp_path / "stalled"
    proc = subprocess.Popen([sys.executable, "-c", STALLING_RUN, str(marker), "run", "--inbox", str(inbox),
                             "--warehouse", str(wh)], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return proc


def _lock_is_free(wh: Path) -> bool:
    with open(wh.with_name(f".{wh.name}.lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_what_a_killed_run_leaves_is_removed_by_the_next(night, tmp_path):
    inbox, wh = night
    before = wh.read_bytes()
    proc = _stalled(tmp_path, inbox, wh)
    proc.kill()                                                  # SIGKILL: no clean-up can run
    proc.communicate()
    left = _leftovers(wh.parent)
    assert any(name.endswith(".building") for name in left) and wh.read_bytes() == before
    (wh.parent / "archive" / "ab").mkdir(parents=True, exist_ok=True)
    (wh.parent / "archive" / "ab" / "abcdef.xlsx.part").write_bytes(b"half a file")   # as a killed archive write

    report = run(inbox, wh, hmac_key=TEST_KEY)
    assert report.published and report.leftovers_removed == len(left) + 1
    assert _leftovers(wh.parent) == []


def test_sigterm_stops_a_run_cleanly(night, tmp_path):
    inbox, wh = night
    before = wh.read_bytes()
    proc = _stalled(tmp_path, inbox, wh)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "入库被 SIGTERM(停止请求)中断" in err and "原数据仓库未改动" in err
    assert _leftovers(wh.parent) == [] and wh.read_bytes() == before and _lock_is_free(wh)


def test_sigint_stops_a_run_cleanly(night, monkeypatch, capsys):
    import warehouse.build

    inbox, wh = night
    before = wh.read_bytes()

    def interrupted(con, *args):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(10)                                           # the handler raises before this ends

    monkeypatch.setattr(warehouse.build, "build_models", interrupted)
    monkeypatch.setenv("PII_HMAC_KEY", TEST_KEY.decode())
    code, _, err = _main(capsys, "--inbox", inbox, "--warehouse", wh)
    assert code == 130 and "SIGINT" in err
    assert _leftovers(wh.parent) == [] and wh.read_bytes() == before and _lock_is_free(wh)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler   # the CLI put the handler back


def test_a_full_disk_names_the_file_and_leaves_the_warehouse(night, monkeypatch, capsys):
    import shutil

    import etl.load

    inbox, wh = night
    before = wh.read_bytes()
    monkeypatch.setenv("PII_HMAC_KEY", TEST_KEY.decode())

    def full_copy(src, dst):
        Path(dst).write_bytes(b"part of the copy")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full_copy)
    code, _, err = _main(capsys, "--inbox", inbox, "--warehouse", wh)
    assert code == 1 and "磁盘空间不足" in err and f"写入 {wh.parent}/.w.duckdb." in err and ".building 时" in err
    assert wh.read_bytes() == before and _leftovers(wh.parent) == []
    monkeypatch.undo()

    def full_write(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setenv("PII_HMAC_KEY", TEST_KEY.decode())
    monkeypatch.setattr(etl.load, "_write_all", full_write)
    (inbox / "新的.pdf").write_bytes(b"%PDF-1.4 another")           # not archived yet: its write fills the disk
    code, _, err = _main(capsys, "--inbox", inbox, "--warehouse", wh)
    assert code == 1 and f"写入 {wh.parent / 'archive'}/" in err and ".pdf.part 时磁盘已满" in err
    assert wh.read_bytes() == before and _leftovers(wh.parent) == []


# ================================================================== 7. secrets and files

def test_keys_shorter_than_32_bytes_or_the_demo_key_are_refused(tmp_path, monkeypatch, capsys):
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    monkeypatch.delenv("ETL_ALLOW_DEMO_KEY", raising=False)
    monkeypatch.setenv("PII_HMAC_KEY", "short-key")
    code, _, err = _main(capsys, "--inbox", inbox, "--warehouse", wh)
    assert code == 2 and "太短(9 字节)" in err and "head -c 32 /dev/urandom | base64" in err
    monkeypatch.setenv("PII_HMAC_KEY", DEMO_KEY.decode())
    code, _, err = _main(capsys, "--inbox", inbox, "--warehouse", wh)
    assert code == 2 and "演示密钥" in err and "head -c 32 /dev/urandom | base64" in err and not wh.exists()
    monkeypatch.setenv("ETL_ALLOW_DEMO_KEY", "1")                  # what `make demo` sets
    assert _main(capsys, "--inbox", inbox, "--warehouse", wh)[0] == 0

    with pytest.raises(EtlError, match="太短"):                    # the library call checks a key it is given too
        run(inbox, wh, hmac_key=b"short")
    with pytest.raises(EtlError, match="演示密钥"):
        run(inbox, wh, hmac_key=DEMO_KEY)
    assert run(inbox, tmp_path / "again.duckdb", hmac_key=DEMO_KEY, allow_demo_key=True).published


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_everything_the_etl_creates_is_owner_only_whatever_the_umask(tmp_path, umask):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "说明.pdf").write_bytes(b"%PDF-1.4 not an export")    # archived, then refused
    previous = os.umask(umask)
    try:
        run(inbox, tmp_path / "data" / "wh" / "w.duckdb", hmac_key=TEST_KEY)
        run(inbox, tmp_path / "data" / "wh" / "w.duckdb", hmac_key=TEST_KEY)   # over an existing warehouse
        assert os.umask(umask) == umask                            # the run gave the caller's umask back
    finally:
        os.umask(previous)
    created = [tmp_path / "data", *(tmp_path / "data").rglob("*")]
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in created}
    assert {"data/wh/w.duckdb", "data/wh/.w.duckdb.lock", "data/wh/archive"} <= set(modes)
    assert any(name.endswith(".pdf") for name in modes)
    assert {p: m for p, m in modes.items() if m != (0o700 if (tmp_path / p).is_dir() else 0o600)} == {}


def test_links_are_refused_and_hidden_and_temporary_files_reported_skipped(tmp_path, monkeypatch, capsys):
    from dashboard import quality

    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text("不应被读取的文件", encoding="utf-8")
    (inbox / "人民调解案件_链接.csv").symlink_to(secret)
    (inbox / "~$人民调解案件_2023Q1.xlsx").write_bytes(b"\x00" * 165)
    (inbox / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (inbox / "子目录").mkdir()
    monkeypatch.setenv("PII_HMAC_KEY", TEST_KEY.decode())
    code, out, _ = _main(capsys, "--inbox", inbox, "--warehouse", wh, "--json")
    assert code == 0
    files = {f["file"]: (f["status"], f["reason"]) for f in json.loads(out)["files"]}
    assert files["人民调解案件_链接.csv"][0] == "refused" and "符号链接" in files["人民调解案件_链接.csv"][1]
    assert files["~$人民调解案件_2023Q1.xlsx"][0] == "skipped" and "Office 临时文件" in files["~$人民调解案件_2023Q1.xlsx"][1]
    assert files[".DS_Store"][0] == "skipped" and "隐藏文件" in files[".DS_Store"][1]
    assert files["子目录"][0] == "skipped"
    assert not (tmp_path / "archive").exists() or not list((tmp_path / "archive").rglob("*.csv"))  # never followed
    assert fetch(wh, "SELECT archived_as, sha256 FROM meta.load_file WHERE file_name = '人民调解案件_链接.csv'") == [
        (None, None)]
    assert fetch(wh, "SELECT files_seen, files_refused FROM meta.load_run") == [(1, 1)]     # skipped: not seen

    shown = {r["文件名"]: (r["状态"], r["原因"]) for r in quality.files(path=wh).iter_rows(named=True)}
    assert shown["~$人民调解案件_2023Q1.xlsx"][0] == "跳过" and shown["人民调解案件_链接.csv"][0] == "拒收"
    assert quality.summary(wh)["files_refused"] == 1 and quality.summary(wh)["files_skipped"] == 3


def test_the_archive_keeps_raw_files_for_the_days_set(tmp_path, monkeypatch, capsys):
    inbox, wh, archive = tmp_path / "inbox", tmp_path / "w.duckdb", tmp_path / "archive"
    inbox.mkdir()
    (inbox / "说明.pdf").write_bytes(b"%PDF-1.4 still arriving")
    old, recent = archive / "aa" / ("a" * 64 + ".csv"), archive / "bb" / ("b" * 64 + ".csv")
    for path, days in ((old, 401), (recent, 399)):
        path.parent.mkdir(parents=True)
        path.write_text("x")
        os.utime(path, (time.time() - days * 86400,) * 2)
    monkeypatch.setenv("PII_HMAC_KEY", TEST_KEY.decode())
    code, out, _ = _main(capsys, "--inbox", inbox, "--warehouse", wh, "--json")   # default: keep everything
    assert code == 0 and json.loads(out)["archive_purged"] == 0 and old.exists()
    code, out, err = _main(capsys, "--inbox", inbox, "--warehouse", wh, "--archive-keep-days", "400")
    assert code == 0 and "删除过期文件 1 个" in err
    assert not old.exists() and not old.parent.exists() and recent.exists()
    received = next(p for p in archive.rglob("*.pdf"))          # received again every night: kept, marked received
    assert time.time() - received.stat().st_mtime < 60


def test_the_cron_line_hands_its_key_file_to_the_etl(tmp_path):
    """deploy/cron/tieling-etl, run by sh as cron would (paths moved into tmp): the key comes from etl.env."""
    line = next(x for x in (ROOT / "deploy/cron/tieling-etl").read_text(encoding="utf-8").splitlines()
                if x and not x.startswith("#") and "=" not in x.split()[0])
    assert line.split()[5] == "tieling"                          # as the service user, never root
    command = " ".join(line.split()[6:])
    srv, env_file = tmp_path / "srv", tmp_path / "etl.env"
    (srv / "inbox").mkdir(parents=True)
    (tmp_path / "log").mkdir()
    env_file.write_text(f"PII_HMAC_KEY={TEST_KEY.decode()}\n")
    for old, new in (("/opt/tieling", str(ROOT)), ("/etc/tieling/etl.env", str(env_file)), ("/srv/tieling", str(srv)),
                     ("/var/log/tieling", str(tmp_path / "log"))):
        command = command.replace(old, new)
    env = {k: v for k, v in os.environ.items() if k not in ("PII_HMAC_KEY", "ETL_ALLOW_DEMO_KEY")}
    done = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (tmp_path / "log" / "etl.log").read_text(encoding="utf-8")
    assert (srv / "warehouse" / "warehouse.duckdb").exists()
