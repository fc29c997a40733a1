"""CLI: python -m etl run --inbox DIR --warehouse FILE [--archive DIR] [--json] [--archive-keep-days N]
                        [--max-file-mb MB] [--max-rows N] [--max-bad-share PCT] [--bad-share-min-rows N]
                        [--retry-refused] [--memory-limit SIZE]

Exit status: 0 a warehouse was published (refused, skipped files and quarantined rows included), or nothing was new
(every file loaded or refused before: nothing published, the warehouse unchanged); 1 the run failed
(a full disk included, naming the file) and the previous warehouse is unchanged; 2 bad arguments or set-up (missing
inbox, PII_HMAC_KEY missing, shorter than 32 bytes or the demo key outside `make demo`); 3 another run holds the
lock (nothing done); 130 stopped by SIGINT (Ctrl-C), 143 stopped by SIGTERM (systemctl stop, kill): the building
copy is removed, the previous warehouse unchanged, the lock released.

The demo key is accepted only with ETL_ALLOW_DEMO_KEY=1 in the environment, which `make demo` sets.

An entry point: the ETL lands the files (etl.load), the warehouse builds, checks and publishes them
(warehouse.publish), so this command composes both.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from etl.load import MB, Limits
from warehouse.publish import DUCKDB_MEMORY_LIMIT, EtlDiskFull, EtlError, EtlInterrupted, EtlLocked, run

# 128 + the signal's number, as a shell reports a process a signal ended: scripts and systemd read it so
INTERRUPTED_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}
SIGNAL_TEXT = {signal.SIGINT: "SIGINT(Ctrl-C)", signal.SIGTERM: "SIGTERM(停止请求)"}


def _stop(signum: int, _frame) -> None:
    # a second signal while the run cleans up must not cut the clean-up short: ignored from now on (SIGKILL still
    # works, and the next run removes what it leaves)
    for s in INTERRUPTED_STATUS:
        signal.signal(s, signal.SIG_IGN)
    raise EtlInterrupted(signum, SIGNAL_TEXT[signum])


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"须为正整数,收到 {text}")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(f"须在 0 到 100 之间(百分比),收到 {text}")
    return value / 100


def main(argv: list[str] | None = None) -> int:
    default = Limits()
    parser = argparse.ArgumentParser(prog="python -m etl", description="铁岭市矛盾纠纷专项行动数据入库(ETL)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="读取收件目录中的全部导出文件并发布数据仓库")
    p.add_argument("--inbox", required=True, type=Path, help="收件目录(各县区导出文件)")
    p.add_argument("--warehouse", required=True, type=Path, help="DuckDB 数据仓库文件")
    p.add_argument("--archive", type=Path, help="原始文件归档目录(默认:数据仓库旁的 archive/)")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")
    p.add_argument("--archive-keep-days", type=_positive, metavar="N",
                   help="原始文件归档保留天数:开始入库时删除 N 天内未再收到的归档文件(默认:全部保留)")
    p.add_argument("--max-file-mb", type=_positive, default=default.max_bytes // MB, metavar="MB",
                   help=f"单个文件(xlsx 按解压后)的大小上限,超过则拒收且不读取(默认 {default.max_bytes // MB})")
    p.add_argument("--max-rows", type=_positive, default=default.max_rows, metavar="N",
                   help=f"单个文件的行数上限,超过则拒收(默认 {default.max_rows:,})")
    p.add_argument("--max-bad-share", type=_share, default=default.max_bad_share, metavar="PCT",
                   help=f"不合规行占比上限(百分比),超过则整份文件拒收(默认 {default.max_bad_share * 100:.0f})")
    p.add_argument("--bad-share-min-rows", type=_positive, default=default.bad_share_min_rows, metavar="N",
                   help=f"文件至少有这么多数据行时才按占比拒收(默认 {default.bad_share_min_rows})")
    p.add_argument("--retry-refused", action="store_true",
                   help="重新读取此前已拒收、内容未变的文件(例如调高上限之后);默认不再读取")
    p.add_argument("--memory-limit", default=DUCKDB_MEMORY_LIMIT, metavar="SIZE",
                   help=f"构建数据仓库时 DuckDB 的内存上限,超出部分写入临时目录(默认 {DUCKDB_MEMORY_LIMIT})")
    args = parser.parse_args(argv)
    limits = Limits(args.max_file_mb * MB, args.max_rows, args.max_bad_share, args.bad_share_min_rows)

    progress = (lambda line: None) if args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    previous = {s: signal.signal(s, _stop) for s in INTERRUPTED_STATUS}
    try:
        report = run(args.inbox, args.warehouse, args.archive, progress=progress, limits=limits,
                     archive_keep_days=args.archive_keep_days, retry_refused=args.retry_refused,
                     memory_limit=args.memory_limit)
    except EtlInterrupted as exc:
        _fail(args.json, f"入库被 {exc.name}中断:未发布,正在构建的副本已删除,原数据仓库未改动,锁已释放")
        return INTERRUPTED_STATUS[exc.signum]
    except EtlLocked as exc:
        _fail(args.json, str(exc))
        return 3
    except EtlError as exc:
        _fail(args.json, str(exc))
        return 2
    except EtlDiskFull as exc:
        _fail(args.json, str(exc))
        return 1
    except Exception as exc:  # the building copy is already removed; the old warehouse stands
        _fail(args.json, f"入库失败,原数据仓库未改动:{type(exc).__name__}: {exc}")
        return 1
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    elif report.nothing_new:
        print(f"没有新的文件内容({len(report.files)} 个文件均已入库、此前已拒收或跳过),未重新发布,"
              f"数据仓库 {report.warehouse} 保持不变", file=sys.stderr)
    else:
        count = lambda status: sum(f.status == status for f in report.files)  # noqa: E731
        rows = sum(f.rows_loaded for f in report.files)
        quarantined = sum(f.rows_quarantined for f in report.files)
        print(f"已发布 {report.warehouse}:{len(report.files)} 个文件,入库 {count('loaded')} 个,拒收 {count('refused')} 个,"
              f"跳过 {count('skipped')} 个;入库 {rows:,} 行,隔离 {quarantined:,} 行", file=sys.stderr)
        print("用时(秒):" + ",".join(f"{PHASES.get(k, k)} {v:.1f}" for k, v in report.timings.items()), file=sys.stderr)
    return 0


PHASES = {"receive": "接收归档", "copy": "复制", "read": "读取", "normalise": "规范化", "gx_import": "GX导入(与读取并行)", "validate": "校验",
          "insert": "写入", "build": "建模", "check": "主键检查", "publish": "发布"}


def _fail(as_json: bool, message: str) -> None:
    if as_json:
        print(json.dumps({"published": False, "error": message, "files": []}, ensure_ascii=False))
    print(f"错误:{message}", file=sys.stderr)


if __name__ == "__main__":
    status = main()
    # Everything is written, closed and published (or nothing was) and the lock is released with the process: skip
    # the interpreter's teardown of Great Expectations' module graph (about a second after a night that validated).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
