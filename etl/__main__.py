"""CLI: python -m etl run --inbox DIR --warehouse FILE [--archive DIR] [--json]

Exit status: 0 a warehouse was published (refused files and quarantined rows included);
1 the run failed and the previous warehouse is unchanged; 2 bad arguments or set-up
(missing inbox, missing PII_HMAC_KEY); 3 another run holds the lock (nothing done).

An entry point: the ETL lands the files (etl.load), the warehouse builds, checks and publishes them
(warehouse.publish), so this command composes both.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from warehouse.publish import EtlError, EtlLocked, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl", description="铁岭市矛盾纠纷专项行动数据入库(ETL)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="读取收件目录中的全部导出文件并发布数据仓库")
    p.add_argument("--inbox", required=True, type=Path, help="收件目录(各县区导出文件)")
    p.add_argument("--warehouse", required=True, type=Path, help="DuckDB 数据仓库文件")
    p.add_argument("--archive", type=Path, help="原始文件归档目录(默认:数据仓库旁的 archive/)")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")
    args = parser.parse_args(argv)

    progress = (lambda line: None) if args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        report = run(args.inbox, args.warehouse, args.archive, progress=progress)
    except EtlLocked as exc:
        _fail(args.json, str(exc))
        return 3
    except EtlError as exc:
        _fail(args.json, str(exc))
        return 2
    except Exception as exc:  # the building copy is already removed; the old warehouse stands
        _fail(args.json, f"入库失败,原数据仓库未改动:{type(exc).__name__}: {exc}")
        return 1
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        loaded = sum(f.status == "loaded" for f in report.files)
        rows = sum(f.rows_loaded for f in report.files)
        quarantined = sum(f.rows_quarantined for f in report.files)
        print(f"已发布 {report.warehouse}:{len(report.files)} 个文件,入库 {loaded} 个,"
              f"入库 {rows:,} 行,隔离 {quarantined:,} 行", file=sys.stderr)
    return 0


def _fail(as_json: bool, message: str) -> None:
    if as_json:
        print(json.dumps({"published": False, "error": message, "files": []}, ensure_ascii=False))
    print(f"错误:{message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
