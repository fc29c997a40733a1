"""The bureau's documents as Word files: the 通报 draft and the monthly 简报, from the scorecard.

Everything in them comes from warehouse.scoring (the same records and sums as the pages and the ranked table): each
plan target's city value is the counties' results combined (Σ numerators ÷ Σ denominators, scoring.combined), the
counties below a target are those whose result is below it, the ranked table and the 通报 reasons are the
scorecard's. Layout after GB/T 9704 (党政机关公文格式): A4, margins 37/35/28/26 mm, title in 方正小标宋简体 (黑体 where
that font is missing, named as the run's fallback font), body in 仿宋_GB2312 三号 (16 pt), the issuing body and the
date under the text, annexes after it.

    python -m warehouse report --warehouse FILE --as-of 2023-12-31 --kind notice|briefing --output FILE.docx
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from fractions import Fraction

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from warehouse.scoring import IndicatorResult, Scorecard, _pct, combined

ISSUER = "铁岭市司法局"
TITLE_FONT, TITLE_FALLBACK = "方正小标宋简体", "黑体"
BODY_FONT, HEADING_FONT = "仿宋_GB2312", "黑体"
BODY_SIZE, TITLE_SIZE, TABLE_SIZE = Pt(16), Pt(22), Pt(10.5)
KINDS = {"notice": "通报", "briefing": "简报"}


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def pct(value: Fraction | None, target: Fraction | None = None) -> str:
    """A rate as the scorecard writes it (93.4%, and as many digits as it takes to show a value below its target
    below it: 9.997%, not 10.0%); no value (分母为 0) as 不适用."""
    return "不适用" if value is None else _pct(value, target)


def city_results(card: Scorecard) -> dict[str, IndicatorResult]:
    """Each indicator over the whole city: the seven counties' records summed (never a mean of their rates)."""
    return {key: combined(rule, [c.indicators[key] for c in card.counties])
            for key, rule in card.rubric.indicators.items()}


def below(card: Scorecard, key: str) -> list[str]:
    """The counties whose value of indicator `key` is below its target, in rank order, with their values."""
    target = card.rubric.indicators[key].target_q
    return [f"{c.county}({pct(c.indicators[key].value, target)})" for c in card.counties
            if c.indicators[key].below_target()]


def target_sentence(card: Scorecard, key: str, city: dict[str, IndicatorResult]) -> str:
    rule, value = card.rubric.indicators[key], city[key]
    missed = below(card, key)
    tail = f"未达到目标的有{'、'.join(missed)}" if missed else "各区县均达到目标"
    return f"{rule.name}:全市{pct(value.value, rule.target_q)},目标{pct(rule.target_q)};{tail}。"


# --- layout ------------------------------------------------------------------------------------------------------

def _font(run, name: str, size: Pt, bold: bool = False) -> None:
    run.font.name, run.font.size, run.font.bold = name, size, bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)          # Chinese text takes the East Asian font, not the Latin one


def _paragraph(doc, text: str = "", *, font: str = BODY_FONT, size: Pt = BODY_SIZE, bold: bool = False,
               align=None, indent: bool = True):
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(32) if indent else None   # two characters of 三号
    p.paragraph_format.line_spacing = Pt(28)                              # 28 磅 fixed, as 公文 are set
    if align is not None:
        p.alignment = align
    if text:
        _font(p.add_run(text), font, size, bold)
    return p


def _new_document(title: str) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    doc.core_properties.title, doc.core_properties.author = title, ISSUER
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    heading = _paragraph(doc, title, font=TITLE_FONT, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    heading.paragraph_format.line_spacing = Pt(36)
    heading.runs[0]._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:hAnsi"), TITLE_FALLBACK)
    return doc


def _heading(doc, text: str) -> None:
    _paragraph(doc, text, font=HEADING_FONT, size=BODY_SIZE)


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header):
        _font(cell.paragraphs[0].add_run(text), HEADING_FONT, TABLE_SIZE, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, TABLE_SIZE)
    # a table row never breaks across pages; the header repeats on each page
    for row in table.rows:
        row._tr.get_or_add_trPr().append(_element("w:cantSplit"))
    table.rows[0]._tr.get_or_add_trPr().append(_element("w:tblHeader"))


def _element(tag: str):
    from docx.oxml import OxmlElement
    return OxmlElement(tag)


def _signature(doc, day: date) -> None:
    _paragraph(doc)
    for text in (ISSUER, cn_date(day)):
        p = _paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        p.paragraph_format.right_indent = Pt(64)


def _points(x: Fraction) -> str:
    return f"{float(x):.2f}"


def ranked_rows(card: Scorecard) -> list[list[str]]:
    return [[str(c.rank), c.county, _points(c.total), "列入通报" if c.notice else "—"] for c in card.counties]


# --- the documents -----------------------------------------------------------------------------------------------

def notice(card: Scorecard) -> Document:
    """The 通报 draft at card.as_of."""
    doc = _new_document("关于全市矛盾纠纷预防化解专项行动考评情况的通报")
    _paragraph(doc, "(征求意见稿)", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, "各县(市、区)司法局:", indent=False)
    _paragraph(doc, f"根据《{card.rubric.label.split(' · ')[0]}》,现将截至{cn_date(card.as_of)}全市矛盾纠纷预防化解"
                    "专项行动考评情况通报如下。")
    city = city_results(card)
    _heading(doc, "一、目标任务完成情况")
    for key, rule in card.rubric.indicators.items():
        if rule.plan_target:
            _paragraph(doc, target_sentence(card, key, city))
    _heading(doc, "二、考评排名")
    _paragraph(doc, f"截至{cn_date(card.as_of)},各县(市、区)考评得分及排名如下(满分为各项权重之和,扣分后不低于 0 分)。")
    _table(doc, ["排名", "县(市、区)", "总分", "通报"], ranked_rows(card))
    _heading(doc, "三、通报事项")
    named = [c for c in card.counties if c.notice]
    if not named:
        _paragraph(doc, "各县(市、区)均完成专项行动方案确定的目标任务,无扣分事项,本期不列入通报。")
    for c in named:
        _paragraph(doc, f"{c.county}:{';'.join(c.notice_reasons)}。")
    if named:
        _paragraph(doc, f"请{'、'.join(c.county for c in named)}司法局对照上述问题逐项整改。")
    _signature(doc, card.as_of)
    _annexes(doc, card)
    return doc


def _annexes(doc, card: Scorecard) -> None:
    doc.add_page_break()
    _paragraph(doc, "附件", font=HEADING_FONT, indent=False)
    _paragraph(doc, "各县(市、区)未达目标指标及扣分事项明细", font=TITLE_FONT, size=Pt(18),
               align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    rows = []
    for c in card.counties:
        for key, r in c.indicators.items():
            if r.plan_target and r.below_target():
                rows.append([c.county, r.name, f"{float(r.numerator):g}/{r.denominator}", pct(r.value, r.target),
                             pct(r.target), "—"])
        for key, amount in c.deductions.items():
            if amount > 0:
                rule = card.rubric.deductions[key]
                rows.append([c.county, rule.name, f"{c.deduction_counts[key]} 起" if key != "lost_contact"
                             else f"{c.deduction_counts[key]} 人", "—", "—", f"-{_points(amount)}"])
    if rows:
        _table(doc, ["县(市、区)", "指标或扣分事项", "分子/分母或件数", "完成值", "目标", "扣分"], rows)
    else:
        _paragraph(doc, "无。")


def briefing(card: Scorecard, previous: Scorecard | None) -> Document:
    """The monthly 简报 at card.as_of: each plan target's city value and its change since `previous` (the
    previous month's end; None in the campaign's first month), and the ranking with its movement."""
    doc = _new_document(f"矛盾纠纷预防化解专项行动工作简报({card.as_of.year}年{card.as_of.month}月)")
    _paragraph(doc, f"{ISSUER}    {cn_date(card.as_of)}", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    city = city_results(card)
    before = city_results(previous) if previous else None
    since = f"较{cn_date(previous.as_of)}" if previous else ""
    _heading(doc, "一、本月进展")
    for key, rule in card.rubric.indicators.items():
        if not rule.plan_target:
            continue
        text = target_sentence(card, key, city)
        if before:
            text = text[:-1] + f";{since}{change(city[key].value, before[key].value)}。"
        _paragraph(doc, text)
    _heading(doc, "二、考评排名及变化")
    old = {c.county_code: c for c in previous.counties} if previous else {}
    rows = []
    for c in card.counties:
        p = old.get(c.county_code)
        moved = "—" if p is None else ("持平" if p.rank == c.rank else
                                       (f"上升{p.rank - c.rank}位" if p.rank > c.rank else f"下降{c.rank - p.rank}位"))
        delta = "—" if p is None else f"{float(c.total - p.total):+.2f}"
        rows.append([str(c.rank), c.county, _points(c.total), delta, moved])
    _table(doc, ["排名", "县(市、区)", "总分", f"总分变化({since or '上月'})", "名次变化"], rows)
    _heading(doc, "三、需关注的问题")
    named = [c for c in card.counties if c.notice]
    for c in named:
        _paragraph(doc, f"{c.county}:{';'.join(c.notice_reasons)}。")
    if not named:
        _paragraph(doc, "本月各县(市、区)均达到目标任务,无扣分事项。")
    return doc


def change(now: Fraction | None, then: Fraction | None) -> str:
    """The change of a rate in percentage points: 上升 1.2 个百分点 / 下降 0.4 个百分点 / 持平."""
    if now is None or then is None:
        return "无可比数据"
    points = float(now - then) * 100
    if abs(points) < 0.05:
        return "持平"
    return f"{'上升' if points > 0 else '下降'} {abs(points):.1f} 个百分点"


def previous_month_end(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def to_bytes(doc: Document) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def file_name(kind: str, day: date) -> str:
    what = "考评情况通报(征求意见稿)" if kind == "notice" else "工作简报"
    return f"铁岭市矛盾纠纷预防化解专项行动{what}_截至{day.isoformat()}.docx"
