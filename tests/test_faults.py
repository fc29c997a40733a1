"""The fault suite's night: the bad-file corpus (etl/simulate/hostile.py) beside good files, loaded in one run.

Every file meets the fate the corpus states: refused or skipped with a reason that names its problem, or loaded with
exactly its bad rows quarantined under their rule and every valid row landed; the night publishes. The other faults
— interrupted runs, signals, a full disk, keys, file modes, limits (tests/test_night_safety.py), wild cell values and
implausible dates (tests/test_hostile_input.py), personal data in free text (tests/test_messy.py, tests/test_pii.py),
formula payloads in downloads (tests/test_safe_downloads.py) — have their own fast tests; benchmarks/chaos.py
repeats them at random and under load.
"""
from __future__ import annotations

from collections import Counter

from etl.load import MB, Limits
from etl.simulate.hostile import BOMB_LIMIT_MB, write_corpus
from tests.conftest import TEST_KEY, fetch
from warehouse.publish import run


def test_every_bad_file_is_refused_or_quarantined_with_its_reason(tmp_path):
    expected = write_corpus(tmp_path / "inbox")
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    report = run(tmp_path / "inbox", warehouse, hmac_key=TEST_KEY, limits=Limits(max_bytes=BOMB_LIMIT_MB * MB))
    assert report.published and warehouse.exists()
    files = {f.file: f for f in report.files}
    assert set(files) == {e.file for e in expected}
    for e in expected:
        got = files[e.file]
        assert got.status == e.status, (e.file, e.what, got.status, got.reason)
        if e.status == "loaded":
            issues = fetch(warehouse, "SELECT column_name, rule FROM meta.quarantine WHERE file_name = ?", [e.file])
            assert Counter(issues) == Counter(e.quarantined), (e.file, issues)
            assert (got.rows_loaded, got.rows_quarantined) == (e.rows_loaded, len(e.quarantined)), e.file
        else:
            assert e.reason in (got.reason or ""), (e.file, e.what, got.reason)
    # the valid rows of every loaded file are in the warehouse, and nothing else
    landed = sum(e.rows_loaded for e in expected if e.status == "loaded")
    assert fetch(warehouse, "SELECT count(*) FROM marts.cases") == [(landed,)]
