"""Challenging a score (考评排名's 明细追溯): a cell of the ranked table opens its trace, broken down by township with
the numerator and denominator each adds, downloadable, with the county's quarantined rows in the datasets the rule
reads beside it; no None, nan, True or English word in any cell. Checked against the scoring and against
meta.quarantine read directly."""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from conftest import fetch
from dashboard import access, ranking
from dashboard.display import readable
from dashboard.downloads import to_xlsx_bytes
from warehouse import metrics, scoring
from warehouse.scoring import score
from warehouse.trace import COUNTY_LEVEL, by_township, trace

ENTRY = str(Path(__file__).resolve().parent / "app_entry.py")
PAGE = "../pages/ranking.py"
CHANGTU = "211224"
ENGLISH_WORD = re.compile(r"\b(None|nan|NaN|NaT|null|True|False|township|county)\b")


@pytest.fixture(scope="module")
def card(demo_warehouse):
    return score(demo_warehouse)


@pytest.mark.parametrize("key", scoring.INDICATOR_KEYS + scoring.DEDUCTION_KEYS)
def test_the_townships_add_up_to_the_scorecard(demo_warehouse, card, key):
    county = card.county(CHANGTU)
    tr = trace(demo_warehouse, CHANGTU, key, as_of=card.as_of)
    towns = by_township(tr)
    assert towns["records"].sum() == tr.records.height
    assert towns["township"].null_count() == 0
    assert towns["township_code"].is_null().sum() == (COUNTY_LEVEL in towns["township"].to_list())
    if tr.result is None:
        assert towns["records"].sum() == county.deduction_counts[key]
        return
    r = county.indicators[key]
    if not r.parts:   # a parted indicator's numerator is the mean of its parts' rates, not a sum
        assert towns["numerator"].sum() == r.numerator and towns["denominator"].sum() == r.denominator
    cut = "township_code" in metrics.cut_by(key)
    for row in towns.iter_rows(named=True):
        if cut and row["denominator"]:
            assert row["value"] == pytest.approx(row["numerator"] / row["denominator"])
        else:
            assert row["value"] is None


def _hand_trace(key: str, rows: list[tuple], indicator: bool = True):
    """A Trace of hand-built records (township_code, township, in_numerator, in_denominator, num, den)."""
    from warehouse.rubric import default_rubric
    from warehouse.scoring import indicator_result
    from warehouse.trace import Trace
    records = pl.DataFrame(rows, orient="row", schema={
        "township_code": pl.String, "township": pl.String, "in_numerator": pl.Boolean, "in_denominator": pl.Boolean,
        "num_amount": pl.Int32, "den_amount": pl.Int32})
    if not indicator:
        return Trace(key, key, CHANGTU, "昌图县", date(2023, 6, 30), records, None, None, None, records.height)
    result = indicator_result(default_rubric().indicators[key], 0, 0)   # the breakdown reads only the records
    return Trace(key, key, CHANGTU, "昌图县", date(2023, 6, 30), records, records, records, result)


def test_by_township_on_hand_built_records():
    """Known answers: amounts summed where flagged, county-level records (no township) as 区县本级 last, a share only
    where the rule's value can be cut by township and the township adds to the denominator."""
    rows = [("211224101", "老城镇", True, True, 1, 1), ("211224101", "老城镇", False, True, 0, 1),
            ("211224100", "昌图镇", True, True, 1, 1), ("211224102", "八面城镇", True, False, 3, 0),
            (None, None, False, True, 0, 5)]
    towns = by_township(_hand_trace("entry_rate", rows))      # cut by township
    assert towns.rows() == [("211224100", "昌图镇", 1, 1, 1, 1.0), ("211224101", "老城镇", 2, 1, 2, 0.5),
                            ("211224102", "八面城镇", 1, 3, 0, None), (None, COUNTY_LEVEL, 1, 0, 5, 0.0)]
    shares = by_township(_hand_trace("app_registration_rate", rows))["value"]   # the population is the county's
    assert shares.null_count() == len(shares)
    deduction = by_township(_hand_trace("lost_contact", rows[:3], indicator=False))
    assert deduction.rows() == [("211224100", "昌图镇", 1), ("211224101", "老城镇", 2)]


def test_datasets_read_follow_the_models_back_to_the_exports():
    assert metrics.datasets_read("entry_rate") == ("mediation_case", "monthly_case_report")
    assert metrics.datasets_read("verification_rate") == ("inmate_verification",)
    assert metrics.datasets_read("training_rate") == ("mediation_org", "mediator")
    assert metrics.datasets_read("lost_contact") == ("released_person",)
    every = {d for k in scoring.INDICATOR_KEYS + scoring.DEDUCTION_KEYS for d in metrics.datasets_read(k)}
    assert every <= set(__import__("etl.contract", fromlist=["DATASETS"]).DATASETS)


@pytest.mark.parametrize("key", ["entry_rate", "verification_rate", "training_rate", "lost_contact"])
def test_quarantined_rows_beside_an_indicator_are_the_countys_in_its_datasets(messy_warehouse, key):
    datasets = metrics.datasets_read(key)
    expected = dict(fetch(messy_warehouse, """
        SELECT dataset, count(DISTINCT (file_seq, row_number)) FROM meta.quarantine
        WHERE county_code = ? AND list_contains(?, dataset) GROUP BY dataset""", [CHANGTU, list(datasets)]))
    with access.acting_as(access.Principal("t", "leader")):
        held = ranking.quarantined(CHANGTU, key, messy_warehouse)
    from dashboard.quality import dataset_name
    assert dict(held.select("数据集", "隔离行数").iter_rows()) == {dataset_name(d): n for d, n in expected.items()}
    for why in held["原因"]:
        assert re.fullmatch(r"([^;]+ [\d,]+ 行)(;[^;]+ [\d,]+ 行)*", why), why
    # a county user sees their own county's, and none of another county's
    with access.acting_as(access.Principal("c", "county", "211282")):
        assert ranking.quarantined(CHANGTU, key, messy_warehouse).is_empty()


def test_a_cell_of_the_ranked_table_names_its_county_and_rule(card):
    table = ranking.display_table(card)
    last = len(card.counties) - 1
    for column in table.columns:
        target = ranking.cell_target(card, last, column)
        if column in ranking.indicator_columns(card):
            assert target == (card.counties[last].county_code, ranking.indicator_columns(card)[column])
        elif column.endswith("得分") or column.startswith("扣分:"):
            assert target is not None and target[0] == card.counties[last].county_code
        else:
            assert target is None, column   # 排名, 区县, 总分, 通报, 通报原因 open nothing
    assert ranking.cell_target(card, len(card.counties), "区县") is None


def test_the_trace_download_holds_townships_records_and_quarantine(demo_warehouse, card):
    with access.acting_as(access.Principal("t", "analyst")):
        tr = ranking.drill_down(CHANGTU, "entry_rate", card.as_of, None, demo_warehouse)
        held = ranking.quarantined(CHANGTU, "entry_rate", demo_warehouse)
    wb = openpyxl.load_workbook(io.BytesIO(ranking.trace_workbook(tr, held)))
    assert wb.sheetnames == ["按乡镇(街道)", "计入分子的记录", "计入分母的记录", "隔离数据"]
    towns = list(wb["按乡镇(街道)"].iter_rows(min_row=5, values_only=True))
    r = card.county(CHANGTU).indicators["entry_rate"]
    assert sum(row[2] for row in towns) == r.numerator and sum(row[3] for row in towns) == r.denominator
    assert all(isinstance(row[4], (int, float)) for row in towns if row[3])          # shares as numbers (percent format)
    assert wb["计入分子的记录"].max_row - 4 == tr.numerator.height
    for ws in wb:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and ENGLISH_WORD.search(value)), (ws.title, value)
    assert ranking.trace_file_name(tr) == f"昌图县_人民调解案件录入率_明细追溯_截至{card.as_of:%Y-%m-%d}.xlsx"


def test_a_sheet_past_excels_row_limit_is_refused_not_cut():
    with pytest.raises(ValueError, match="超过 Excel"):
        to_xlsx_bytes(pl.DataFrame({"a": range(1_048_576)}), "t")


def test_readable_leaves_no_gap_or_code():
    frame = pl.DataFrame({"n": [1, None], "f": [0.5, float("nan")], "b": [True, None], "d": [date(2023, 3, 1), None],
                          "part": ["county", "township"], "full": [1, 2]})
    shown = readable(frame)
    assert shown.rows() == [("1", "0.5", "是", "2023-03-01", "县级中心", 1), ("—", "—", "—", "—", "乡镇(街道)中心", 2)]
    assert shown.schema["full"] == pl.Int64   # a column without gaps keeps its type


CASE_DATASETS = "('mediation_case', 'monthly_case_report')"   # what 录入率 reads


@pytest.fixture(scope="module")
def held_county(messy_warehouse) -> tuple[str, int]:
    """The county with the most quarantined rows in 录入率's datasets in the messy exports, and how many."""
    return fetch(messy_warehouse, f"""SELECT county_code, count(DISTINCT (file_seq, row_number)) AS n
                                     FROM meta.quarantine WHERE dataset IN {CASE_DATASETS} AND county_code IS NOT NULL
                                     GROUP BY ALL ORDER BY n DESC, county_code LIMIT 1""")[0]


@pytest.fixture(scope="module")
def traced_page(messy_warehouse, held_county):
    import os
    old = os.environ.get("WAREHOUSE_PATH")
    os.environ["WAREHOUSE_PATH"] = str(messy_warehouse)
    try:
        at = AppTest.from_file(ENTRY, default_timeout=120).run()
        at.switch_page(PAGE).run()
        at.selectbox(key="r_drill_county").set_value(held_county[0]).run()
        at.selectbox(key="r_drill_key").set_value("entry_rate").run()
        yield at
    finally:
        if old is None:
            os.environ.pop("WAREHOUSE_PATH", None)
        else:
            os.environ["WAREHOUSE_PATH"] = old


def test_the_page_traces_by_township_and_names_the_quarantined_rows(traced_page, messy_warehouse, held_county):
    at = traced_page
    assert not at.exception, [e.value for e in at.exception]
    county, n = held_county
    towns = next(df.value for df in at.dataframe if list(df.value.columns)[:2] == ["乡镇(街道)", "记录数"])
    r = score(messy_warehouse).county(county).indicators["entry_rate"]
    assert towns["分子"].sum() == r.numerator and towns["分母"].sum() == r.denominator
    assert all(v == "—" or v.endswith("%") for v in towns["值"])
    assert n > 0   # the messy exports plant bad case rows
    assert any(f"有 {n:,} 行被隔离" in w.value for w in at.warning)
    assert any(b.label == "下载明细追溯(XLSX)" for b in at.get("download_button"))


def test_no_table_on_the_traced_page_shows_none_nan_or_english(traced_page):
    for df in traced_page.dataframe:
        value = df.value
        data = getattr(value, "data", value)   # a Styler's frame
        assert not data.isna().any().any(), list(data.columns)
        for column in data.columns:
            assert not ENGLISH_WORD.search(str(column))
            for cell in data[column]:
                assert not (isinstance(cell, str) and ENGLISH_WORD.search(cell)), (column, cell)
