"""Chaos: the nightly run killed at random moments, publishing under readers and the running app, and the bad-file
corpus — the worst nights, repeated, with a table of what came of them.

    .venv/bin/python benchmarks/chaos.py [--kills 20] [--publishes 10] [--readers 3] [--seed 1] [--keep DIR]

1. SIGKILL: each round adds a new export to the inbox, starts `python -m etl run`, kills its process group at a
   random moment within a normal run's duration, then checks that the published warehouse is whole (it opens and
   every mart answers, with no fewer runs recorded than before), counts what the killed run left on disk, and runs
   again to completion: that run must publish and leave nothing behind.
2. Readers: the app (`streamlit run app.py`) and reader processes that score and query the warehouse the way the
   dashboard does (dashboard.db's shared read-only instance, dashboard.ranking.scorecard) run while the ETL publishes
   a new export again and again; every reader error and every failed health check of the app is counted.
3. The bad-file corpus (etl/simulate/hostile.py) beside good files in one night: every file must be refused or
   skipped with a reason naming its problem, or loaded with exactly its bad rows quarantined under their rule.

Prints one table; README's "Worst nights" shows the last result. Nothing here is a test: tests/test_faults.py and
tests/test_night_safety.py are the fast, deterministic versions that CI runs.
"""
from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from etl.simulate import generate  # noqa: E402
from etl.simulate.hostile import BOMB_LIMIT_MB, case_rows, csv_text, write_corpus  # noqa: E402

MARTS = ("cases", "monthly_reports", "orgs", "mediators", "verification_tasks", "released_persons", "risk_reports")


def etl_cmd(inbox: Path, warehouse: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "etl", "run", "--inbox", str(inbox), "--warehouse", str(warehouse), *extra]


def run_etl(env: dict, inbox: Path, warehouse: Path, *extra: str) -> tuple[int, float, str]:
    start = time.monotonic()
    done = subprocess.run(etl_cmd(inbox, warehouse, *extra), cwd=ROOT, env=env, capture_output=True, text=True)
    return done.returncode, time.monotonic() - start, done.stdout


def add_export(inbox: Path, n: int) -> None:
    """A new small export (new bytes, so the run has a file to load)."""
    (inbox / f"人民调解案件_补录{n:03d}.csv").write_text(csv_text(case_rows(f"CHAOS{n:03d}-", 3)), encoding="utf-8-sig")


def whole(warehouse: Path) -> tuple[bool, int]:
    """Does the published file open read-only with every mart answering? And how many runs does it record?"""
    if not warehouse.exists():
        return False, 0
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
        for mart in MARTS:
            con.execute(f"SELECT count(*) FROM wh.marts.{mart}").fetchall()
        return True, con.execute("SELECT count(*) FROM wh.meta.load_run").fetchall()[0][0]
    except duckdb.Error:
        return False, 0
    finally:
        con.close()


def leftovers(warehouse: Path) -> list[Path]:
    """What a run leaves when it does not finish: building copies (and their WAL) and half-written archive files."""
    found = [p for p in warehouse.parent.iterdir() if ".building" in p.name]
    archive = warehouse.parent / "archive"
    if archive.exists():
        found += [p for p in archive.rglob("*.part")]
    return found


# --- 1. SIGKILL at random moments ---------------------------------------------------------------------------------

def kills(env: dict, inbox: Path, warehouse: Path, rounds: int, rng: random.Random, typical: float) -> dict:
    """Until `rounds` runs have really been killed mid-run (a run that ends before its kill does not count)."""
    out = Counter()
    n = 0
    while out["killed mid-run"] < rounds and n < 3 * rounds:
        n += 1
        add_export(inbox, 100 + n)
        _, runs_before = whole(warehouse)
        proc = subprocess.Popen(etl_cmd(inbox, warehouse), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.05, typical * 0.95))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            out["killed mid-run"] += 1
        else:
            out["finished before the kill"] += 1
        proc.wait()
        ok, runs_after = whole(warehouse)
        out["whole after kill"] += ok and runs_after >= runs_before
        out["partial after kill"] += not (ok and runs_after >= runs_before)
        out["left on disk by the kill"] += len(leftovers(warehouse))
        code, _, _ = run_etl(env, inbox, warehouse)
        out["next run published"] += code == 0
        out["left after the next run"] += len(leftovers(warehouse))
    return out


# --- 2. publishing under readers and the app ---------------------------------------------------------------------

def reader(warehouse: str, stop, counts) -> None:
    """Query and score as the dashboard does, until told to stop; count answers and errors."""
    os.environ["WAREHOUSE_PATH"] = warehouse
    from dashboard import db, ranking  # the dashboard's own read path: one read-only instance per published version

    ok = errors = 0
    while not stop.is_set():
        try:
            db.query("SELECT count(*) AS n FROM marts.cases")
            ranking.scorecard(path=Path(warehouse))
            ok += 1
        except Exception as exc:  # noqa: BLE001 - every failure is what this counts
            errors += 1
            print(f"reader error: {type(exc).__name__}: {exc}", file=sys.stderr)
    counts.put((ok, errors))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=5) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def publishes(env: dict, inbox: Path, warehouse: Path, rounds: int, readers: int) -> dict:
    out = Counter()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                            "--server.address", "127.0.0.1", "--server.headless", "true"],
                           cwd=ROOT, env={**env, "WAREHOUSE_PATH": str(warehouse)}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    ctx = mp.get_context("spawn")
    stop, counts = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=reader, args=(str(warehouse), stop, counts)) for _ in range(readers)]
    try:
        deadline = time.monotonic() + 60
        while not healthy(url) and time.monotonic() < deadline:
            time.sleep(0.5)
        for p in procs:
            p.start()
        for n in range(rounds):
            add_export(inbox, 500 + n)
            code, _, _ = run_etl(env, inbox, warehouse)
            out["published"] += code == 0
            out["app health failures"] += not healthy(url)
        stop.set()
        for _ in procs:
            ok, errors = counts.get(timeout=120)
            out["reader answers"] += ok
            out["reader errors"] += errors
        ok, _ = whole(warehouse)
        out["whole at the end"] += ok
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=30)
        os.killpg(app.pid, signal.SIGTERM)
        app.wait(timeout=30)
    out["left on disk"] += len(leftovers(warehouse))
    return out


# --- 3. the bad-file corpus ---------------------------------------------------------------------------------------

def corpus(env: dict, work: Path) -> tuple[dict, list[tuple[str, str, str]]]:
    inbox, warehouse = work / "corpus_inbox", work / "corpus_wh" / "warehouse.duckdb"
    expected = write_corpus(inbox)
    code, _, stdout = run_etl(env, inbox, warehouse, "--json", "--max-file-mb", str(BOMB_LIMIT_MB))
    report = json.loads(stdout) if stdout.strip() else {"files": []}
    files = {f["file"]: f for f in report.get("files", [])}
    out, rows = Counter(), []
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
    for e in expected:
        got = files.get(e.file, {})
        if e.status == "loaded":
            issues = Counter(con.execute("SELECT column_name, rule FROM wh.meta.quarantine WHERE file_name = ?",
                                         [e.file]).fetchall())
            fine = got.get("status") == "loaded" and issues == Counter(e.quarantined) and \
                got.get("rows_loaded") == e.rows_loaded
            kind = "quarantined with its rule" if e.quarantined else "loaded whole"
            said = "、".join(sorted({rule for _, rule in e.quarantined})) or "—"
        else:
            fine = got.get("status") == e.status and e.reason in (got.get("reason") or "")
            kind = f"{e.status} with its reason"
            said = (got.get("reason") or "")[:40]
        out[kind if fine else "unexplained"] += 1
        rows.append((e.what, got.get("status", "missing"), said if fine else f"✗ {got}"))
    con.close()
    out["night published"] = int(code == 0)
    return out, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--publishes", type=int, default=10)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    work = args.keep or Path(tempfile.mkdtemp(prefix="chaos-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PII_HMAC_KEY": base64.b64encode(secrets.token_bytes(32)).decode(), "PYTHONPATH": str(ROOT)}
    env.pop("ETL_ALLOW_DEMO_KEY", None)

    inbox, warehouse = work / "inbox", work / "wh" / "warehouse.duckdb"
    generate(inbox, seed=args.seed, scale=0.03)
    code, _, _ = run_etl(env, inbox, warehouse)
    assert code == 0, "the first night did not publish"
    add_export(inbox, 0)
    code, typical, _ = run_etl(env, inbox, warehouse)   # a night with one new export: what the kills interrupt
    assert code == 0, "the second night did not publish"
    print(f"work {work}; a night with one new export takes {typical:.1f} s", file=sys.stderr)

    started = time.monotonic()
    killed = kills(env, inbox, warehouse, args.kills, rng, typical)
    print(f"kills done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    started = time.monotonic()
    loaded = publishes(env, inbox, warehouse, args.publishes, args.readers)
    print(f"publishes done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    bad, files = corpus(env, work)

    print("| scenario | runs | outcome |")
    print("|---|---|---|")
    print(f"| SIGKILL at a random moment | {killed['killed mid-run'] + killed['finished before the kill']} | "
          f"killed mid-run {killed['killed mid-run']}, "
          f"whole warehouses {killed['whole after kill']}, partial warehouses {killed['partial after kill']}, "
          f"left on disk by the kills {killed['left on disk by the kill']}, next run published "
          f"{killed['next run published']}, leftovers after it {killed['left after the next run']} |")
    print(f"| publishing under {args.readers} readers and the app | {args.publishes} | published "
          f"{loaded['published']}/{args.publishes}, reader answers {loaded['reader answers']}, reader errors "
          f"{loaded['reader errors']}, app health failures {loaded['app health failures']}, whole at the end "
          f"{loaded['whole at the end']}, leftovers {loaded['left on disk']} |")
    print(f"| bad-file corpus beside good files | {len(files)} files | " + ", ".join(
        f"{k} {v}" for k, v in sorted(bad.items()) if k != "night published")
        + f", unexplained {bad['unexplained']}, night published {'yes' if bad['night published'] else 'no'} |")
    print()
    print("| corpus file | status | reason or rule |")
    print("|---|---|---|")
    for what, status, said in files:
        print(f"| {what} | {status} | {said} |")
    rounds = killed["killed mid-run"] + killed["finished before the kill"]
    clean = (killed["partial after kill"] == 0 and killed["left after the next run"] == 0
             and killed["next run published"] == rounds and killed["killed mid-run"] >= args.kills
             and loaded["reader errors"] == 0 and loaded["app health failures"] == 0 and loaded["left on disk"] == 0
             and bad["unexplained"] == 0 and bad["night published"] == 1)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
