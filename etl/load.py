"""Land a night's inbox files into an open warehouse connection: archive, read → normalise → validate → insert.

Every valid row goes to landing.<dataset>, every broken rule to meta.quarantine, every file to meta.load_file and
its expectation results to meta.expectation_result. This module only writes into the connection it is given:
taking the lock, copying the warehouse, building the models, checking the marts and publishing the file are
the warehouse's (warehouse/publish.py), which calls `receive` and then `land`.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl

from etl import landing
from etl.contract import RULES
from etl.normalise import normalise
from etl.read import ROW, FileRefused, read_file
from etl.validate import validate


class EtlError(Exception):
    """Nothing could be published; the message says why."""


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
class Received:
    """A file of the inbox, read once and already archived unchanged."""
    path: Path
    data: bytes
    sha256: str
    archived: Path


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


def receive(inbox: Path, archive_dir: Path) -> list[Received]:
    """Archive first: every file received is kept unchanged before anything can go wrong with it."""
    received = []
    for path in inbox_files(inbox):
        data = path.read_bytes()
        received.append(Received(path, data, *archive(path, data, archive_dir)))
    return received


def land(con: duckdb.DuckDBPyConnection, received: list[Received], run_id: str, hmac_key: bytes,
         progress: Callable[[str], None] = lambda _: None) -> list[FileReport]:
    """Land every received file into the open warehouse `con` (landing.*, meta.*); one report per file, in order.

    A file already loaded (same SHA-256) is a duplicate; a file that cannot be read is refused; either way it is
    recorded in meta.load_file. Exceptions other than a refusal propagate: the caller discards the connection's file.
    """
    landing.ensure(con)
    loader = _Loader(con, run_id, hmac_key)
    reports = []
    for i, r in enumerate(received, 1):
        report = loader.file(r.path, r.data, r.sha256, r.archived)
        reports.append(report)
        progress(_progress_line(i, len(received), report))
    return reports


class _Loader:
    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str, hmac_key: bytes):
        self.con, self.run_id, self.key = con, run_id, hmac_key
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
        # validate imports Great Expectations (~3 s) on its first call: a night of duplicates never does
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


STATUS_TEXT = {"loaded": "已入库", "refused": "拒收", "duplicate": "重复文件"}


def _progress_line(i: int, n: int, f: FileReport) -> str:
    head = f"[{i}/{n}] {f.file}  {f.dataset or '-'}  {f.encoding or ''}  {STATUS_TEXT[f.status]}"
    if f.status == "loaded":
        return f"{head}  读取 {f.rows_read:,} 行,入库 {f.rows_loaded:,} 行,隔离 {f.rows_quarantined:,} 行"
    return f"{head}  {f.reason}"
