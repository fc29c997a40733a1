"""The 通报 draft and the 简报 as Word documents: opened with python-docx, every number checked against the scoring."""
from __future__ import annotations

from datetime import date

import docx
import pytest
from docx.oxml.ns import qn

from warehouse import report
from warehouse.__main__ import main
from warehouse.scoring import combined, score

AS_OF = date(2023, 11, 30)


@pytest.fixture(scope="module")
def cards(demo_warehouse):
    return score(demo_warehouse, AS_OF), score(demo_warehouse, date(2023, 10, 31))


def _open(document) -> docx.Document:
    import io
    return docx.Document(io.BytesIO(report.to_bytes(document)))


def _text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def _rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_notice_is_a_bureau_document_with_every_number_from_the_scoring(cards):
    card, _ = cards
    doc = _open(report.notice(card))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)   # A4, portrait
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    title = doc.paragraphs[0]
    assert title.text == "关于全市矛盾纠纷预防化解专项行动考评情况的通报"
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == report.TITLE_FONT
    text = _text(doc)
    assert "各县(市、区)司法局:" in text and "2023年11月30日" in text and report.ISSUER in text
    # one sentence per plan target: the city value is the counties' records combined; the counties below it named
    for key, rule in card.rubric.indicators.items():
        sentence = next((p.text for p in doc.paragraphs if p.text.startswith(rule.name + ":")), None)
        if not rule.plan_target:
            assert sentence is None
            continue
        city = combined(rule, [c.indicators[key] for c in card.counties])
        assert f"全市{report.pct(city.value, rule.target_q)}," in sentence
        for c in card.counties:
            assert (c.county + "(" in sentence) == c.indicators[key].below_target(), (rule.name, c.county)
    ranked, annex = doc.tables
    assert _rows(ranked)[1:] == [[str(c.rank), c.county, f"{float(c.total):.2f}", "列入通报" if c.notice else "—"]
                                 for c in card.counties]
    for c in card.counties:
        if c.notice:
            assert f"{c.county}:{';'.join(c.notice_reasons)}。" in text
    expected = sum(r.plan_target and r.below_target() for c in card.counties for r in c.indicators.values()) + \
        sum(amount > 0 for c in card.counties for amount in c.deductions.values())
    assert len(annex.rows) - 1 == expected
    everything = text + "".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert not any(word in everything for word in ("None", "nan", "null"))


def test_the_briefing_shows_the_change_since_the_previous_month(cards):
    card, previous = cards
    doc = _open(report.briefing(card, previous))
    assert doc.paragraphs[0].text == "矛盾纠纷预防化解专项行动工作简报(2023年11月)"
    city, before = report.city_results(card), report.city_results(previous)
    for key, rule in card.rubric.indicators.items():
        if rule.plan_target:
            sentence = next(p.text for p in doc.paragraphs if p.text.startswith(rule.name + ":"))
            assert sentence.endswith(f"较2023年10月31日{report.change(city[key].value, before[key].value)}。")
    rows = _rows(doc.tables[0])[1:]
    old = {c.county: c for c in previous.counties}
    for row, c in zip(rows, card.counties):
        assert row[:3] == [str(c.rank), c.county, f"{float(c.total):.2f}"]
        assert row[3] == f"{float(c.total - old[c.county].total):+.2f}"


def test_change_in_percentage_points():
    from fractions import Fraction
    assert report.change(Fraction(934, 1000), Fraction(922, 1000)) == "上升 1.2 个百分点"
    assert report.change(Fraction(5, 10), Fraction(504, 1000)) == "下降 0.4 个百分点"
    assert report.change(Fraction(1, 2), Fraction(1, 2)) == "持平" and report.change(None, Fraction(1)) == "无可比数据"


def test_the_cli_writes_the_briefing(demo_warehouse, tmp_path, capsys):
    """The command line's path (the notice differs only in --kind: the same scorecard, warehouse.report.notice)."""
    for kind, title in (("briefing", "简报"),):
        out = tmp_path / f"{kind}.docx"
        code = main(["report", "--warehouse", str(demo_warehouse), "--as-of", "2023-11-30", "--kind", kind,
                     "--output", str(out)])
        assert code == 0 and "已写入" in capsys.readouterr().err
        assert title in docx.Document(str(out)).paragraphs[0].text
