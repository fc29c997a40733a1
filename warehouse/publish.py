"""Publish a night's warehouse: lock, copy, land the inbox, build the models, check the marts' keys, swap in.

The new warehouse is built beside the current one (a copy of it) and swapped in with os.replace, so a failure at
any point leaves the previous warehouse untouched and readable. The landing itself (archive, read → normalise →
validate → insert into landing.* and meta.*) is the ETL's: etl.load.receive and etl.load.land.

A run killed outright (SIGKILL, power) leaves its building copy and archive .part files: the next run, once it holds
the lock, removes them. Everything a run creates is owner-only (files 0o600, folders 0o700) whatever the umask.

CLI: `python -m etl run --inbox DIR --warehouse FILE [--archive DIR] [--json] …` (etl/__main__.py).
"""
from __future__ import annotations

import errno
import fcntl
import glob
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import duckdb

import expectations
from etl.contract import DATASETS
from etl.load import (DUPLICATE_REASON, OWNER_FILE, EtlDiskFull, EtlError, FileReport, Limits, Received, Timings,
                      check_hmac_key, disk_full, hmac_key_from_env, land, naming_a_full_disk, private_dir, progress_line,
                      purge_archive, receive, remove_partial_archives)
from etl.pii import mask_numbers_in
from warehouse import build

__all__ = ["EtlDiskFull", "EtlError", "EtlInterrupted", "EtlLocked", "FileReport", "Limits", "RunReport",
           "check_mart_keys", "run", "run_lock"]
BEIJING = timedelta(hours=8)
DUCKDB_MEMORY_LIMIT = "1GB"   # the build's share of a 2 GB night (the reading threads hold a few files besides)


class EtlInterrupted(BaseException):
    """SIGTERM or SIGINT stopped the run (raised by the CLI's signal handler). A BaseException, like
    KeyboardInterrupt, so no `except Exception` on the way (a reader's, a library's) swallows it; the run's clean-up
    (`finally`, `except BaseException`) still runs: the building copy is removed and the lock released."""

    def __init__(self, signum: int, name: str):
        super().__init__(name)
        self.signum, self.name = signum, name


class EtlLocked(EtlError):
    """Another run holds the warehouse's lock: this one stops at once."""


@contextmanager
def run_lock(warehouse: Path):
    """One ETL run per warehouse at a time (an exclusive, non-blocking flock beside the warehouse)."""
    lock_path = warehouse.with_name(f".{warehouse.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, OWNER_FILE)
    os.fchmod(fd, OWNER_FILE)   # the umask may have widened a new file; an older lock file is narrowed too
    with os.fdopen(fd, "r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "未知进程"
            raise EtlLocked(f"另一个入库任务正在运行({holder}),本次不启动;请待其结束后再试") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()},开始于 {datetime.now():%Y-%m-%d %H:%M:%S}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class RunReport:
    published: bool
    run_id: str
    warehouse: str
    files: list[FileReport] = field(default_factory=list)
    leftovers_removed: int = 0        # what killed runs left: building copies, their .wal, archive .part files
    archive_purged: int = 0           # raw files older than --archive-keep-days, deleted at the start
    nothing_new: bool = False         # every file's content was loaded or refused before: nothing was published
    timings: dict[str, float] = field(default_factory=dict)   # seconds per phase (etl.load.Timings)
    models: dict[str, str] = field(default_factory=dict)      # how each model was made (warehouse.build)

    def to_json(self) -> dict:
        keys = ("file", "dataset", "status", "reason", "rows_read", "rows_loaded", "rows_quarantined")
        return {"published": self.published, "nothing_new": self.nothing_new, "run_id": self.run_id,
                "warehouse": self.warehouse, "leftovers_removed": self.leftovers_removed,
                "archive_purged": self.archive_purged,
                "timings": {k: round(v, 3) for k, v in self.timings.items()},
                "files": [{k: asdict(f)[k] for k in keys} for f in self.files]}


def run(inbox: Path, warehouse: Path, archive_dir: Path | None = None, hmac_key: bytes | None = None,
        progress: Callable[[str], None] = lambda _: None, limits: Limits = Limits(),
        archive_keep_days: int | None = None, allow_demo_key: bool = False, retry_refused: bool = False,
        memory_limit: str = DUCKDB_MEMORY_LIMIT) -> RunReport:
    """Load every file of the inbox and publish a new warehouse; raises EtlError when nothing is published.

    hmac_key: None reads PII_HMAC_KEY (and the demo opt-in ETL_ALLOW_DEMO_KEY) from the environment; a key given
    here must be as long (32 bytes), and is the demo key only with allow_demo_key. archive_keep_days: None keeps
    every raw file; N deletes those not received for N days, at the start of the run.

    A night whose every file was seen before (loaded, or refused: retry_refused reads those again, e.g. after the
    limits were raised) publishes nothing and leaves the warehouse as it is (report.nothing_new), unless the models
    changed since it was built. memory_limit bounds DuckDB's memory while building (it spills to a temporary folder
    beside the building copy beyond that).
    """
    inbox, warehouse = Path(inbox), Path(warehouse)
    key = hmac_key_from_env() if hmac_key is None else check_hmac_key(hmac_key, allow_demo_key)
    if not inbox.is_dir():
        raise EtlError(f"收件目录不存在:{inbox}")
    if archive_keep_days is not None and archive_keep_days < 1:
        raise EtlError(f"原始文件保留天数须为正整数,收到 {archive_keep_days}")
    archive_dir = Path(archive_dir) if archive_dir else warehouse.parent / "archive"
    # Owner-only whatever the caller's umask: DuckDB's .wal and temporary files, and anything a library creates on
    # the way, get their mode from it; what this code creates is also given its mode explicitly.
    umask = os.umask(0o077)
    try:
        private_dir(warehouse.parent)
        with run_lock(warehouse):
            return _run(inbox, warehouse, archive_dir, key, progress, limits, archive_keep_days, retry_refused,
                        memory_limit)
    finally:
        os.umask(umask)


def _building_leftovers(warehouse: Path) -> list[Path]:
    return sorted(warehouse.parent.glob(f".{glob.escape(warehouse.name)}.*.building*"))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)   # DuckDB's <file>.tmp spill folder
    else:
        path.unlink(missing_ok=True)


def _run(inbox: Path, warehouse: Path, archive_dir: Path, key: bytes, progress: Callable[[str], None],
         limits: Limits, archive_keep_days: int | None, retry_refused: bool, memory_limit: str) -> RunReport:
    started = datetime.now(timezone.utc).replace(tzinfo=None)   # stored in UTC; shown +8 everywhere
    # the run's id is read by people (数据质量, downloads' 入库批次): it carries its Beijing start time
    run_id = (started + BEIJING).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    report = RunReport(False, run_id, str(warehouse))
    timings = Timings()
    report.timings = timings

    # Holding the lock, nothing else can be writing these: what a killed run left is removed now.
    leftovers = _building_leftovers(warehouse)
    for path in leftovers:
        _remove(path)
    report.leftovers_removed = len(leftovers) + remove_partial_archives(archive_dir)
    if report.leftovers_removed:
        progress(f"已清理上次中断的入库留下的 {report.leftovers_removed} 个临时文件")
    report.archive_purged = purge_archive(archive_dir, archive_keep_days)
    if archive_keep_days is not None:
        progress(f"原始文件归档保留 {archive_keep_days} 天:删除过期文件 {report.archive_purged} 个")

    with timings.timed("receive"):
        received = receive(inbox, archive_dir, limits)  # archived before anything else can go wrong
    if warehouse.exists() and _nothing_new(warehouse, received, report, retry_refused):
        for i, f in enumerate(report.files, 1):
            progress(progress_line(i, len(report.files), f))
        return report

    building = warehouse.with_name(f".{warehouse.name}.{run_id}.building")
    try:
        with naming_a_full_disk(building), _naming_duckdb_full_disk(building):
            with timings.timed("copy"):
                if warehouse.exists():
                    shutil.copyfile(warehouse, building)
            # DuckDB's memory bounded, spilling beyond it next to the building copy (removed with it on failure)
            con = duckdb.connect(str(building), config={"memory_limit": memory_limit,
                                                        "temp_directory": f"{building}.tmp"})
            os.chmod(building, OWNER_FILE)   # copyfile and DuckDB create it by the umask
            try:
                # one transaction for the night: each statement committing on its own wrote its rows twice (log,
                # then file); a failure discards the building copy anyway
                con.execute("BEGIN TRANSACTION")
                report.files = land(con, received, run_id, key, progress, limits, timings)
                with timings.timed("build"):
                    loaded = {f.dataset for f in report.files if f.status == "loaded"}
                    report.models = build.build_models(con, run_id, loaded)
                with timings.timed("check"):
                    check_mart_keys(con, run_id)
                _record_run(con, report, inbox, started)
                with timings.timed("publish"):
                    con.execute("COMMIT")
                    con.execute("CHECKPOINT")
            finally:
                con.close()
            with timings.timed("publish"):
                _fsync_file(building)
                os.replace(building, warehouse)
                _fsync_dir(warehouse.parent)
    except BaseException:
        for path in (building, Path(f"{building}.wal"), Path(f"{building}.tmp")):
            _remove(path)
        raise
    report.published = True
    return report


def _nothing_new(warehouse: Path, received: list[Received], report: RunReport, retry_refused: bool) -> bool:
    """True when no file brings content the warehouse has not seen and the models are those it was built with: then
    report.files says what each file was (a duplicate, refused before with its reason, skipped) and nothing is
    copied, built or published. Read from the published warehouse, read-only, beside the dashboard's readers."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if build.stored_fingerprint(con) != build.fingerprint():
            return False
        known = {sha: (status, dataset, reason) for sha, status, dataset, reason in con.execute("""
            SELECT sha256, CASE WHEN bool_or(status = 'loaded') THEN 'loaded' ELSE arg_max(status, file_seq) END,
                   arg_max(dataset, file_seq), arg_max(reason, file_seq)
            FROM meta.load_file WHERE sha256 IS NOT NULL AND status IN ('loaded', 'refused') GROUP BY sha256
        """).fetchall()}
    finally:
        con.close()
    files = []
    for r in received:
        name = mask_numbers_in(r.path.name)
        if r.status:
            files.append(FileReport(name, None, r.status, mask_numbers_in(r.reason)))
            continue
        status, dataset, reason = known.get(r.sha256, (None, None, None))
        if status == "loaded":
            files.append(FileReport(name, dataset, "duplicate", DUPLICATE_REASON))
        elif status == "refused" and not retry_refused:
            files.append(FileReport(name, dataset, "refused", f"此前已拒收,文件内容未变:{reason}"))
        else:
            return False
    report.files, report.nothing_new = files, True
    return True


@contextmanager
def _naming_duckdb_full_disk(building: Path):
    """DuckDB reports a full disk as its own IOException, not an OSError: named the same way."""
    try:
        yield
    except duckdb.IOException as exc:
        if "No space left" in str(exc) or f"errno {errno.ENOSPC}" in str(exc):
            raise disk_full(building, exc) from exc
        raise


def check_mart_keys(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Table-level check on each mart, in SQL: one row per natural key after the latest-version rule.

    The mart and its key columns are the dataset's (expectations.mart_of). One row per mart goes to
    meta.expectation_result under the name Great Expectations gives the same check (数据质量 shows it):
    unexpected_count is the number of keys that repeat, sample up to five of them. Rows whose key columns are
    all empty are not keys and are skipped, as Great Expectations' uniqueness expectations skip them. A repeated
    key would double-count in every indicator, so the run fails and the previous warehouse stays published.
    """
    failures = []
    for key in DATASETS:
        mart = expectations.mart_of(key)
        if mart is None:
            continue
        table, columns = mart
        cols = ", ".join(columns)
        repeated = con.execute(f"""
            SELECT {cols}, count(*) AS copies, count(*) OVER () AS repeated_keys
            FROM {table}
            WHERE NOT ({' AND '.join(f'{c} IS NULL' for c in columns)})
            GROUP BY {cols}
            HAVING count(*) > 1
            ORDER BY copies DESC, {cols}
            LIMIT 5""").fetchall()
        count = repeated[0][-1] if repeated else 0
        sample = "、".join(_key_text(row[:len(columns)]) for row in repeated) or None
        expectation = ("expect_column_values_to_be_unique" if len(columns) == 1
                       else "expect_compound_columns_to_be_unique")
        con.execute("INSERT INTO meta.expectation_result VALUES (?, NULL, ?, ?, ?, 'duplicate_key', ?, ?, ?)",
                    [run_id, key, expectation, cols, count == 0, count, sample])
        if count:
            failures.append(f"{table}({cols}) {count} 个键重复,如 {sample}")
    if failures:
        raise RuntimeError("最新版本规则去重后主键仍重复:" + ";".join(failures))


def _key_text(values: tuple) -> str:
    return "/".join("" if v is None else str(v) for v in values)


def _record_run(con, report: RunReport, inbox: Path, started: datetime) -> None:
    files = report.files
    count = lambda status: sum(f.status == status for f in files)  # noqa: E731
    con.execute("INSERT INTO meta.load_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        # files seen: loaded + refused + duplicate; skipped names (hidden, temporary) are in meta.load_file only
        report.run_id, started, datetime.now(timezone.utc).replace(tzinfo=None), str(inbox),
        len(files) - count("skipped"),
        count("loaded"), count("refused"), count("duplicate"), sum(f.rows_read for f in files),
        sum(f.rows_loaded for f in files), sum(f.rows_quarantined for f in files)])


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
