"""Benchmark: generate → ETL → dashboard queries at a given scale; prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench.py [--scale 5] [--dir /tmp/bench]

Figures: generation and ETL wall time, rows per second, peak memory of the ETL process, warehouse
size, and warm timings of the 总览 queries (what a page render waits for).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=5.0)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/tieling-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    inbox, wh = args.dir / "inbox", args.dir / "warehouse.duckdb"

    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "etl.simulate", "--out", str(inbox), "--scale", str(args.scale)],
                   cwd=ROOT, check=True, capture_output=True)
    gen = time.perf_counter() - t
    size_in = sum(p.stat().st_size for p in inbox.iterdir())

    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "etl", "run", "--inbox", str(inbox), "--warehouse", str(wh), "--json"],
                   cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PII_HMAC_KEY": "benchmark-key-not-for-production-use"})  # ≥ 32 bytes
    etl = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    import duckdb

    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute("SELECT sum(rows_read) FROM meta.load_file").fetchall()[0][0]
    cases = con.execute("SELECT count(*) FROM marts.cases").fetchall()[0][0]
    con.close()

    from dashboard import queries
    from dashboard.filters import Filters

    timings = {}
    for name in ("kpis", "entry_rate_by_county", "cases_by_type", "monthly_trend"):
        fn = getattr(queries, name)
        fn(Filters(), wh)  # warm
        t = time.perf_counter()
        for _ in range(5):
            fn(Filters(("211224",)), wh)
        timings[name] = (time.perf_counter() - t) / 5 * 1000

    print(f"scale {args.scale}: {len(list(inbox.iterdir()))} files, {size_in / 1e6:.1f} MB in, "
          f"{rows:,} data rows, {cases:,} cases in marts.cases")
    print(f"generate  {gen:6.1f} s")
    print(f"ETL       {etl:6.1f} s  ({rows / etl:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB, "
          f"warehouse {wh.stat().st_size / 1e6:.1f} MB)")
    for name, ms in timings.items():
        print(f"query     {name:<22} {ms:6.1f} ms (warm, one county)")


if __name__ == "__main__":
    main()
