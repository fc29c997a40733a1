"""Benchmark: the nightly ETL at several scales, three nights each, beside what an analyst writes today.

    .venv/bin/python benchmarks/etl.py [--scales 1 5 18] [--dir /tmp/tieling-bench] [--no-baseline]

For each scale the simulator's exports are generated once (kept in DIR/sN/source), the year's last case export
(人民调解案件_2023Q4.xlsx) is split into its three months, and three nights are run in fresh processes:
  full         every export but December's, into an empty warehouse (a year's history at once);
  nothing new  the same inbox again: nothing to publish;
  one new file December's case export added (a month of cases, the night the bureau runs most).
Figures per night: wall time, CPU time (user + system), rows read per second, peak RSS of the ETL process,
warehouse size, the share of the run spent validating (Great Expectations, import included), and the run's phases.

Baseline (what an analyst writes today, pandas + openpyxl): read every case export, keep the latest version per case
(latest 录入时间), count cases per county and month. Run on the same files, in its own process; its answer is
compared with the warehouse's (marts.cases) and its time with the ETL's full night, which does far more (every
dataset, validation, quarantine, hashing, models) and with the warehouse's query for the same answer.

Prints figures and asserts nothing (speed is measured here, never in tests).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEY_ENV = {"PII_HMAC_KEY": "benchmark-key-not-for-production-use"}   # ≥ 32 bytes, not the demo key
LAST_CASES = "人民调解案件_2023Q4.xlsx"


def timed_process(args: list[str], env: dict | None = None) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, stdout) of one child process, from its own rusage."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{args} exited {proc.returncode}: {out[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def generate(scale: float, base: Path) -> Path:
    source = base / f"s{scale:g}" / "source"
    manifest = source / ".simulate-manifest.json"
    if not (manifest.exists() and json.loads(manifest.read_text())["scale"] == scale):
        shutil.rmtree(source, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "etl.simulate", "--out", str(source), "--scale", str(scale)],
                       cwd=ROOT, check=True, capture_output=True)
    return source


def split_by_month(path: Path, out: Path) -> list[Path]:
    """The quarter's case export as three monthly exports (by 录入时间), in the same layout: its title row, header."""
    import polars as pl
    import xlsxwriter

    from etl.read import read_file

    raw = read_file(path)
    frame = raw.frame.drop("_row")
    month = pl.min_horizontal(pl.col("录入时间").str.slice(0, 7), pl.lit("2023-12"))   # a few entered in January
    files = []
    for (ym,), part in frame.with_columns(month.alias("_m")).group_by("_m", maintain_order=True):
        target = out / f"人民调解案件_{ym}.xlsx"
        book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
        sheet = book.add_worksheet("人民调解案件")
        sheet.write_string(0, 0, "铁岭市人民调解案件统计表")
        sheet.write_row(1, 0, frame.columns)
        for i, row in enumerate(part.drop("_m").iter_rows(), start=2):
            for j, value in enumerate(row):
                if value is not None:
                    sheet.write_string(i, j, value)
        book.close()
        files.append(target)
    return sorted(files)


def night(inbox: Path, wh: Path) -> dict:
    wall, cpu, rss, out = timed_process([sys.executable, "-m", "etl", "run", "--inbox", str(inbox),
                                         "--warehouse", str(wh), "--json"], KEY_ENV)
    report = json.loads(out)
    rows = sum(f["rows_read"] for f in report["files"])
    t = report.get("timings", {})
    validation = t.get("validate", 0)   # the main thread's time in validation, waiting for GX's import included
    return {"wall": wall, "cpu": cpu, "rss": rss, "rows": rows, "size": wh.stat().st_size / 1e6,
            "published": report["published"], "validation": validation / wall, "timings": t}


BASELINE = r'''
import glob, sys
import pandas as pd
COUNTIES = ["银州区", "清河区", "铁岭县", "西丰县", "昌图县", "调兵山市", "开原市"]

def header_row(lines):
    return next(i for i, line in enumerate(lines) if "案件编号" in line)

frames = []
for f in sorted(glob.glob(sys.argv[1] + "/人民调解案件_*")):
    if f.endswith(".xlsx"):
        raw = pd.read_excel(f, sheet_name="人民调解案件", header=None, dtype=str, engine="openpyxl")
        at = raw.index[raw.apply(lambda r: r.astype(str).str.contains("案件编号").any(), axis=1)][0]
        df = raw.iloc[at + 1:].set_axis(raw.iloc[at].tolist(), axis=1)
    else:
        for enc in ("utf-8-sig", "gb18030"):
            try:
                with open(f, encoding=enc) as h:
                    lines = [next(h) for _ in range(5)]
                break
            except UnicodeDecodeError:
                continue
        df = pd.read_csv(f, skiprows=header_row(lines), dtype=str, encoding=enc)
    frames.append(df[["案件编号", "所属区县", "受理日期", "录入时间"]])
cases = pd.concat(frames, ignore_index=True)
cases = cases[cases["所属区县"].notna() & ~cases["所属区县"].astype(str).str.contains("合计")]
def when(text):   # 2023-03-05, 2023/3/5, 2023年3月5日
    text = text.astype(str).str.replace("年", "-").str.replace("月", "-").str.replace("日", "")
    return pd.to_datetime(text, format="mixed", errors="coerce")

cases["录入"] = when(cases["录入时间"])
latest = cases.sort_values("录入").drop_duplicates("案件编号", keep="last")
county = latest["所属区县"].astype(str).str.strip()
latest = latest.assign(区县=county.map(lambda t: next((c for c in COUNTIES if t.startswith(c[:2])), t)),
                       月份=when(latest["受理日期"]).dt.strftime("%Y-%m"))
counts = latest.groupby(["区县", "月份"]).size()
print(counts.to_json(force_ascii=False))
'''


def baseline(inbox: Path) -> tuple[float, float, float, dict]:
    wall, cpu, rss, out = timed_process([sys.executable, "-c", BASELINE, str(inbox)])
    return wall, cpu, rss, {tuple(k.strip("()").replace("'", "").replace('"', "").split(", ")): v
                            for k, v in json.loads(out).items()} if out.strip().startswith("{") else {}


def warehouse_counts(wh: Path) -> tuple[float, dict]:
    import duckdb

    con = duckdb.connect(str(wh), read_only=True)
    started = time.perf_counter()
    rows = con.execute("""SELECT county, strftime(accepted_month, '%Y-%m'), count(*) FROM marts.cases
                          GROUP BY ALL""").fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return seconds, {(c, m): n for c, m, n in rows}


def phases(t: dict) -> str:
    return " ".join(f"{k} {v:.1f}" for k, v in t.items())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 5, 18])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/tieling-bench"))
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'scale':>5} {'night':<13} {'wall s':>7} {'CPU s':>7} {'rows':>9} {'rows/s':>8} {'peak MB':>8} "
          f"{'wh MB':>7} {'valid.':>6}  phases (s)")
    for scale in args.scales:
        source = generate(scale, args.dir)
        work = args.dir / f"s{scale:g}"
        inbox, held, wh = work / "inbox", work / "held", work / "wh" / "warehouse.duckdb"
        for d in (inbox, held, wh.parent):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
        for f in source.iterdir():
            if f.name != LAST_CASES and not f.name.startswith("."):
                shutil.copy2(f, inbox / f.name)
        *months, december = split_by_month(source / LAST_CASES, held)
        for f in months:
            shutil.copy2(f, inbox / f.name)
        results = {"full": night(inbox, wh), "nothing new": night(inbox, wh)}
        shutil.copy2(december, inbox / december.name)
        results["one new file"] = night(inbox, wh)
        for name, r in results.items():
            print(f"{scale:>5g} {name:<13} {r['wall']:>7.1f} {r['cpu']:>7.1f} {r['rows']:>9,} "
                  f"{r['rows'] / r['wall']:>8,.0f} {r['rss']:>8,.0f} {r['size']:>7.1f} {r['validation']:>6.0%}  "
                  f"{phases(r['timings'])}")
        if not args.no_baseline:
            b_wall, b_cpu, b_rss, b_counts = baseline(inbox)
            q_seconds, w_counts = warehouse_counts(wh)
            same = sum(b_counts.get(k) == v for k, v in w_counts.items())
            full = results["full"]["wall"] + results["one new file"]["wall"]
            print(f"{scale:>5g} {'baseline':<13} {b_wall:>7.1f} {b_cpu:>7.1f} {'':>9} {'':>8} {b_rss:>8,.0f} "
                  f"{'':>7} {'':>6}  pandas+openpyxl, case exports only: {b_wall / full:.1f}× the ETL's full + "
                  f"December nights, {b_wall / q_seconds:,.0f}× the warehouse's query for the same counts "
                  f"({q_seconds * 1000:.0f} ms); {same}/{len(w_counts)} county-month counts agree")


if __name__ == "__main__":
    main()
