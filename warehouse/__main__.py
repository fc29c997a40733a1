"""CLI: python -m warehouse score --warehouse FILE [--as-of YYYY-MM-DD] [--rubric FILE]
                                 [--format json|csv|xlsx] [--output PATH]
     python -m warehouse report --warehouse FILE [--as-of YYYY-MM-DD] [--rubric FILE] --kind notice|briefing
                                  [--output FILE.docx]

report writes the 通报 draft (notice) or the monthly 简报 (briefing) as a Word document (warehouse/report.py), from
the same scorecard; the briefing compares with the previous month's end.

Scores the seven counties (warehouse/scoring.py) on the published warehouse, opened read-only, so it can run
while the dashboard reads it.

- --as-of: the date to score at, within the campaign of the rubric ([campaign] start … end). Default: the latest
  event date in the data not after the campaign's end (受理日期, 调解日期, 下发日期, 反馈日期, 释放日期, 统计日期, 完成日期, 报送日期,
  年度培训日期, 发生日期 and the register dates of centres and judicial offices; see sql/scoring/default_as_of.sql).
- --rubric: a rubric TOML file (default: the rubric in force — RUBRIC_PATH when set, else the shipped
  warehouse/rubric.toml); refused with a message naming every bad key; weights not summing to 100 print a warning.
- --format json (default): {"as_of", "load": {"run_id", "finished_at"}, "rubric", "counties": [{"county_code",
  "county", "rank", "total", "notice", "notice_reasons", "indicators": {KEY: {"value", "numerator", "denominator",
  "target", "points", "met", "mark", …}}, "deductions": {KEY: points ≤ 0}, …}]} in rank order.
  csv: the ranked table, UTF-8 with BOM. xlsx: the ranked table formatted for printing.
- --output: a file, or a directory (the file is then named 铁岭市矛盾纠纷预防化解专项行动考评排名表_截至<as-of>.<ext>).
  Without it JSON and CSV go to standard output and XLSX is written to that default name in the current directory.

Exit status: 0 scored; 1 the warehouse could not be read (not a DuckDB file, or without the marts);
2 bad arguments, a missing warehouse, an as-of date outside the campaign, or a rubric that is refused.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import duckdb

from warehouse import report
from warehouse.rubric import RubricError, load_rubric, rubric_in_force
from warehouse.score_export import file_name, to_csv_bytes, to_xlsx_bytes
from warehouse.scoring import ScoringError, score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse", description="铁岭市矛盾纠纷专项行动数据仓库")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("score", help="按考评细则计算各区县年终考评得分、排名与通报")
    p.add_argument("--warehouse", required=True, type=Path, help="DuckDB 数据仓库文件(只读打开)")
    p.add_argument("--as-of", dest="as_of", help="截至日期 YYYY-MM-DD(默认:数据中不晚于专项行动结束日的最新日期)")
    p.add_argument("--rubric", type=Path, help="考评细则 TOML 文件(默认:环境变量 RUBRIC_PATH 指定的细则,"
                                               "未设置时为随程序发布的 warehouse/rubric.toml)")
    p.add_argument("--format", choices=("json", "csv", "xlsx"), default="json", help="输出格式(默认 json)")
    p.add_argument("--output", type=Path, help="输出文件或目录(默认:json/csv 输出到标准输出)")
    r = sub.add_parser("report", help="生成通报(征求意见稿)或月度简报 Word 文档")
    r.add_argument("--warehouse", required=True, type=Path, help="DuckDB 数据仓库文件(只读打开)")
    r.add_argument("--as-of", dest="as_of", help="截至日期 YYYY-MM-DD(默认:数据中的最新日期)")
    r.add_argument("--rubric", type=Path, help="考评细则 TOML 文件(默认:在用的考评细则)")
    r.add_argument("--kind", choices=("notice", "briefing"), required=True, help="notice:通报;briefing:简报")
    r.add_argument("--output", type=Path, help="输出的 .docx 文件或目录(默认:当前目录下的标准文件名)")
    args = parser.parse_args(argv)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # the rubric's warnings are printed below, once
            rubric = load_rubric(args.rubric) if args.rubric else rubric_in_force()
        for note in rubric.warnings:
            print(f"提示:考评细则 {rubric.source}:{note}", file=sys.stderr)
        card = score(args.warehouse, as_of=args.as_of, rubric=rubric)
    except (RubricError, ScoringError) as exc:
        print(f"错误:{exc}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:       # not a warehouse this version built (no marts), or an unreadable file
        print(f"错误:无法从数据仓库 {args.warehouse} 计算考评:{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1

    if args.command == "report":
        return _report(args, card, rubric)
    ext = args.format
    if ext == "json":
        data = (json.dumps(card.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    elif ext == "csv":
        data = to_csv_bytes(card)
    else:
        data = to_xlsx_bytes(card)

    out = args.output
    if out is None and ext == "xlsx":
        out = Path(file_name(card.as_of, ext))
    elif out is not None and out.is_dir():
        out = out / file_name(card.as_of, ext)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    load = card.load["run_id"] if card.load else "无入库记录"
    where = f",已写入 {out}" if out is not None else ""
    print(f"考评截至 {card.as_of},数据批次 {load},考评细则 {rubric.source}:"
          f"{len(card.counties)} 个区县,{sum(c.notice for c in card.counties)} 个列入通报{where}", file=sys.stderr)
    return 0


def _report(args, card, rubric) -> int:
    if args.kind == "notice":
        doc = report.notice(card)
    else:
        try:
            previous = score(args.warehouse, as_of=report.previous_month_end(card.as_of), rubric=rubric)
        except ScoringError:           # the campaign's first month: nothing to compare with
            previous = None
        doc = report.briefing(card, previous)
    out = args.output or Path(report.file_name(args.kind, card.as_of))
    if out.is_dir():
        out = out / report.file_name(args.kind, card.as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(report.to_bytes(doc))
    print(f"{report.KINDS[args.kind]}截至 {card.as_of},考评细则 {rubric.source}:已写入 {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
