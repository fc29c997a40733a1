"""Benchmark: how long each dashboard page takes to render; prints figures, asserts nothing.

    .venv/bin/python benchmarks/pages.py [--warehouse FILE] [--scale 1] [--repeat 5]

Without --warehouse it generates the demo exports (seed 1, the given scale) and runs the ETL first.
Each page is rendered through the app's frame with Streamlit's AppTest (the script run a browser waits
for, without the network and drawing):
  cold       the first render in the process (imports, scoring, every query);
  warm       the same view again (query results cached on the warehouse version);
  new filter a filter a person has not chosen yet in this process (one county plus a period: every query
             runs again against the warm file).
The target is ≤ 1 s warm on the demo warehouse.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ENTRY = ROOT / "tests" / "app_entry.py"


def build(scale: float, workdir: Path) -> Path:
    inbox, wh = workdir / "inbox", workdir / "warehouse.duckdb"
    if not wh.exists():
        subprocess.run([sys.executable, "-m", "etl.simulate", "--out", str(inbox), "--scale", str(scale)],
                       cwd=ROOT, check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "etl", "run", "--inbox", str(inbox), "--warehouse", str(wh)],
                       cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "PII_HMAC_KEY": "benchmark-key-not-for-production-use"})  # ≥ 32 bytes
    return wh


def render(file: str, params: dict[str, str]) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(f"../pages/{file}")  # before the first run: the app opens on this page
    t = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - t
    if at.exception:
        raise SystemExit(f"{file}: {at.exception[0].value}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/tieling-bench-pages"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    wh = args.warehouse or build(args.scale, args.dir)
    os.environ["WAREHOUSE_PATH"] = str(wh.resolve())
    # the entry script opens a session for test-analyst (tests/app_entry.py): in an accounts store of this run's own
    import tempfile

    from dashboard.accounts import Store
    os.environ["ACCOUNTS_PATH"] = str(Path(tempfile.mkdtemp(prefix="tieling-pages-bench-")) / "accounts.sqlite")
    os.environ.setdefault("DASHBOARD_COOKIE_SECRET", "benchmark-cookie-secret-0123456789abcdef")
    Store().add("test-analyst", "analyst", "Bench-password-1")

    import logging
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from dashboard.frame import PAGES

    print(f"warehouse {wh} ({wh.stat().st_size / 1e6:.1f} MB); times include the app frame (sidebar, freshness)")
    print(f"{'page':<10} {'cold':>8} {'warm':>8} {'new filter':>11}")
    counties = ["211221", "211223", "211224", "211281", "211282", "211202", "211204", "211281"]
    worst = 0.0
    for i, (file, title, *_) in enumerate(PAGES):
        cold = render(file, {})
        warm = statistics.median(render(file, {}) for _ in range(args.repeat))
        fresh = render(file, {"county": counties[i % len(counties)], "from": "2023-04", "to": f"2023-{8 + i % 4:02d}"})
        worst = max(worst, warm)
        print(f"{title:<10} {cold:7.2f}s {warm:7.2f}s {fresh:10.2f}s")
    print(f"slowest warm page: {worst:.2f} s (target ≤ 1 s)")


if __name__ == "__main__":
    main()
