"""考评排名: the page's ranks, totals, what-if and drill-down against warehouse.scoring on the demo warehouse,
and unit tests of dashboard/ranking.py."""
from __future__ import annotations

import io
import re
from datetime import date
from fractions import Fraction
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import metrics, ranking
from dashboard.definitions import deduction_definitions, indicator_definitions
from dashboard.filters import Filters
from warehouse import score_export
from warehouse.rubric import DEFAULT_PATH, default_rubric, parse_rubric
from warehouse.scoring import DATA_GAP, DATA_PROBLEM, NOT_APPLICABLE, indicator_result, score

ENTRY = str(Path(__file__).resolve().parent / "app_entry.py")
PAGE = "../pages/ranking.py"  # relative to the AppTest entry script in tests/
CHANGED_DATE = date(2023, 8, 31)


@pytest.fixture
def page(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=120).run()
    assert not at.exception
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at, first_column: str, containing: str | None = None):
    """The page's dataframe whose columns start with `first_column` (and include a column containing `containing`)."""
    for df in at.dataframe:
        value = df.value
        cols = [str(c) for c in value.columns]
        if cols and cols[0] == first_column and (containing is None or any(containing in c for c in cols)):
            return value
    raise AssertionError(f"no dataframe starting with {first_column!r}")


def _ranks(card):
    return [(c.rank, c.county, float(c.total)) for c in card.counties]


def _table_ranks(frame):
    return list(zip(frame["排名"].tolist(), frame["区县"].tolist(), [float(x) for x in frame["总分"].tolist()]))


def _rubric_with_entry_weight(weight: int):
    """The shipped rubric with #1's weight changed, written as the bureau would: in the TOML text."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    head, sep, rest = text.partition("[indicators.entry_rate]\nweight = 15\n")
    assert sep, "rubric.toml layout changed"
    return parse_rubric(head + f"[indicators.entry_rate]\nweight = {weight}\n" + rest, "test")


# --- the page --------------------------------------------------------------------------------------------------------

def test_page_opens_with_the_default_as_of_and_the_scored_ranking(page, demo_warehouse):
    at = page
    assert at.title[0].value == "考评排名"
    card = score(demo_warehouse)
    assert at.date_input(key="f_asof_input").value == card.as_of  # the sidebar's as-of date, every page's
    table = _frame(at, "排名", "通报原因")
    assert _table_ranks(table) == _ranks(card)
    assert len(table) == 7
    # every indicator column shows the value with its mark; 通报 is marked with its reasons
    for c, (_, row) in zip(card.counties, table.iterrows()):
        r = c.indicators["entry_rate"]
        assert row["人民调解案件录入率"] == ranking.cell_text(r)
        assert (row["通报"] == "⚑ 通报") == c.notice
        assert row["通报原因"] == ";".join(c.notice_reasons)
    # both downloads are offered (their file names are checked in the browser test)
    assert [b.proto.label for b in at.get("download_button")] == ["下载 Excel(XLSX)", "下载 CSV",
                                                                  "下载通报征求意见稿(Word)", "下载月度简报(Word)"]


def test_a_changed_as_of_date_rescores(page, demo_warehouse):
    at = page
    at.date_input(key="f_asof_input").set_value(CHANGED_DATE).run()
    assert not at.exception
    assert at.select_slider(key="f_period").value[1] == "2023-08"   # the period ends in the as-of date's month
    card = score(demo_warehouse, CHANGED_DATE)
    assert _table_ranks(_frame(at, "排名", "通报原因")) == _ranks(card)
    moves = _frame(at, "区县", "名次变化")
    before = score(demo_warehouse, date(2023, 7, 31))                 # compared with the end of the month before
    old = {c.county: c.rank for c in before.counties}
    assert moves["区县"].tolist() == [c.county for c in card.counties]
    assert moves[f"排名({CHANGED_DATE.month}月{CHANGED_DATE.day}日)"].tolist() == [c.rank for c in card.counties]
    assert moves["排名(7月31日)"].tolist() == [old[c.county] for c in card.counties]


def test_the_as_of_date_is_kept_in_the_url_and_a_link_reproduces_it(page, demo_warehouse, monkeypatch):
    at = page
    at.date_input(key="f_asof_input").set_value(CHANGED_DATE).run()
    assert at.query_params["asof"] in (CHANGED_DATE.isoformat(), [CHANGED_DATE.isoformat()])
    # a colleague opens the link: same date, same ranking, no warning
    link = AppTest.from_file(ENTRY, default_timeout=120)
    link.query_params.update(asof=CHANGED_DATE.isoformat(), county="211224")
    link.switch_page(PAGE).run()
    assert not link.exception and not link.warning
    assert link.date_input(key="f_asof_input").value == CHANGED_DATE
    assert _table_ranks(_frame(link, "排名", "通报原因")) == _ranks(score(demo_warehouse, CHANGED_DATE))
    assert link.query_params["county"] in ("211224", ["211224"])
    # a date outside the campaign in a link falls back to the default, and the page says so
    bad = AppTest.from_file(ENTRY, default_timeout=120)
    bad.query_params["asof"] = "2022-01-01"
    bad.switch_page(PAGE).run()
    assert not bad.exception and bad.date_input(key="f_asof_input").value == score(demo_warehouse).as_of
    assert any("2022-01-01" in w.value for w in bad.warning)
    assert "asof" not in bad.query_params


def test_every_page_shares_the_as_of_date_and_so_the_notice(demo_warehouse, monkeypatch):
    """With the period at 3–6月, 总览's map table and 考评排名 name the same counties in the 通报."""
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.query_params.update({"from": "2023-03", "to": "2023-06"})
    at.run()
    assert not at.exception
    overview = next(h.proto.body for h in at.get("html") if "tieling-ranking" in h.proto.body)
    at.switch_page(PAGE).run()
    assert not at.exception
    ranked = _frame(at, "排名", "通报原因")
    card = score(demo_warehouse, date(2023, 6, 30))
    notice = {c.county for c in card.counties if c.notice}
    assert set(re.findall(r'<tr class="notice"><td[^>]*>\d+</td><td class=\'name\'>(?:<b>)?([^<]+)', overview)) == notice
    assert {r["区县"] for _, r in ranked.iterrows() if r["通报"] == "⚑ 通报"} == notice
    assert _table_ranks(ranked) == _ranks(card)


def test_what_if_weights_rerank_like_a_rubric_with_those_weights(page, demo_warehouse):
    at = page
    assert not at.warning  # the default weights sum to 100
    at.number_input(key="r_w_entry_rate").set_value(40.0).run()
    assert not at.exception
    assert any("不是 100 分" in w.value for w in at.warning)
    expected = score(demo_warehouse, rubric=_rubric_with_entry_weight(40))
    official = score(demo_warehouse)
    sim = _frame(at, "区县", "排名(模拟)")
    assert sim["区县"].tolist() == [c.county for c in expected.counties]
    assert sim["排名(模拟)"].tolist() == [c.rank for c in expected.counties]
    assert [float(x) for x in sim["总分(模拟)"]] == [float(c.total) for c in expected.counties]
    official_rank = {c.county: c.rank for c in official.counties}
    assert sim["排名(正式)"].tolist() == [official_rank[c.county] for c in expected.counties]
    # the official table is untouched by the simulation
    assert _table_ranks(_frame(at, "排名", "通报原因")) == _ranks(official)
    at.button(key="r_reset").click().run()
    assert at.number_input(key="r_w_entry_rate").value == 15.0
    assert not at.warning


@pytest.mark.parametrize("key", ["entry_rate", "verification_rate", "timely_submission_rate"])
def test_drill_down_counts_match_the_table(page, demo_warehouse, key):
    at = page
    card = score(demo_warehouse)
    county = card.counties[-1]
    at.selectbox(key="r_drill_county").set_value(county.county_code).run()
    at.selectbox(key="r_drill_key").set_value(key).run()
    assert not at.exception
    table = score_export.ranking_table(card).filter(pl.col("区县") == county.county)
    name = card.rubric.indicators[key].name
    numerator, denominator = table[f"{name}_分子"][0], table[f"{name}_分母"][0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["分子"] == f"{int(numerator):,}"
    assert metrics["分母"] == f"{int(denominator):,}"
    # every record behind the numbers is in the trace; the browser gets one page of it at a time
    tr = ranking.drill_down(county.county_code, key, card.as_of, None, demo_warehouse)
    num_all, den_all = ranking.labelled(tr.numerator), ranking.labelled(tr.denominator)
    assert num_all["分子计数"].sum() == numerator and den_all["分母计数"].sum() == denominator
    num_rows = next(df.value for df in at.dataframe if "分子计数" in df.value.columns)
    den_rows = next(df.value for df in at.dataframe if "分母计数" in df.value.columns)
    assert len(num_rows) == min(tr.numerator.height, 200) and len(den_rows) == min(tr.denominator.height, 200)
    if tr.denominator.height > 200:
        assert any(f"共 {tr.denominator.height:,} 条" in c.value for c in at.caption)
        at.number_input(key="r_drill_den_page").set_value(2).run()
        den_rows = next(df.value for df in at.dataframe if "分母计数" in df.value.columns)
        assert len(den_rows) == min(tr.denominator.height - 200, 200)


def test_nothing_is_traced_until_asked(page):
    """A trace is tens of thousands of records at province scale: none is sent until a county and an indicator are
    chosen."""
    assert page.selectbox(key="r_drill_county").value is None and page.selectbox(key="r_drill_key").value is None
    assert not any("分子计数" in df.value.columns or "分母计数" in df.value.columns for df in page.dataframe)
    assert any("选择区县和指标" in i.value for i in page.info)


def test_indicator_definitions_are_on_the_page(page):
    text = "\n".join(m.value for m in page.markdown)
    for key, definition in indicator_definitions().items():
        assert definition in text


# --- dashboard/ranking.py ------------------------------------------------------------------------------------------

def test_scorecard_and_default_as_of_read_the_given_file(demo_warehouse):
    card = ranking.scorecard(None, None, demo_warehouse)
    assert metrics.as_of(Filters(), demo_warehouse) == card.as_of == score(demo_warehouse).as_of
    assert _ranks(card) == _ranks(score(demo_warehouse))


def test_scorecard_reads_the_warehouse_path_from_the_environment(demo_warehouse, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PATH", str(demo_warehouse))
    assert _ranks(ranking.scorecard(date(2023, 9, 30))) == _ranks(score(demo_warehouse, date(2023, 9, 30)))


def test_with_weights_replaces_only_weights():
    base = default_rubric()
    assert ranking.with_weights(base, None) is base
    same = ranking.with_weights(base, ranking.default_weights())
    assert same.source == base.source
    assert [r.weight_q for r in same.indicators.values()] == [r.weight_q for r in base.indicators.values()]
    changed = ranking.with_weights(base, {"entry_rate": 40, "training_rate": 2.5})
    assert changed.indicators["entry_rate"].weight_q == 40
    assert changed.indicators["training_rate"].weight_q == Fraction(5, 2)
    assert changed.indicators["entry_rate"].target == base.indicators["entry_rate"].target
    assert changed.deductions == base.deductions and changed.milestones == base.milestones
    assert "权重模拟" in changed.source
    assert base.indicators["entry_rate"].weight == 15  # the shipped rubric is not touched
    assert changed.to_json()["indicators"] == {**base.to_json()["indicators"],
                                               "entry_rate": {**base.to_json()["indicators"]["entry_rate"],
                                                              "weight": 40},
                                               "training_rate": {**base.to_json()["indicators"]["training_rate"],
                                                                 "weight": 2.5}}
    with pytest.raises(KeyError):
        ranking.with_weights(base, {"nonsense": 1})
    with pytest.raises(ValueError):
        ranking.with_weights(base, {"entry_rate": -1})


def test_adapter_equals_a_rubric_file_with_the_same_weights(demo_warehouse):
    weights = list(ranking.default_weights())
    weights[0] = 40.0
    via_adapter = ranking.scorecard(None, tuple(weights), demo_warehouse)
    via_file = score(demo_warehouse, rubric=_rubric_with_entry_weight(40))
    assert _ranks(via_adapter) == _ranks(via_file)


def test_default_weights_sum_to_100():
    assert ranking.weight_sum(ranking.default_weights()) == 100
    assert len(ranking.default_weights()) == 12


def test_marks_and_cell_text():
    rules = default_rubric().indicators
    assert ranking.mark(indicator_result(rules["verification_rate"], 9, 10)) == "✓"
    assert ranking.cell_text(indicator_result(rules["verification_rate"], 9, 10)) == "90.0% ✓"
    assert ranking.cell_text(indicator_result(rules["verification_rate"], 8, 10)) == "80.0% ✗"
    assert ranking.cell_text(indicator_result(rules["entry_rate"], 12, 10)) == "120.0% ⚠ 超过100%"
    assert ranking.cell_text(indicator_result(rules["entry_rate"], 0, 0)) == DATA_GAP
    assert ranking.cell_text(indicator_result(rules["key_handover_rate"], 0, 0)) == NOT_APPLICABLE
    assert ranking.pct_text(None) == "—"
    # just below the target is never shown as the target
    assert ranking.cell_text(indicator_result(rules["app_registration_rate"], 9997, 100000)) == "9.997% ✗"
    assert ranking.pct_text(0.09997) == "10.0%"
    assert DATA_PROBLEM  # the scorecard's mark for > 100 % is what ranking.mark turns into ⚠


def test_display_table_has_every_indicator_and_deduction(demo_warehouse):
    card = score(demo_warehouse)
    table = ranking.display_table(card)
    assert table.height == 7
    assert table["排名"].to_list() == [c.rank for c in card.counties]
    for key in ranking.INDICATOR_KEYS:
        assert card.rubric.indicators[key].name in table.columns
        assert f"{card.rubric.indicators[key].name}得分" in table.columns
    for key in ranking.DEDUCTION_KEYS:
        col = f"扣分:{card.rubric.deductions[key].name}"
        assert table[col].to_list() == [-float(c.deductions[key]) for c in card.counties]
        assert all(v <= 0 for v in table[col])


def test_points_breakdown_sums_to_the_totals(demo_warehouse):
    card = score(demo_warehouse)
    fig = ranking.points_breakdown(card)
    assert fig.layout.barmode == "relative"
    assert "分" in fig.layout.title.text and fig.layout.xaxis.title.text == "得分(分)"
    sums = [0.0] * 7
    for trace in fig.data:
        for i, x in enumerate(trace.x):
            sums[i] += x
    expected = [float(max(Fraction(0), c.indicator_points - sum(c.deductions.values())))
                for c in reversed(card.counties)]
    assert [round(s, 2) for s in sums] == [round(e, 2) for e in expected]
    assert [t.name for t in fig.data][:12] == [card.rubric.indicators[k].name for k in ranking.INDICATOR_KEYS]


def test_rank_comparison_arrows(demo_warehouse):
    a, b = score(demo_warehouse, date(2023, 6, 30)), score(demo_warehouse)
    frame = ranking.rank_comparison(a, b)
    old = {c.county: c.rank for c in a.counties}
    for row in frame.iter_rows(named=True):
        move = old[row["区县"]] - row[f"排名({b.as_of.month}月{b.as_of.day}日)"]
        assert row["变化位数"] == move
        assert row["名次变化"].startswith("↑" if move > 0 else "↓" if move < 0 else "→")
    same = ranking.rank_comparison(b, b)
    assert set(same["名次变化"]) == {"→ 不变"}
    fig = ranking.rank_slope(a, b)
    assert len(fig.data) == 7 and fig.layout.yaxis.title.text == "排名(名)"


def test_drill_down_and_labels(demo_warehouse):
    card = score(demo_warehouse)
    county = card.counties[0]
    tr = ranking.drill_down(county.county_code, "verification_rate", None, None, demo_warehouse)
    assert tr.numerator_total == county.indicators["verification_rate"].numerator
    assert tr.denominator_total == county.indicators["verification_rate"].denominator
    shown = ranking.labelled(tr.numerator)
    assert "区县代码" not in shown.columns and "分子计数" in shown.columns
    assert ranking.labelled(None).is_empty()
    options = ranking.drill_options(card)
    assert list(options)[:12] == list(ranking.INDICATOR_KEYS) and len(options) == 15


def test_downloads_are_the_score_export(demo_warehouse):
    card = score(demo_warehouse)
    assert ranking.csv_bytes(card).startswith(b"\xef\xbb\xbf")
    wb = openpyxl.load_workbook(io.BytesIO(ranking.xlsx_bytes(card)))
    assert wb.worksheets[0]["A1"].value == score_export.TITLE


def test_definitions_cover_every_indicator_and_deduction():
    assert set(indicator_definitions()) == set(ranking.INDICATOR_KEYS)
    assert set(deduction_definitions()) == set(ranking.DEDUCTION_KEYS)
    text = ranking.definitions_markdown()
    assert all(name in text for name in (r.name for r in default_rubric().indicators.values()))
