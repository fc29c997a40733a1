"""Land a night's inbox files into an open warehouse connection: archive, read → normalise → validate → insert.

Every valid row goes to landing.<dataset>, every broken rule to meta.quarantine, every file to meta.load_file and
its expectation results to meta.expectation_result. This module only writes into the connection it is given:
taking the lock, copying the warehouse, building the models, checking the marts and publishing the file are
the warehouse's (warehouse/publish.py), which calls `receive` and then `land`.

Limits (`Limits`) keep one runaway file from taking the night down: a file too large on disk, an xlsx whose
members decompress to too much, or too many rows is refused before it is read; a file most of whose rows break
the contract is refused whole instead of flooding the quarantine.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import threading
import time
import uuid
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl

from etl import landing
from etl.contract import RULES
from etl.normalise import normalise
from etl.pii import mask_numbers, mask_numbers_in
from etl.read import ROW, FileRefused, read_file
from etl.validate import validate, warm_validation


class EtlError(Exception):
    """Nothing could be published; the message says why."""


class EtlDiskFull(Exception):
    """A write ran out of space (ENOSPC); the message names the file that could not be written."""


def disk_full(path: Path, exc: BaseException) -> EtlDiskFull:
    return EtlDiskFull(f"磁盘空间不足:写入 {path} 时磁盘已满(No space left on device),本次未发布,原数据仓库未改动;"
                       f"请清理 {path.parent} 所在磁盘后重新运行")


@contextmanager
def naming_a_full_disk(path: Path):
    """A full disk surfaces as a bare OSError (a write, a copy, an fsync often carry no file name): say which file."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise disk_full(Path(exc.filename) if exc.filename else path, exc) from exc
        raise


# ------------------------------------------------------------------------------------------------ the HMAC key

DEMO_KEY = b"demo-only-key-not-for-production"   # the Makefile's DEMO_KEY: `make demo` only
MIN_KEY_BYTES = 32
KEY_COMMAND = "head -c 32 /dev/urandom | base64"
ALLOW_DEMO_KEY_ENV = "ETL_ALLOW_DEMO_KEY"       # set to 1 by the Makefile's demo targets, nowhere else


def check_hmac_key(key: bytes, allow_demo: bool = False) -> bytes:
    """The key every identity hash depends on: at least 32 bytes, and never the published demo key outside the demo
    (anyone holding the repository could recompute the hashes of a list of identity numbers)."""
    if key == DEMO_KEY and not allow_demo:
        raise EtlError("PII_HMAC_KEY 是公开的演示密钥(demo-only-key-not-for-production),只能用于 make demo;"
                       f"正式部署请生成自己的密钥:{KEY_COMMAND}(见 README“Nightly operation”)")
    if len(key) < MIN_KEY_BYTES:
        raise EtlError(f"PII_HMAC_KEY 太短({len(key)} 字节),至少需要 {MIN_KEY_BYTES} 字节;"
                       f"用以下命令生成一个并妥善保存(每晚使用同一密钥):{KEY_COMMAND}")
    return key


def hmac_key_from_env() -> bytes:
    key = os.environ.get("PII_HMAC_KEY", "")
    if not key:
        raise EtlError("未设置环境变量 PII_HMAC_KEY:身份证号必须用部署方提供的密钥做 HMAC-SHA256 后才能入库,"
                       f"请设置后重试(生成方法:{KEY_COMMAND};演示环境请使用 make demo,它提供本地演示密钥)")
    return check_hmac_key(key.encode(), allow_demo=os.environ.get(ALLOW_DEMO_KEY_ENV) == "1")


# ------------------------------------------------------------------------------------------------ limits

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Refuse a runaway file instead of reading it. Defaults are far above any county's export (the largest, a
    year of one county's cases, is a few MB and tens of thousands of rows)."""
    max_bytes: int = 200 * MB           # on disk; for an xlsx also everything its members decompress to
    max_rows: int = 2_000_000           # lines of a CSV, rows of a worksheet, data rows read
    max_bad_share: float = 0.5          # a file with more bad rows than this share is refused whole …
    bad_share_min_rows: int = 20        # … once it has at least this many data rows (a tiny file is just quarantined)


def _mb(n: int) -> str:
    return f"{n / MB:,.1f} MB"


_ROW_TAGS = (b"<row ", b"<row>")        # a worksheet's rows (never <rowBreaks>)


def check_before_reading(data: bytes, limits: Limits) -> None:
    """Raise FileRefused when the file would be too large to read: its size, what an xlsx's members decompress to,
    or its number of rows (a CSV's lines, a worksheet's <row> tags)."""
    if len(data) > limits.max_bytes:
        raise FileRefused(f"文件大小 {_mb(len(data))} 超过上限 {_mb(limits.max_bytes)},未读取")
    if data.startswith(b"PK"):
        _check_zip(data, limits)
    elif not data.startswith(b"\xd0\xcf\x11\xe0"):   # text (an .xls holds at most 65,536 rows by its format)
        lines = data.count(b"\n") + (not data.endswith(b"\n"))
        if lines > limits.max_rows:
            raise FileRefused(f"文件约有 {lines:,} 行,超过上限 {limits.max_rows:,} 行,未读取")


def _check_zip(data: bytes, limits: Limits) -> None:
    """A zip bomb is refused on the sizes its directory declares, before anything is decompressed. Every member is
    then decompressed once as a stream, 1 MB at a time, counting a worksheet's rows: Python's zipfile stops at the
    declared size and checks the CRC, so a header that understates a member is caught as a damaged file instead of
    letting the Excel reader decompress what it really holds."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        members = book.infolist()
    except (zipfile.BadZipFile, ValueError):
        return                                         # not a workbook: the reader says so
    declared = sum(m.file_size for m in members)
    if declared > limits.max_bytes:
        raise FileRefused(f"Excel文件解压后共 {_mb(declared)},超过上限 {_mb(limits.max_bytes)}"
                          "(异常的压缩文件,如“压缩炸弹”),未读取")
    try:
        for m in members:
            is_sheet = m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")
            rows, tail = 0, b""
            with book.open(m) as member:
                while chunk := member.read(MB):
                    if is_sheet:
                        piece = tail + chunk   # a tag split across two pieces is counted once, in the second
                        rows += sum(piece.count(t) for t in _ROW_TAGS)
                        tail = piece[-4:]
            if rows > limits.max_rows:
                raise FileRefused(f"工作表 {m.filename.rsplit('/', 1)[-1]} 有 {rows:,} 行,超过上限 {limits.max_rows:,} 行,"
                                  "未读取")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise FileRefused(f"Excel文件已损坏或与其文件头不符,未读取:{exc}") from exc


# ------------------------------------------------------------------------------------------------ receiving


@dataclass
class FileReport:
    file: str
    dataset: str | None
    status: str                       # loaded | refused | duplicate | skipped
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    encoding: str | None = None


@dataclass
class Received:
    """A name in the inbox. A regular file is hashed and archived unchanged first, one file at a time as a stream
    (never the whole inbox in memory); it is read later, from its archived copy, only when its content is new.
    `archived` is None when it was not archived (`status` skipped or refused before reading, with `reason`)."""
    path: Path
    sha256: str | None
    archived: Path | None
    size: int
    modified: float                   # st_mtime of the name itself (a link is not followed)
    status: str | None = None         # decided before reading: skipped | refused
    reason: str | None = None


OWNER_FILE, OWNER_DIR = 0o600, 0o700   # the ETL's files hold personal data: the service account only


def private_dir(path: Path) -> None:
    """Create the folder and any missing parents owner-only (0o700) whatever the umask; existing ones are left."""
    path = Path(path)
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for p in reversed(missing):
        with naming_a_full_disk(p):
            try:
                p.mkdir(mode=OWNER_DIR)
            except FileExistsError:
                continue
            os.chmod(p, OWNER_DIR)


def _skip_reason(name: str) -> str | None:
    if name.startswith("~$"):
        return "Office 临时文件(“~$”开头,表示该表格正在 Excel/WPS 中打开),不读取;关闭表格后它会自行消失"
    if name.startswith("."):
        return "隐藏文件(“.”开头),不读取"
    return None


def receive(inbox: Path, archive_dir: Path, limits: Limits = Limits()) -> list[Received]:
    """Archive first: every file received is kept unchanged before anything can go wrong with it.

    In the order received (modification time, then name). Hidden and Office temporary files are skipped and symbolic
    links refused (never followed: a link could point anywhere the service account can read), both reported.
    """
    entries = sorted(((p, p.lstat()) for p in Path(inbox).iterdir()), key=lambda e: (e[1].st_mtime_ns, e[0].name))
    received = []
    for path, st in entries:
        r = Received(path, None, None, st.st_size, st.st_mtime)
        skip = _skip_reason(path.name)
        if skip:
            r.status, r.reason = "skipped", skip
        elif stat.S_ISLNK(st.st_mode):
            r.status, r.reason = "refused", "符号链接(快捷方式),不跟随读取;请把导出文件本身放入收件目录"
        elif stat.S_ISDIR(st.st_mode):
            r.status, r.reason = "skipped", "子目录,不读取其中的文件;请把导出文件直接放入收件目录"
        elif not stat.S_ISREG(st.st_mode):
            r.status, r.reason = "refused", "不是普通文件(如管道、设备),不读取"
        else:
            _receive_file(r, archive_dir, limits)
        received.append(r)
    return received


def _receive_file(r: Received, archive_dir: Path, limits: Limits) -> None:
    try:  # O_NOFOLLOW: a name swapped for a link since it was listed is not followed either
        fd = os.open(r.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        r.status, r.reason = "refused", f"无法打开文件:{exc.strerror}"
        return
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            r.status, r.reason = "refused", "不是普通文件(如管道、设备),不读取"
            return
        r.size = st.st_size
        # Hashed first, reading only: a file already archived (the inbox keeps last month's exports) is not copied
        # again, only marked received. A new one is copied as a stream and named by the hash of what was copied.
        digest = hashlib.sha256()
        while chunk := handle.read(MB):
            digest.update(chunk)
        target = _archive_target(digest.hexdigest(), r.path.suffix, archive_dir)
        if target.exists():
            os.utime(target)
            r.sha256, r.archived = digest.hexdigest(), target
        else:
            handle.seek(0)
            r.sha256, r.archived = archive_stream(handle, r.path.suffix, archive_dir)
    if r.size > limits.max_bytes:   # never read: archived, then refused
        r.status, r.reason = "refused", f"文件大小 {_mb(r.size)} 超过上限 {_mb(limits.max_bytes)},未读取"


def _archive_target(sha: str, suffix: str, archive_dir: Path) -> Path:
    return archive_dir / sha[:2] / (sha + suffix.lower())


def _keep(tmp: Path, target: Path) -> None:
    """The finished .part becomes the archived file (owner-only); one already there is only marked received now, so
    the retention (--archive-keep-days) counts from the last time a file was received."""
    if target.exists():
        tmp.unlink()
        os.utime(target)
        return
    private_dir(target.parent)
    os.replace(tmp, target)


def _write_part(tmp: Path, write: Callable[[int], None]) -> None:
    """Write a .part file owner-only; on any failure or interruption it is removed (the next run removes one a killed
    run left)."""
    try:
        with naming_a_full_disk(tmp):
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, OWNER_FILE)
            try:
                os.fchmod(fd, OWNER_FILE)
                write(fd)
                os.fsync(fd)
            finally:
                os.close(fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def archive_stream(handle, suffix: str, archive_dir: Path) -> tuple[str, Path]:
    """archive() for a file too large to hold in memory: copied in 1 MB pieces, hashed on the way."""
    private_dir(archive_dir)
    tmp = archive_dir / f".incoming-{uuid.uuid4().hex}{suffix.lower()}.part"
    digest = hashlib.sha256()

    def copy(fd: int) -> None:
        while chunk := handle.read(MB):
            digest.update(chunk)
            _write_all(fd, chunk)

    _write_part(tmp, copy)
    target = _archive_target(digest.hexdigest(), suffix, archive_dir)
    _keep(tmp, target)
    return digest.hexdigest(), target


def remove_partial_archives(archive_dir: Path) -> int:
    """.part files a killed run left in the archive (a finished file is renamed from its .part): removed."""
    if not archive_dir.is_dir():
        return 0
    parts = [p for p in archive_dir.rglob("*.part") if p.is_file() and not p.is_symlink()]
    for p in parts:
        p.unlink(missing_ok=True)
    return len(parts)


def purge_archive(archive_dir: Path, keep_days: int | None, now: float | None = None) -> int:
    """Raw files not received for more than `keep_days` days (archive mtime) are deleted; None keeps everything.
    A file received again is marked then (archive() touches it), so it is kept as long as it keeps coming."""
    if keep_days is None or not archive_dir.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    purged = 0
    for shard in sorted(p for p in archive_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        for f in shard.iterdir():
            if f.is_file() and not f.is_symlink() and f.stat().st_mtime < cutoff:
                f.unlink()
                purged += 1
        if not any(shard.iterdir()):
            shard.rmdir()
    return purged


# ------------------------------------------------------------------------------------------------ landing

READ_WORKERS = max(1, min(4, os.cpu_count() or 1))
READ_AHEAD_BYTES = 64 * MB    # on disk: about 230,000 case rows of CSV, 1.5 million of xlsx


class Timings(dict):
    """Seconds spent per phase of a run (read, normalise, validate, insert, build …), for the report and the
    benchmarks; read and normalise are summed over the reading threads."""

    _lock = threading.Lock()   # the reading threads add their phases too

    def add(self, phase: str, seconds: float) -> None:
        with self._lock:
            self[phase] = self.get(phase, 0.0) + seconds

    @contextmanager
    def timed(self, phase: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(phase, time.perf_counter() - started)


def land(con: duckdb.DuckDBPyConnection, received: list[Received], run_id: str, hmac_key: bytes,
         progress: Callable[[str], None] = lambda _: None, limits: Limits = Limits(),
         timings: Timings | None = None, workers: int = READ_WORKERS) -> list[FileReport]:
    """Land every received file into the open warehouse `con` (landing.*, meta.*); one report per file, in order.

    A file already loaded (same SHA-256) is a duplicate; a file that cannot be read, or that breaks a limit, is
    refused; a hidden or temporary file is skipped; every one is recorded in meta.load_file. Exceptions other than a
    refusal propagate: the caller discards the connection's file.

    New files are read and normalised by `workers` threads (polars and the Excel reader work outside the GIL), a few
    files ahead of the main thread, which validates and inserts them in the order received: memory holds at most
    `workers + 1` files at a time, whatever the size of the inbox.
    """
    landing.ensure(con)
    timings = Timings() if timings is None else timings
    loader = _Loader(con, run_id, hmac_key, limits, timings)
    reports = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="etl-read") as pool:
        try:
            ahead = _ReadAhead(pool, loader, received, window=workers + 1)
            for i, r in enumerate(received, 1):
                report = loader.file(r, ahead.result(i - 1))
                reports.append(report)
                progress(progress_line(i, len(received), report))
        except BaseException:   # interrupted or failed: files not yet started are not read
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return reports


@dataclass
class _Prepared:
    raw: object | None = None          # etl.read.RawTable
    norm: object | None = None         # etl.normalise.Normalised
    refused: FileRefused | None = None


class _ReadAhead:
    """Reads the files whose content is new (the first of each new SHA-256) on the pool, at most `window` ahead of
    the one being landed. Later copies of a content are decided when their turn comes (a duplicate once the first
    loaded)."""

    def __init__(self, pool: ThreadPoolExecutor, loader: _Loader, received: list[Received], window: int):
        self.pool, self.loader, self.window = pool, loader, window
        seen: set[str] = set()
        self.todo: list[int] = []
        for i, r in enumerate(received):
            if not r.status and r.sha256 not in loader.loaded_shas and r.sha256 not in seen:
                seen.add(r.sha256)
                self.todo.append(i)
        self.received = received
        self.futures: dict[int, Future] = {}
        self.next, self.current = 0, 0
        self._fill()

    def _fill(self) -> None:
        # at most `window` files in flight, and no more than READ_AHEAD_BYTES of them on disk unless it is the only
        # one: a night of a few very large files holds one or two of them, not three
        while self.next < len(self.todo) and len(self.futures) < self.window:
            i = self.todo[self.next]
            inflight = self.current + sum(self.received[j].size for j in self.futures)
            if (self.futures or self.current) and inflight + self.received[i].size > READ_AHEAD_BYTES:
                break
            self.futures[i] = self.pool.submit(self.loader.prepare, self.received[i])
            self.next += 1

    def result(self, i: int) -> _Prepared | None:
        if self.next < len(self.todo) and self.todo[self.next] == i:   # its turn came before the budget let it in
            self.futures[i] = self.pool.submit(self.loader.prepare, self.received[i])
            self.next += 1
        future = self.futures.pop(i, None)
        self.current = self.received[i].size if future else 0   # its frames live while it is landed
        self._fill()
        return None if future is None else future.result()


class _Loader:
    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str, hmac_key: bytes, limits: Limits,
                 timings: Timings):
        self.con, self.run_id, self.key, self.limits, self.timings = con, run_id, hmac_key, limits, timings
        self.loaded_shas: dict[str, str] = dict(con.execute(
            "SELECT sha256, any_value(dataset) FROM meta.load_file WHERE status = 'loaded' GROUP BY 1").fetchall())
        self.seq = con.execute("SELECT coalesce(max(file_seq), 0) FROM meta.load_file").fetchall()[0][0]
        self._warm_lock, self._warming = threading.Lock(), False

    def warm(self) -> None:
        """Great Expectations imports (~3 s) on a thread of its own as soon as a first new file passes the limits,
        while it is read and normalised; a night whose new files are all refused before reading never imports it."""
        with self._warm_lock:
            if self._warming:
                return
            self._warming = True

        def importing() -> None:
            with self.timings.timed("gx_import"):
                warm_validation()
        threading.Thread(target=importing, name="etl-gx-import", daemon=True).start()

    def prepare(self, r: Received) -> _Prepared:
        """Read and normalise one file from its archived copy (on a reading thread: touches no connection)."""
        try:
            with self.timings.timed("read"):
                data = r.archived.read_bytes()
                check_before_reading(data, self.limits)
                self.warm()           # a file within the limits: Great Expectations imports while it is read
                raw = read_file(r.path, data)
                del data
                if raw.rows_read > self.limits.max_rows:   # a format whose rows could not be counted before reading
                    raise FileRefused(f"文件有 {raw.rows_read:,} 行数据,超过上限 {self.limits.max_rows:,} 行",
                                      raw.dataset.key)
            with self.timings.timed("normalise"):
                return _Prepared(raw, normalise(raw, self.key))
        except FileRefused as exc:
            return _Prepared(refused=exc)

    def file(self, r: Received, prepared: _Prepared | None = None) -> FileReport:
        self.seq += 1
        path, sha = r.path, r.sha256
        report = FileReport(path.name, None, "duplicate")
        sheet = extras = None
        if r.status:                                   # skipped, or refused before reading
            report.status, report.reason = r.status, r.reason
        elif sha in self.loaded_shas:
            report.dataset = self.loaded_shas[sha]
            report.reason = DUPLICATE_REASON
        else:
            prepared = prepared or self.prepare(r)   # a second copy of a content whose first was refused
            try:
                if prepared.refused:
                    raise prepared.refused
                raw = prepared.raw
                report.dataset, report.encoding, sheet = raw.dataset.key, raw.encoding, raw.sheet
                extras = "、".join(raw.extra_columns) or None
                self._load(raw, prepared.norm, report, mask_numbers_in(path.name), sha)
                report.status = "loaded"
                self.loaded_shas[sha] = raw.dataset.key
            except FileRefused as exc:
                report.status, report.reason, report.dataset = "refused", str(exc), exc.dataset or report.dataset
                report.rows_read = report.rows_loaded = report.rows_quarantined = 0
        # A file's name, a sheet's name, its extra header cells and a refusal's reason (which may quote the file) are
        # written from the file: numbers in them are masked like any text, in the warehouse and in the run's report.
        report.file, report.reason = mask_numbers_in(report.file), mask_numbers_in(report.reason)
        sheet, extras = mask_numbers_in(sheet), mask_numbers_in(extras)
        self.con.execute(
            "INSERT INTO meta.load_file VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.run_id, self.seq, report.file, sha, r.size,
             datetime.fromtimestamp(r.modified, timezone.utc).replace(tzinfo=None), report.dataset,
             report.encoding, sheet, report.status, report.reason, report.rows_read, report.rows_loaded,
             report.rows_quarantined, extras, str(r.archived) if r.archived else None])
        return report

    def _load(self, raw, norm, report: FileReport, file_name: str, sha: str) -> None:
        key = raw.dataset.key
        previous = self.con.execute("""SELECT rows_read FROM meta.load_file WHERE dataset = ? AND status = 'loaded'
                                       ORDER BY file_seq DESC LIMIT 1""", [key]).fetchall()
        with self.timings.timed("validate"):
            checked = validate(key, norm.frame, previous[0][0] if previous else None)
        with self.timings.timed("insert"):
            self._insert(raw, norm, checked, report, file_name, sha)

    def _insert(self, raw, norm, checked, report: FileReport, file_name: str, sha: str) -> None:
        key = raw.dataset.key
        # One issue per (row, column): a value that could not be read is not also reported as missing.
        issues = pl.concat([norm.issues, checked.issues]).unique([ROW, "column"], keep="first", maintain_order=True)
        bad_rows = issues[ROW].unique()
        self._refuse_mostly_bad(issues, bad_rows.len(), raw.rows_read, key)
        good = norm.frame.filter(~pl.col(ROW).is_in(bad_rows.implode()))
        good = good.with_columns(pl.lit(self.run_id).alias("_run_id"), pl.lit(self.seq).alias("_file_seq"))
        self.con.register("incoming", good.to_arrow())
        self.con.execute(f"INSERT INTO landing.{key} BY NAME SELECT * FROM incoming")
        self.con.unregister("incoming")

        county_col = next((c.name for c in raw.dataset.columns if c.place == "county"), None)
        county = (norm.frame.select(ROW, pl.col(county_col + "_code").alias("county_code")) if county_col
                  else norm.frame.select(ROW, pl.lit(None, pl.String).alias("county_code")))
        # every stored value and detail through the same mask, whatever the rule that found it (normalise's issues are
        # masked already; the suites' come from the masked frame): nothing a rule quotes is stored in clear
        quarantine = issues.join(county, on=ROW, how="left").select(
            pl.lit(self.run_id).alias("run_id"), pl.lit(self.seq).alias("file_seq"),
            pl.lit(file_name).alias("file_name"), pl.lit(sha).alias("sha256"), pl.lit(key).alias("dataset"),
            pl.col(ROW).alias("row_number"), pl.col("column").alias("column_name"), "rule",
            pl.col("rule").replace_strict(RULES, default=None).alias("rule_text"), mask_numbers(pl.col("value")),
            "county_code", mask_numbers(pl.col("detail")))
        self.con.register("incoming", quarantine.to_arrow())
        self.con.execute("INSERT INTO meta.quarantine BY NAME SELECT * FROM incoming")
        self.con.unregister("incoming")

        results = checked.results.select(pl.lit(self.run_id).alias("run_id"), pl.lit(self.seq).alias("file_seq"),
                                         pl.lit(key).alias("dataset"), pl.all().exclude("column", "sample"),
                                         mask_numbers(pl.col("sample")), pl.col("column").alias("column_name"))
        self.con.register("incoming", results.to_arrow())
        self.con.execute("INSERT INTO meta.expectation_result BY NAME SELECT * FROM incoming")
        self.con.unregister("incoming")

        report.rows_read = raw.rows_read
        report.rows_quarantined = bad_rows.len()
        report.rows_loaded = good.height

    def _refuse_mostly_bad(self, issues: pl.DataFrame, bad: int, read: int, key: str) -> None:
        """A file most of whose rows break the contract is likely another export under this name, or a broken one:
        refused whole (nothing landed, nothing quarantined) with the share and the commonest rules, not thousands of
        quarantined rows."""
        if read < self.limits.bad_share_min_rows or bad <= self.limits.max_bad_share * read:
            return
        top = (issues.group_by("rule").agg(pl.col(ROW).n_unique().alias("rows"))
               .sort(["rows", "rule"], descending=[True, False]).head(3))
        rules = "、".join(f"{RULES.get(rule, rule)} {rows:,} 行" for rule, rows in top.iter_rows())
        raise FileRefused(f"多数行不合规,可能不是该数据集的导出:{bad:,}/{read:,} 行({bad / read:.0%})不合规,"
                          f"超过上限 {self.limits.max_bad_share:.0%};主要问题:{rules}。整份文件未入库,请核对后重新导出", key)


DUPLICATE_REASON = "与已入库文件内容完全相同(SHA-256一致),不重复入库"
STATUS_TEXT = {"loaded": "已入库", "refused": "拒收", "duplicate": "重复文件", "skipped": "跳过"}


def progress_line(i: int, n: int, f: FileReport) -> str:
    head = f"[{i}/{n}] {f.file}  {f.dataset or '-'}  {f.encoding or ''}  {STATUS_TEXT[f.status]}"
    if f.status == "loaded":
        return f"{head}  读取 {f.rows_read:,} 行,入库 {f.rows_loaded:,} 行,隔离 {f.rows_quarantined:,} 行"
    return f"{head}  {f.reason}"
