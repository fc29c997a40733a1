"""Shared fixtures: a demo warehouse built once per session from generated exports, and file writers."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
TEST_KEY = b"test-hmac-key"
ROOT = Path(__file__).resolve().parent.parent


def fetch(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one query against a warehouse file, opened read-only and closed again."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None:
                    ws.write(i, j, value)
    wb.close()
    return path


@pytest.fixture(scope="session")
def demo_inbox(tmp_path_factory) -> Path:
    from etl.simulate import generate

    inbox = tmp_path_factory.mktemp("inbox")
    generate(inbox, seed=7, scale=0.1)
    return inbox


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory, demo_inbox) -> Path:
    """A small warehouse from generated exports through the real ETL, once per session."""
    from warehouse.publish import run

    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    report = run(demo_inbox, path, hmac_key=TEST_KEY)
    assert report.published
    return path


@pytest.fixture(scope="session")
def messy_inbox(tmp_path_factory) -> tuple[Path, dict]:
    import json

    from etl.simulate import generate

    inbox = tmp_path_factory.mktemp("messy_inbox")
    generate(inbox, seed=11, scale=0.1, messy=True)
    return inbox, json.loads((inbox / ".simulate-manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def messy_warehouse(tmp_path_factory, messy_inbox) -> Path:
    from warehouse.publish import run

    path = tmp_path_factory.mktemp("messy_wh") / "warehouse.duckdb"
    assert run(messy_inbox[0], path, hmac_key=TEST_KEY).published
    return path
