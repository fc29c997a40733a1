"""The ranked table of a scorecard as downloads: CSV (UTF-8 with BOM, CRLF) and XLSX formatted for printing.

`ranking_table(card)` is the table both downloads are written from (Chinese column names, one row per county in
rank order): 排名, 区县, 总分, then for each indicator `<指标>_值` (a fraction, 0.93; empty when 不适用/数据缺失),
`_目标`, `_分子`, `_分母`, `_得分`, `_达标` (达标 / 未达标 / 不适用 / 数据缺失 / 达标(数据异常)), then
`扣分_<扣分项>` (negative or 0), 通报 (是/否), 通报原因 (;-separated), 截至日期 and 入库批次.
`file_name(as_of, ext)` names the download in Chinese with its as-of date.

The XLSX is made to be printed on A4 landscape and read on paper, no printed font smaller than 9 pt
(MIN_PRINTED_PT). Its sheets, in order:

- 汇总 (the first and active sheet): title, provenance (`provenance(card)`), a note, then one row per county in
  rank order: 排名, 区县, 总分, 扣分合计 (the sum of the deductions, negative or 0; the note names the rubric's
  deduction items, and every deduction taken is a sentence of 通报原因 with its count and points), 通报 (是/否),
  通报原因 — one reason per line, in two side-by-side cells under one header so that a county with eleven reasons
  takes six lines, not eleven. Fitted to exactly one page (fit_to_pages(1, 1)) when that keeps the body's 10 pt at
  ≥ 9 pt on paper — the seven counties of the demo warehouse, two to eleven reasons each, print at 99–100 % —
  and otherwise (reasons of several sentences) one page wide and as many pages tall as needed (fit_to_pages(1, 0),
  at 100 %), header row repeated, rather than shrinking the text. (A row is at most 409 pt, Excel's limit: about
  28 wrapped lines in each of the two reason cells.)
- 指标1-3, 指标4-6, 指标7-9, 指标10-12: three indicators per sheet (INDICATORS_PER_SHEET; four do not fit an A4
  width at ≥ 9 pt), each with 排名 and 区县 first, the two-row header (indicator with its weight and target over
  值/分子/分母/得分/达标) repeated on every printed page, one page wide at 100 %.
- 考评细则: the rubric, one page wide.
- 全部指标(分析用): the former single wide sheet (every indicator's five columns, each deduction, 通报, 通报原因),
  for analysts; printed at 100 % over several pages wide with 排名/区县/总分 and the header repeated, never
  shrunk to one page.

The sheets keep the former single sheet's formats: frozen header and first columns, 通报 rows filled, missed values
in red, values above 1 marked amber, numbers as numbers (values as percentages), page numbers in the footer. Fitting is computed, not left to
Excel: column widths are chosen from the text (`text_width`, `wrapped_lines`: a CJK character is ≈ 2 column units
at 11 pt), each row's height from its wrapped line count, and `print_scale` gives the scale Excel fits the print
area with; `print_layouts(card)` returns, per sheet, the widths, heights, fit and smallest font the workbook was
written with, so that the printed font size (`PrintLayout.printed_pt`) can be checked.

Neither download runs a cell as a formula (warehouse.safe_export): the CSV quotes text that starts like one, the
XLSX writes every text as a string.
"""
from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass
from datetime import date

import polars as pl

from warehouse.safe_export import XLSX_OPTIONS, csv_bytes
from warehouse.scoring import DATA_GAP, DATA_PROBLEM, CountyScore, IndicatorResult, Scorecard

TITLE = "铁岭市矛盾纠纷预防化解专项行动考评排名表"
SUBCOLUMNS = ("值", "分子", "分母", "得分", "达标")
NOTICE_FILL, MISSED_FONT, PROBLEM_FILL = "#FCE4D6", "#C00000", "#FFEB9C"

SUMMARY_SHEET, RUBRIC_SHEET, ANALYST_SHEET = "汇总", "考评细则", "全部指标(分析用)"
INDICATORS_PER_SHEET = 3
SUBCOLUMN_WIDTHS = {"值": 8, "分子": 8, "分母": 8, "得分": 6, "达标": 9}


def file_name(as_of: date, ext: str) -> str:
    """The download's file name, e.g. 铁岭市矛盾纠纷预防化解专项行动考评排名表_截至2023-12-31.xlsx."""
    return f"{TITLE}_截至{as_of.isoformat()}.{ext.lstrip('.')}"


def met_text(r: IndicatorResult) -> str:
    if r.met is None:
        return r.mark or ""
    if r.met:
        return f"达标({DATA_PROBLEM})" if r.mark == DATA_PROBLEM else "达标"
    return "未达标"


def _pct_label(x: float) -> str:
    return f"{x * 100:.2f}".rstrip("0").rstrip(".") + "%"


def ranking_table(card: Scorecard, full: bool = True) -> pl.DataFrame:
    """The ranked table, one row per county in rank order. `full` (the CSV) adds each indicator's `_目标` and,
    last, 截至日期 and 入库批次, so that every row says what it was computed from; the XLSX shows those in its
    header rows instead."""
    rubric = card.rubric
    schema: dict[str, pl.DataType] = {"排名": pl.Int64, "区县": pl.Utf8, "总分": pl.Float64}
    for rule in rubric.indicators.values():
        # #6's numerator is the sum of its two halves (a fraction); every other numerator is a count
        numerator_type = pl.Float64 if rule.key == "center_build" else pl.Int64
        schema[f"{rule.name}_值"] = pl.Float64
        if full:
            schema[f"{rule.name}_目标"] = pl.Float64
        schema |= {f"{rule.name}_分子": numerator_type, f"{rule.name}_分母": pl.Int64,
                   f"{rule.name}_得分": pl.Float64, f"{rule.name}_达标": pl.Utf8}
    for d in rubric.deductions.values():
        schema[f"扣分_{d.name}"] = pl.Float64
    schema |= {"通报": pl.Utf8, "通报原因": pl.Utf8}
    if full:
        schema |= {"截至日期": pl.Utf8, "入库批次": pl.Utf8}
    rows = []
    for c in card.counties:
        row = {"排名": c.rank, "区县": c.county, "总分": float(c.total)}
        for key, rule in rubric.indicators.items():
            r = c.indicators[key]
            row |= {f"{rule.name}_值": None if r.value is None else round(float(r.value), 6),
                    f"{rule.name}_目标": float(r.target),
                    f"{rule.name}_分子": round(float(r.numerator), 4) if key == "center_build" else int(r.numerator),
                    f"{rule.name}_分母": r.denominator,
                    f"{rule.name}_得分": float(r.points), f"{rule.name}_达标": met_text(r)}
        for key, d in rubric.deductions.items():
            row[f"扣分_{d.name}"] = -float(c.deductions[key]) if c.deductions[key] else 0.0
        row |= {"通报": "是" if c.notice else "否", "通报原因": ";".join(c.notice_reasons),
                "截至日期": card.as_of.isoformat(), "入库批次": card.load["run_id"] if card.load else None}
        rows.append({k: row[k] for k in schema})
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def to_csv_bytes(card: Scorecard) -> bytes:
    """The ranked table as CSV that Excel opens with Chinese intact: UTF-8 with BOM, CRLF line ends, text that
    starts like a formula quoted."""
    return csv_bytes(ranking_table(card))


def provenance(card: Scorecard) -> str:
    load = card.load
    finished = str(load["finished_at"]).replace("T", " ").removesuffix("+08:00") if load else ""
    batch = f"{load['run_id']}(入库完成于 {finished} 北京时间)" if load else "无入库记录"
    return f"截至日期:{card.as_of.isoformat()}    数据来源:入库批次 {batch}    考评细则:{card.rubric.label}"


# ------------------------------------------------------------------ print geometry

PAGE_PT = (297 / 25.4 * 72, 210 / 25.4 * 72)            # A4 landscape, width × height in points
MARGINS = {"left": 0.3, "right": 0.3, "top": 0.4, "bottom": 0.55}   # inches; the footer sits 0.25 in from the edge
FOOTER_MARGIN = 0.25
BODY_PT, TITLE_PT = 10, 16                              # font sizes of the printed sheets (nothing smaller)
MIN_PRINTED_PT = 9                                      # the smallest font size on paper, after fitting
WIDTH_SLACK = 0.985                                     # plan columns to 98.5 % of the printable width
MAX_ROW_PT = 409                                        # Excel's tallest row
# Excel's column width unit is the width of a digit of the default font (11 pt Calibri, 7 px at 96 dpi); a column
# of width w is int(7w + 0.5) + 5 px wide (xlsxwriter writes it so), a pixel is 0.75 pt.
_WIDE, _NARROW = 2.1, 1.05                              # a CJK / any other character, in width units at 11 pt
_NO_LINE_START = set(",。、;:!?)》」』】%,.;:!?)]")       # punctuation Excel keeps with the character before
_NO_LINE_END = set("(《「『【([")                      # … and with the character after


def printable_pt() -> tuple[float, float]:
    """The printable width and height of an A4 landscape page inside MARGINS, in points."""
    return (PAGE_PT[0] - 72 * (MARGINS["left"] + MARGINS["right"]),
            PAGE_PT[1] - 72 * (MARGINS["top"] + MARGINS["bottom"]))


def column_pt(width: float) -> float:
    """How wide a column of Excel width `width` prints at 100 %, in points."""
    return (int(width * 7 + 0.5) + 5) * 0.75


def print_scale(widths, heights, pages_tall: int | None) -> float:
    """The scale Excel prints a sheet's print area at: columns of `widths` (Excel units) and rows of `heights`
    (points), fitted to one page wide and `pages_tall` pages tall (1; 0 for as many as needed; None: not fitted,
    printed at 100 %). Never above 1, rounded down to a whole percent as Excel does."""
    if pages_tall is None:
        return 1.0
    page_w, page_h = printable_pt()
    scale = min(1.0, page_w / sum(column_pt(w) for w in widths))
    if pages_tall == 1 and heights:
        scale = min(scale, page_h / sum(heights))
    return math.floor(scale * 100 + 1e-9) / 100


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WFA"      # ambiguous (·, ×, —) is wide in a CJK font


def text_width(text: str, size: float = BODY_PT, bold: bool = False) -> float:
    """How wide the longest line of `text` is at `size` pt, in Excel column-width units."""
    factor = size / 11 * (1.05 if bold else 1)
    return max((sum(_WIDE if _wide(ch) else _NARROW for ch in line) * factor for line in text.split("\n")),
               default=0.0)


def _tokens(line: str) -> list[str]:
    """The pieces a line wraps between: each CJK character, each run of other non-space characters, each space;
    closing punctuation kept with what it follows, opening punctuation with what it precedes."""
    tokens: list[str] = []
    glue = False
    for ch in line:
        if tokens and (glue or ch in _NO_LINE_START or (not ch.isspace() and not _wide(ch)
                                                          and not tokens[-1][-1].isspace()
                                                          and not _wide(tokens[-1][-1]))):
            tokens[-1] += ch
        else:
            tokens.append(ch)
        glue = ch in _NO_LINE_END
    return tokens


def wrapped_lines(text: str | None, width: float, size: float = BODY_PT, bold: bool = False) -> int:
    """How many lines `text` takes wrapped in a column of Excel width `width` at `size` pt (0 for no text): each
    explicit line broken greedily between _tokens, a token longer than a line broken anywhere. A little narrower
    than the column (its padding), so that the estimate errs towards a line too many."""
    if not text:
        return 0
    room = max(width - 1.0, 1.0)
    lines = 0
    for line in text.split("\n"):
        lines += 1
        x = 0.0
        for token in _tokens(line):
            w = text_width(token, size, bold)
            if x > 0 and x + w > room:
                lines += 1
                x = 0.0
                if token.isspace():
                    continue
            if w > room:
                extra = math.ceil(w / room) - 1
                lines += extra
                x = w - extra * room
            else:
                x += w
    return lines


def row_height(lines: int, size: float = BODY_PT) -> float:
    """A row's height in points for `lines` lines at `size` pt (1.35 × size a line — 宋体 and 等线 at 10 pt take
    13–13.5 pt — and a little padding), in whole pixels as Excel keeps it, at most MAX_ROW_PT."""
    points = max(lines, 1) * size * 1.35 + 3
    return min(MAX_ROW_PT, math.ceil(points / 0.75) * 0.75)


@dataclass(frozen=True)
class PrintLayout:
    """How one sheet prints: its print area's column widths (Excel units) and row heights (points), the fit
    (fit_to_pages(1, pages_tall); None: not fitted) and the smallest font size on it."""
    sheet: str
    widths: tuple[float, ...]
    heights: tuple[float, ...]
    pages_tall: int | None
    font_pt: float

    @property
    def scale(self) -> float:
        return print_scale(self.widths, self.heights, self.pages_tall)

    @property
    def printed_pt(self) -> float:
        """The smallest font size on paper."""
        return self.font_pt * self.scale


def indicator_groups(card: Scorecard) -> list[tuple[str, list[str]]]:
    """The indicator sheets: (name, indicator keys), INDICATORS_PER_SHEET indicators each in rubric order, named by
    the indicators' numbers (指标1-3)."""
    keys = list(card.rubric.indicators)
    groups = []
    for start in range(0, len(keys), INDICATORS_PER_SHEET):
        chunk = keys[start:start + INDICATORS_PER_SHEET]
        first, last = start + 1, start + len(chunk)
        groups.append((f"指标{first}" if first == last else f"指标{first}-{last}", chunk))
    return groups


def split_reasons(reasons: list[str], width: float) -> tuple[list[str], list[str]]:
    """The reasons in two side-by-side cells of `width`, in order (the first cell read first), split where the
    taller of the two is the shortest (the first cell the longer on a tie)."""
    best = None
    for k in range(len(reasons), -1, -1):
        tall = max(wrapped_lines("\n".join(reasons[:k]), width), wrapped_lines("\n".join(reasons[k:]), width))
        if best is None or tall < best[0]:
            best = (tall, k)
    k = best[1] if best else 0
    return reasons[:k], reasons[k:]


# ------------------------------------------------------------------ the workbook

def to_xlsx_bytes(card: Scorecard) -> bytes:
    """The workbook (see the module docstring): 汇总, the indicator sheets, 考评细则, 全部指标(分析用)."""
    return _workbook(card)[0]


def print_layouts(card: Scorecard) -> list[PrintLayout]:
    """How each sheet of `to_xlsx_bytes(card)` prints, in sheet order."""
    return _workbook(card)[1]


class _Formats:
    """The workbook's cell formats, every one at BODY_PT or larger."""

    def __init__(self, wb):
        self.wb = wb
        self.cache: dict[tuple, object] = {}
        self.head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "align": "center", "valign": "vcenter", "font_size": BODY_PT})
        self.title = wb.add_format({"bold": True, "font_size": TITLE_PT, "align": "center", "valign": "vcenter"})
        self.provenance = wb.add_format({"font_size": BODY_PT, "text_wrap": True, "valign": "vcenter"})
        self.note = wb.add_format({"font_size": BODY_PT, "font_color": "#595959", "text_wrap": True,
                                   "valign": "vcenter"})

    def __call__(self, kind: str, notice: bool = False, missed: bool = False, problem: bool = False, **extra):
        key = (kind, notice, missed, problem, tuple(sorted(extra.items())))
        if key not in self.cache:
            spec = {"border": 1, "valign": "vcenter", "font_size": BODY_PT}
            spec |= {"pct": {"num_format": "0.00%"}, "int": {"num_format": "#,##0"}, "dec": {"num_format": "0.00"},
                     "num": {"num_format": "0.0###"}, "txt": {}, "wrap": {"text_wrap": True},
                     "center": {"align": "center"}, "center_wrap": {"align": "center", "text_wrap": True}}[kind]
            spec |= extra
            if notice:
                spec["bg_color"] = NOTICE_FILL
            if problem:
                spec["bg_color"] = PROBLEM_FILL
            if missed:
                spec["font_color"] = MISSED_FONT
            self.cache[key] = self.wb.add_format(spec)
        return self.cache[key]


def _workbook(card: Scorecard) -> tuple[bytes, list[PrintLayout]]:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, XLSX_OPTIONS)
    wb.set_properties({"title": f"{TITLE}(截至{card.as_of.isoformat()})"})
    fmt = _Formats(wb)
    layouts = [_summary_sheet(wb, card, fmt)]
    layouts += [_indicator_sheet(wb, card, fmt, name, keys) for name, keys in indicator_groups(card)]
    layouts.append(_rubric_sheet(wb, card, fmt))
    layouts.append(_analyst_sheet(wb, card, fmt))
    wb.worksheets()[0].activate()
    wb.close()
    return buf.getvalue(), layouts


def _page_setup(ws, last_row: int, last_col: int, pages_tall: int | None, header_rows: tuple[int, int] | None,
                header_cols: tuple[int, int] | None = None) -> None:
    """A4 landscape inside MARGINS, page numbers in the footer, the print area, rows (and columns) repeated on every
    page; fitted one page wide and `pages_tall` tall (None: printed at 100 %)."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(**MARGINS)
    ws.set_footer("&C第 &P 页 共 &N 页", {"margin": FOOTER_MARGIN})
    ws.center_horizontally()
    if pages_tall is not None:
        ws.fit_to_pages(1, pages_tall)
    else:
        ws.set_print_scale(100)
    if header_rows:
        ws.repeat_rows(*header_rows)
    if header_cols:
        ws.repeat_columns(*header_cols)
    ws.print_area(0, 0, last_row, last_col)


def _heading(ws, fmt: _Formats, title: str, lines: list[tuple[str, object]], widths: list[float]) -> list[float]:
    """Title, then each (text, format) of `lines` merged across the columns of `widths`, wrapped: their heights."""
    last = len(widths) - 1
    total = sum(widths) + 0.7 * last                    # merged: the columns' padding is room too
    heights = [row_height(wrapped_lines(title, total, TITLE_PT, bold=True), TITLE_PT)]
    _merge(ws, 0, 0, 0, last, title, fmt.title)
    for i, (text, cell_format) in enumerate(lines, start=1):
        _merge(ws, i, 0, i, last, text, cell_format)
        heights.append(row_height(wrapped_lines(text, total)))
    for i, h in enumerate(heights):
        ws.set_row(i, h)
    return heights


def _summary_sheet(wb, card: Scorecard, fmt: _Formats) -> PrintLayout:
    ws = wb.add_worksheet(SUMMARY_SHEET)
    counties = card.counties
    rubric = card.rubric
    headers = ["排名", "区县", "总分", "扣分\n合计", "通报"]
    widths = [5.0, _county_width(counties), 7.0, 7.0, 5.0]
    # the two reason cells share what is left of the printable width
    room_pt = printable_pt()[0] * WIDTH_SLACK - sum(column_pt(w) for w in widths)
    reason_width = max(20.0, math.floor(((room_pt / 2 / 0.75 - 5) / 7) * 2) / 2)
    widths += [reason_width, reason_width]
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)

    deductions = "、".join(f"{d.name}" for d in rubric.deductions.values())
    heights = _heading(ws, fmt, TITLE, [
        (provenance(card), fmt.provenance),
        ("说明:总分 = 各项指标得分之和减扣分,最低 0 分。扣分合计为各扣分项之和"
         f"(扣分项:{deductions}),各项的起数、人数和扣分见通报原因。各项指标的值、分子、分母、得分见"
         f"“{indicator_groups(card)[0][0]}”等分表;底色标出列入通报的区县。", fmt.note)], widths)
    top = len(heights)
    for j, name in enumerate(headers):
        ws.write_string(top, j, name, fmt.head)
    _merge(ws, top, len(headers), top, len(headers) + 1, "通报原因", fmt.head)
    heights.append(row_height(max(wrapped_lines(h, w, bold=True) for h, w in zip(headers, widths))))
    ws.set_row(top, heights[-1])

    for i, c in enumerate(counties):
        r = top + 1 + i
        notice = c.notice
        deducted = -float(sum(c.deductions.values()))
        ws.write_number(r, 0, c.rank, fmt("center", notice))
        ws.write_string(r, 1, c.county, fmt("txt", notice))
        ws.write_number(r, 2, float(c.total), fmt("dec", notice))
        ws.write_number(r, 3, deducted if deducted else 0.0, fmt("dec", notice, deducted < 0))
        ws.write_string(r, 4, "是" if notice else "否", fmt("center", notice))
        halves = split_reasons(list(c.notice_reasons), reason_width)
        for k, (half, border) in enumerate(zip(halves, ({"right": 0}, {"left": 0}))):
            cell_format = fmt("wrap", notice, valign="top", **border)
            if half:
                ws.write_string(r, 5 + k, "\n".join(half), cell_format)
            else:
                ws.write_blank(r, 5 + k, None, cell_format)
        lines = max(1, *(wrapped_lines("\n".join(h), reason_width) for h in halves))
        heights.append(row_height(lines))
        ws.set_row(r, heights[-1])

    last_row = top + max(len(counties), 1)
    one_page = PrintLayout(SUMMARY_SHEET, tuple(widths), tuple(heights), 1, BODY_PT)
    # one page if the text stays ≥ 9 pt on it; else as many pages tall as needed, never shrunk below
    layout = one_page if one_page.printed_pt >= MIN_PRINTED_PT else PrintLayout(
        SUMMARY_SHEET, tuple(widths), tuple(heights), 0, BODY_PT)
    ws.freeze_panes(top + 1, 0)
    _page_setup(ws, last_row, len(widths) - 1, layout.pages_tall, (top, top))
    return layout


def _county_width(counties: list[CountyScore]) -> float:
    """区县's column: the longest name on one line (at least 8)."""
    return max([8.0, *(math.ceil(2 * (text_width(c.county) + 1.2)) / 2 for c in counties)])


def _indicator_sheet(wb, card: Scorecard, fmt: _Formats, name: str, keys: list[str]) -> PrintLayout:
    ws = wb.add_worksheet(name)
    rubric = card.rubric
    numbers = {key: i for i, key in enumerate(rubric.indicators, start=1)}
    widths = [5.0, _county_width(card.counties)]
    widths += [float(SUBCOLUMN_WIDTHS[s]) for _ in keys for s in SUBCOLUMNS]
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    first, last = numbers[keys[0]], numbers[keys[-1]]
    title = f"{TITLE}(指标 {first}—{last})" if first != last else f"{TITLE}(指标 {first})"
    heights = _heading(ws, fmt, title, [
        (provenance(card), fmt.provenance),
        ("说明:值为百分比;得分 = 权重 × 值 ÷ 目标(最高按 1 计)(调处化解中心建设为 权重 × 值);底色标出列入通报的"
         f"区县,红字为未达目标的指标,黄底为超过 100% 的数据异常。总分、扣分和通报原因见“{SUMMARY_SHEET}”。",
         fmt.note)], widths)
    top, sub = len(heights), len(heights) + 1
    for j, head in enumerate(("排名", "区县")):
        _merge(ws, top, j, sub, j, head, fmt.head)
    labels = []
    for g, key in enumerate(keys):
        rule = rubric.indicators[key]
        col = 2 + g * len(SUBCOLUMNS)
        label = f"{numbers[key]}. {rule.name}\n权重 {rule.weight:g} · 目标 {_pct_label(rule.target)}"
        labels.append(wrapped_lines(label, sum(widths[col:col + len(SUBCOLUMNS)]), bold=True))
        _merge(ws, top, col, top, col + len(SUBCOLUMNS) - 1, label, fmt.head)
        for k, s in enumerate(SUBCOLUMNS):
            ws.write_string(sub, col + k, s, fmt.head)
    heights += [row_height(max(labels)), row_height(1)]
    ws.set_row(top, heights[-2])
    ws.set_row(sub, heights[-1])

    for i, c in enumerate(card.counties):
        r = sub + 1 + i
        notice = c.notice
        ws.write_number(r, 0, c.rank, fmt("center", notice))
        ws.write_string(r, 1, c.county, fmt("txt", notice))
        lines = wrapped_lines(c.county, widths[1])
        for g, key in enumerate(keys):
            col = 2 + g * len(SUBCOLUMNS)
            _indicator_cells(ws, r, col, key, c, fmt)
            lines = max(lines, wrapped_lines(met_text(c.indicators[key]), widths[col + 4]))
        heights.append(row_height(lines))
        ws.set_row(r, heights[-1])

    ws.freeze_panes(sub + 1, 2)
    _page_setup(ws, sub + max(len(card.counties), 1), len(widths) - 1, 0, (top, sub))
    return PrintLayout(name, tuple(widths), tuple(heights), 0, BODY_PT)


def _indicator_cells(ws, r: int, col: int, key: str, county: CountyScore, fmt: _Formats, wrap: bool = True) -> None:
    """One indicator's 值/分子/分母/得分/达标 of one county from column `col`."""
    res = county.indicators[key]
    notice, missed, problem = county.notice, res.met is False, res.mark == DATA_PROBLEM
    if res.value is None:
        ws.write_blank(r, col, None, fmt("pct", notice))
    else:
        ws.write_number(r, col, float(res.value), fmt("pct", notice, missed, problem))
    if key == "center_build":                # #6's numerator is the sum of its two halves, a fraction
        ws.write_number(r, col + 1, round(float(res.numerator), 4), fmt("num", notice))
    else:
        ws.write_number(r, col + 1, int(res.numerator), fmt("int", notice))
    ws.write_number(r, col + 2, res.denominator, fmt("int", notice))
    ws.write_number(r, col + 3, float(res.points), fmt("dec", notice, missed))
    ws.write_string(r, col + 4, met_text(res), fmt("center_wrap" if wrap else "center", notice, missed, problem))


def _analyst_sheet(wb, card: Scorecard, fmt: _Formats) -> PrintLayout:
    """Every column of the ranked table on one sheet, for analysts (filters, sums); printed at 100 % over as many
    pages as it takes, 排名/区县/总分 and the header on each."""
    table = ranking_table(card, full=False)
    rubric = card.rubric
    ws = wb.add_worksheet(ANALYST_SHEET)
    ncols = table.width
    widths_by_name = {"排名": 5, "区县": 9, "总分": 8, "值": 8, "分子": 8, "分母": 8, "得分": 6, "达标": 7,
                      "通报": 5, "通报原因": 70}
    widths = [9.0 if name.startswith("扣分_") else float(widths_by_name.get(name.rsplit("_", 1)[-1], 9))
              for name in table.columns]
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    heights = _heading(ws, fmt, TITLE, [
        (provenance(card), fmt.provenance),
        ("说明:值为百分比;得分 = 权重 × 值 ÷ 目标(最高按 1 计)(调处化解中心建设为 权重 × 值);"
         "总分 = 各项得分之和减扣分,最低 0 分;底色标出列入通报的区县,红字为未达目标的指标。", fmt.note)],
        widths[:_first_page_columns(widths)])          # the heading within the first printed page's width
    top, sub = len(heights), len(heights) + 1
    for j, name in enumerate(("排名", "区县", "总分")):
        _merge(ws, top, j, sub, j, name, fmt.head)
    col = 3
    for i, rule in enumerate(rubric.indicators.values(), start=1):
        label = f"{i}. {rule.name}\n权重 {rule.weight:g} · 目标 {_pct_label(rule.target)}"
        _merge(ws, top, col, top, col + len(SUBCOLUMNS) - 1, label, fmt.head)
        for k, s in enumerate(SUBCOLUMNS):
            ws.write_string(sub, col + k, s, fmt.head)
        col += len(SUBCOLUMNS)
    for d in rubric.deductions.values():
        _merge(ws, top, col, sub, col, f"扣分\n{d.name}", fmt.head)
        col += 1
    for name in ("通报", "通报原因"):
        _merge(ws, top, col, sub, col, name, fmt.head)
        col += 1
    deduction_lines = max((wrapped_lines(f"扣分\n{d.name}", 9, bold=True) for d in rubric.deductions.values()),
                          default=1)
    heights += [row_height(max(2, deduction_lines - 1)), row_height(1)]
    ws.set_row(top, heights[-2])
    ws.set_row(sub, heights[-1])

    for i, row in enumerate(table.iter_rows(named=True)):
        r = sub + 1 + i
        county = card.counties[i]
        notice = county.notice
        ws.write_number(r, 0, row["排名"], fmt("center", notice))
        ws.write_string(r, 1, row["区县"], fmt("txt", notice))
        ws.write_number(r, 2, row["总分"], fmt("dec", notice))
        col = 3
        for key in rubric.indicators:
            _indicator_cells(ws, r, col, key, county, fmt, wrap=False)
            col += len(SUBCOLUMNS)
        for d in rubric.deductions.values():
            ws.write_number(r, col, row[f"扣分_{d.name}"], fmt("dec", notice, row[f"扣分_{d.name}"] < 0))
            col += 1
        ws.write_string(r, col, row["通报"], fmt("center", notice))
        reasons = "\n".join(county.notice_reasons)
        if reasons:
            ws.write_string(r, col + 1, reasons, fmt("wrap", notice))
        else:
            ws.write_blank(r, col + 1, None, fmt("wrap", notice))
        heights.append(row_height(max(1, wrapped_lines(reasons, widths[col + 1]))))
        ws.set_row(r, heights[-1])

    ws.freeze_panes(sub + 1, 3)
    _page_setup(ws, sub + max(len(card.counties), 1), ncols - 1, None, (top, sub), (0, 2))
    return PrintLayout(ANALYST_SHEET, tuple(widths), tuple(heights), None, BODY_PT)


def _first_page_columns(widths: list[float]) -> int:
    """How many columns of `widths` print on a page's width at 100 %."""
    room, n = printable_pt()[0], 0
    while n < len(widths) and room >= column_pt(widths[n]):
        room -= column_pt(widths[n])
        n += 1
    return max(n, 1)


def _merge(ws, first_row: int, first_col: int, last_row: int, last_col: int, text: str, cell_format) -> None:
    """A merged cell holding `text` as a string (merge_range alone writes its data with the generic write())."""
    ws.merge_range(first_row, first_col, last_row, last_col, "", cell_format)
    ws.write_string(first_row, first_col, text, cell_format)


def _rubric_sheet(wb, card: Scorecard, fmt: _Formats) -> PrintLayout:
    rubric = card.rubric
    ws = wb.add_worksheet(RUBRIC_SHEET)
    head = fmt.head
    wrap = wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter", "font_size": BODY_PT})
    pct = wb.add_format({"border": 1, "num_format": "0.00%", "valign": "vcenter", "font_size": BODY_PT})
    num = wb.add_format({"border": 1, "num_format": "0.##", "valign": "vcenter", "font_size": BODY_PT})
    plain = wb.add_format({"font_size": BODY_PT})
    columns = (("序号", 5), ("指标", 22), ("代码", 26), ("权重", 6), ("目标", 8), ("目标来源", 9), ("参数", 60))
    widths = [float(w) for _, w in columns]
    heights: dict[int, float] = {}

    def fit_row(row: int, cells: dict[int, str], size: float = BODY_PT) -> None:
        """The row as tall as its tallest wrapped cell."""
        heights[row] = row_height(max([1, *(wrapped_lines(t, widths[j], size) for j, t in cells.items())]), size)
        ws.set_row(row, heights[row])

    ws.write_string(0, 0, f"考评细则:{rubric.label}", wb.add_format({"bold": True, "font_size": 12}))
    heights[0] = row_height(1, 12)
    ws.set_row(0, heights[0])
    ws.write_string(1, 0, f"文件:{rubric.source};专项行动期间 {rubric.campaign_start} 至 {rubric.campaign_end}",
                    plain)
    fit_row(1, {})
    for j, (name, width) in enumerate(columns):
        ws.write_string(2, j, name, head)
        ws.set_column(j, j, width)
    fit_row(2, {j: name for j, (name, _) in enumerate(columns)})
    row = 3
    for i, rule in enumerate(rubric.indicators.values(), start=1):
        params = ";".join(f"{k} = {v.isoformat() if isinstance(v, date) else v}" for k, v in rule.params.items())
        source = "方案" if rule.plan_target else "默认"
        ws.write_number(row, 0, i, num)
        ws.write_string(row, 1, rule.name, wrap)
        ws.write_string(row, 2, rule.key, wrap)
        ws.write_number(row, 3, rule.weight, num)
        ws.write_number(row, 4, rule.target, pct)
        ws.write_string(row, 5, source, wrap)
        ws.write_string(row, 6, params, wrap)
        fit_row(row, {1: rule.name, 2: rule.key, 5: source, 6: params})
        row += 1
    row += 1
    for j, name in enumerate(("扣分项", "代码", "每起/人", "上限"), start=1):
        ws.write_string(row, j, name, head)
    fit_row(row, {3: "每起/人"})
    for d in rubric.deductions.values():
        row += 1
        ws.write_string(row, 1, d.name, wrap)
        ws.write_string(row, 2, d.key, wrap)
        ws.write_number(row, 3, -d.points if d.points else 0, num)
        if d.cap is None:
            ws.write_blank(row, 4, None, num)
        else:
            ws.write_number(row, 4, -d.cap if d.cap else 0, num)
        fit_row(row, {1: d.name, 2: d.key})
    row += 2
    ws.write_string(row, 1, "报送事项", head)
    ws.write_string(row, 2, "截止日期", head)
    for name, due in rubric.milestones.items():
        row += 1
        ws.write_string(row, 1, name, wrap)
        ws.write_string(row, 2, due.isoformat(), wrap)
        fit_row(row, {1: name})
    row += 2
    ws.write_string(row, 1, f"分母为 0:录入率、慧评理注册使用率记 0 分({DATA_GAP}),其余指标记满分(不适用)。",
                    plain)
    _page_setup(ws, row, len(widths) - 1, 0, None)
    all_heights = tuple(heights.get(r, 15.0) for r in range(row + 1))
    return PrintLayout(RUBRIC_SHEET, tuple(widths), all_heights, 0, BODY_PT)
