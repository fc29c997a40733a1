"""CLI: python -m etl.simulate --out DIR [--seed N] [--scale F]"""
import argparse
import sys
import time
from pathlib import Path

from etl.simulate.generate import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl.simulate", description="生成专项行动演示导出文件")
    parser.add_argument("--out", required=True, type=Path, help="输出目录(收件目录)")
    parser.add_argument("--seed", type=int, default=2023, help="随机种子(相同种子生成相同文件)")
    parser.add_argument("--scale", type=float, default=1.0, help="数据量倍数(1 ≈ 1.6 万件案件)")
    parser.add_argument("--messy", action="store_true",
                        help="加入各种容许的格式变体,并植入坏行和坏文件(清单见 .simulate-manifest.json)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = generate(args.out, seed=args.seed, scale=args.scale, messy=args.messy)
    for f in summary["files"]:
        print(f"{f['file']}  {f['dataset']}  {f['encoding']}  {f['rows']:,} 行")
    print(f"共 {len(summary['files'])} 个文件,{summary['cases_total']:,} 件案件(录入系统 "
          f"{summary['cases_entered']:,} 件)"
          + (f",植入坏行 {len(summary['bad_rows'])} 行、坏文件 {len(summary['bad_files'])} 个" if args.messy else "")
          + f",用时 {time.perf_counter() - started:.1f} 秒 → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
