"""One ETL run: archive every inbox file, read → normalise → validate → land, build models, publish.

The new warehouse is built beside the current one (a copy of it) and swapped in with
os.replace, so a failure at any point leaves the previous warehouse untouched and readable.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl

from etl import landing
from etl.contract import RULES
from etl.normalise import normalise
from etl.read import ROW, FileRefused, read_file


class EtlError(Exception):
    """Nothing could be published; the message says why."""


class EtlLocked(EtlError):
    """Another run holds the warehouse's lock: this one stops at once."""


@contextmanager
def run_lock(warehouse: Path):
    """One ETL run per warehouse at a time (an exclusive, non-blocking flock beside the warehouse)."""
    lock_path = warehouse.with_name(f".{warehouse.name}.lock")
    with open(lock_path, "a+") as handle:
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
class FileReport:
    file: str
    dataset: str | None
    status: str                       # loaded | refused | duplicate
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    encoding: str | None = None


@dataclass
class RunReport:
    published: bool
    run_id: str
    warehouse: str
    files: list[FileReport] = field(default_factory=list)

    def to_json(self) -> dict:
        keys = ("file", "dataset", "status", "reason", "rows_read", "rows_loaded", "rows_quarantined")
        return {"published": self.published, "run_id": self.run_id, "warehouse": self.warehouse,
                "files": [{k: asdict(f)[k] for k in keys} for f in self.files]}


def hmac_key_from_env() -> bytes:
    key = os.environ.get("PII_HMAC_KEY", "")
    if not key:
        raise EtlError("未设置环境变量 PII_HMAC_KEY:身份证号必须用部署方提供的密钥做 HMAC-SHA256 后才能入库,"
                       "请设置后重试(演示环境请使用 make demo,它提供本地演示密钥)")
    return key.encode()


def inbox_files(inbox: Path) -> list[Path]:
    """Regular files, dot-files excluded, in the order received (modification time, then name)."""
    files = [p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def archive(path: Path, data: bytes, archive_dir: Path) -> tuple[str, Path]:
    """Keep the file unchanged, named by its SHA-256; readable by the service account only."""
    sha = hashlib.sha256(data).hexdigest()
    target = archive_dir / sha[:2] / (sha + path.suffix.lower())
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    return sha, target


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Run:
    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str, hmac_key: bytes,
                 progress: Callable[[str], None]):
        self.con, self.run_id, self.key, self.progress = con, run_id, hmac_key, progress
        self.loaded_shas: dict[str, str] = dict(con.execute(
            "SELECT sha256, any_value(dataset) FROM meta.load_file WHERE status = 'loaded' GROUP BY 1").fetchall())
        self.seq = con.execute("SELECT coalesce(max(file_seq), 0) FROM meta.load_file").fetchall()[0][0]

    def file(self, path: Path, data: bytes, sha: str, archived: Path) -> FileReport:
        self.seq += 1
        report = FileReport(path.name, None, "duplicate")
        sheet = extras = None
        if sha in self.loaded_shas:
            report.dataset = self.loaded_shas[sha]
            report.reason = "与已入库文件内容完全相同(SHA-256一致),不重复入库"
        else:
            try:
                raw = read_file(path, data)
                report.dataset, report.encoding, sheet = raw.dataset.key, raw.encoding, raw.sheet
                extras = "、".join(raw.extra_columns) or None
                self._load(raw, report, path.name, sha)
                report.status = "loaded"
                self.loaded_shas[sha] = raw.dataset.key
            except FileRefused as exc:
                report.status, report.reason, report.dataset = "refused", str(exc), exc.dataset
                report.rows_read = report.rows_loaded = report.rows_quarantined = 0
        stat = path.stat()
        self.con.execute(
            "INSERT INTO meta.load_file VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.run_id, self.seq, path.name, sha, len(data),
             datetime.fromtimestamp(stat.st_mtime, timezone.utc).replace(tzinfo=None), report.dataset,
             report.encoding, sheet, report.status, report.reason, report.rows_read, report.rows_loaded,
             report.rows_quarantined, extras, str(archived)])
        return report

    def _load(self, raw, report: FileReport, file_name: str, sha: str) -> None:
        from etl.validate import validate  # GX imports in ~3 s: only when a file is really loaded

        key = raw.dataset.key
        norm = normalise(raw, self.key)
        previous = self.con.execute("""SELECT rows_read FROM meta.load_file WHERE dataset = ? AND status = 'loaded'
                                       ORDER BY file_seq DESC LIMIT 1""", [key]).fetchall()
        checked = validate(key, norm.frame, previous[0][0] if previous else None)
        # One issue per (row, column): a value that could not be read is not also reported as missing.
        issues = pl.concat([norm.issues, checked.issues]).unique([ROW, "column"], keep="first", maintain_order=True)
        bad_rows = issues[ROW].unique()
        good = norm.frame.filter(~pl.col(ROW).is_in(bad_rows.implode()))
        good = good.with_columns(pl.lit(self.run_id).alias("_run_id"), pl.lit(self.seq).alias("_file_seq"))
        self.con.register("incoming", good.to_arrow())
        self.con.execute(f"INSERT INTO landing.{key} BY NAME SELECT * FROM incoming")
        self.con.unregister("incoming")

        county_col = next((c.name for c in raw.dataset.columns if c.place == "county"), None)
        county = (norm.frame.select(ROW, pl.col(county_col + "_code").alias("county_code")) if county_col
                  else norm.frame.select(ROW, pl.lit(None, pl.String).alias("county_code")))
        quarantine = issues.join(county, on=ROW, how="left").select(
            pl.lit(self.run_id).alias("run_id"), pl.lit(self.seq).alias("file_seq"),
            pl.lit(file_name).alias("file_name"), pl.lit(sha).alias("sha256"), pl.lit(key).alias("dataset"),
            pl.col(ROW).alias("row_number"), pl.col("column").alias("column_name"), "rule",
            pl.col("rule").replace_strict(RULES, default=None).alias("rule_text"), "value", "county_code", "detail")
        self.con.register("incoming", quarantine.to_arrow())
        self.con.execute("INSERT INTO meta.quarantine BY NAME SELECT * FROM incoming")
        self.con.unregister("incoming")

        results = checked.results.select(pl.lit(self.run_id).alias("run_id"), pl.lit(self.seq).alias("file_seq"),
                                         pl.lit(key).alias("dataset"), pl.all().exclude("column"),
                                         pl.col("column").alias("column_name"))
        self.con.register("incoming", results.to_arrow())
        self.con.execute("INSERT INTO meta.expectation_result BY NAME SELECT * FROM incoming")
        self.con.unregister("incoming")

        report.rows_read = raw.rows_read
        report.rows_quarantined = bad_rows.len()
        report.rows_loaded = good.height


def run(inbox: Path, warehouse: Path, archive_dir: Path | None = None, hmac_key: bytes | None = None,
        progress: Callable[[str], None] = lambda _: None) -> RunReport:
    """Load every file of the inbox and publish a new warehouse; raises EtlError when nothing is published."""
    inbox, warehouse = Path(inbox), Path(warehouse)
    key = hmac_key or hmac_key_from_env()
    if not inbox.is_dir():
        raise EtlError(f"收件目录不存在:{inbox}")
    archive_dir = Path(archive_dir) if archive_dir else warehouse.parent / "archive"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with run_lock(warehouse):
        return _run(inbox, warehouse, archive_dir, key, progress)


def _run(inbox: Path, warehouse: Path, archive_dir: Path, key: bytes, progress: Callable[[str], None]) -> RunReport:
    from warehouse.build import build_models

    started = datetime.now(timezone.utc).replace(tzinfo=None)
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    report = RunReport(False, run_id, str(warehouse))

    # Archive first: every file received is kept unchanged before anything can go wrong with it.
    received = []
    for path in inbox_files(inbox):
        data = path.read_bytes()
        received.append((path, data, *archive(path, data, archive_dir)))

    building = warehouse.with_name(f".{warehouse.name}.{run_id}.building")
    try:
        if warehouse.exists():
            shutil.copyfile(warehouse, building)
        con = duckdb.connect(str(building))
        try:
            landing.ensure(con)
            loader = _Run(con, run_id, key, progress)
            for i, (path, data, sha, archived) in enumerate(received, 1):
                f = loader.file(path, data, sha, archived)
                report.files.append(f)
                progress(_progress_line(i, len(received), f))
            build_models(con)
            check_marts(con, run_id)
            _record_run(con, report, inbox, started)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(building, warehouse)
        _fsync_dir(warehouse.parent)
    except BaseException:
        building.unlink(missing_ok=True)
        Path(str(building) + ".wal").unlink(missing_ok=True)
        raise
    report.published = True
    return report


def check_marts(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Table-level expectation on each mart: one row per natural key after the latest-version rule.

    A duplicate there would double-count in every indicator, so the run fails and the previous
    warehouse stays published.
    """
    from expectations import mart_of, unique_keys
    from etl.contract import DATASETS
    from etl.validate import check_table

    failures = []
    for key in DATASETS:
        mart = mart_of(key)
        if mart is None:
            continue
        table, columns = mart
        frame = con.sql(f"SELECT {', '.join(columns)} FROM {table}").pl()
        result = check_table(key, frame, unique_keys(columns), "duplicate_key")
        con.execute("INSERT INTO meta.expectation_result VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, key, result["expectation"], ", ".join(columns), "duplicate_key", result["success"],
                     result["unexpected_count"], result["sample"]])
        if not result["success"]:
            failures.append(f"{table}({', '.join(columns)})")
    if failures:
        raise RuntimeError("最新版本规则去重后主键仍重复:" + "、".join(failures))


def _record_run(con, report: RunReport, inbox: Path, started: datetime) -> None:
    files = report.files
    count = lambda status: sum(f.status == status for f in files)  # noqa: E731
    con.execute("INSERT INTO meta.load_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        report.run_id, started, datetime.now(timezone.utc).replace(tzinfo=None), str(inbox), len(files),
        count("loaded"), count("refused"), count("duplicate"), sum(f.rows_read for f in files),
        sum(f.rows_loaded for f in files), sum(f.rows_quarantined for f in files)])


STATUS_TEXT = {"loaded": "已入库", "refused": "拒收", "duplicate": "重复文件"}


def _progress_line(i: int, n: int, f: FileReport) -> str:
    head = f"[{i}/{n}] {f.file}  {f.dataset or '-'}  {f.encoding or ''}  {STATUS_TEXT[f.status]}"
    if f.status == "loaded":
        return f"{head}  读取 {f.rows_read:,} 行,入库 {f.rows_loaded:,} 行,隔离 {f.rows_quarantined:,} 行"
    return f"{head}  {f.reason}"
