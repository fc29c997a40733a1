"""The ranked table of a scorecard as downloads: CSV (UTF-8 with BOM, CRLF) and XLSX formatted for printing.

`ranking_table(card)` is the table both downloads are written from (Chinese column names, one row per county in
rank order): 排名, 区县, 总分, then for each indicator `<指标>_值` (a fraction, 0.93; empty when 不适用/数据缺失),
`_目标`, `_分子`, `_分母`, `_得分`, `_达标` (达标 / 未达标 / 不适用 / 数据缺失 / 达标(数据异常)), then
`扣分_<扣分项>` (negative or 0), 通报 (是/否), 通报原因 (;-separated), 截至日期 and 入库批次.
`file_name(as_of, ext)` names the download in Chinese with its as-of date.

The XLSX carries the title, the as-of date, the load and rubric it came from, a two-row header (indicator with
its weight and target over 值/分子/分母/得分/达标), frozen header and first columns, column widths, 通报 rows
highlighted, missed values in red, numbers as numbers (values as percentages), landscape fitted to the page
width, and a second sheet with the rubric.

Neither download runs a cell as a formula (warehouse.safe_export): the CSV quotes text that starts like one, the
XLSX writes every text as a string.
"""
from __future__ import annotations

import io
from datetime import date

import polars as pl

from warehouse.safe_export import XLSX_OPTIONS, csv_bytes
from warehouse.scoring import DATA_GAP, DATA_PROBLEM, IndicatorResult, Scorecard

TITLE = "铁岭市矛盾纠纷预防化解专项行动考评排名表"
SUBCOLUMNS = ("值", "分子", "分母", "得分", "达标")
NOTICE_FILL, MISSED_FONT, PROBLEM_FILL = "#FCE4D6", "#C00000", "#FFEB9C"


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


def to_xlsx_bytes(card: Scorecard) -> bytes:
    import xlsxwriter

    table = ranking_table(card, full=False)
    rubric = card.rubric
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, XLSX_OPTIONS)
    wb.set_properties({"title": f"{TITLE}(截至{card.as_of.isoformat()})"})
    ws = wb.add_worksheet("考评排名")

    formats: dict[tuple, object] = {}

    def fmt(kind: str, notice: bool = False, missed: bool = False, problem: bool = False):
        key = (kind, notice, missed, problem)
        if key not in formats:
            spec = {"border": 1, "valign": "vcenter", "font_size": 10}
            spec |= {"pct": {"num_format": "0.00%"}, "int": {"num_format": "#,##0"}, "dec": {"num_format": "0.00"},
                     "num": {"num_format": "0.0###"}, "txt": {}, "wrap": {"text_wrap": True},
                     "center": {"align": "center"}}[kind]
            if notice:
                spec["bg_color"] = NOTICE_FILL
            if problem:
                spec["bg_color"] = PROBLEM_FILL
            if missed:
                spec["font_color"] = MISSED_FONT
            formats[key] = wb.add_format(spec)
        return formats[key]

    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center",
                          "valign": "vcenter", "font_size": 10})
    ncols = table.width
    _merge(ws, 0, 0, 0, ncols - 1, TITLE, wb.add_format({"bold": True, "font_size": 16, "align": "center"}))
    _merge(ws, 1, 0, 1, ncols - 1, provenance(card), wb.add_format({"font_size": 10}))
    _merge(ws, 2, 0, 2, ncols - 1,
                   "说明:值为百分比;得分 = 权重 × min(1, 值 ÷ 目标)(调处化解中心建设为 权重 × 值);"
                   "总分 = 各项得分之和减扣分,最低 0 分;底色标出列入通报的区县,红字为未达目标的指标。",
                   wb.add_format({"font_size": 9, "font_color": "#595959"}))
    top, sub = 3, 4                          # the two header rows
    first_data = sub + 1

    # fixed columns: 排名, 区县, 总分 (merged over both header rows)
    for j, name in enumerate(("排名", "区县", "总分")):
        _merge(ws, top, j, sub, j, name, head)
    col = 3
    for i, rule in enumerate(rubric.indicators.values(), start=1):
        label = f"{i}. {rule.name}\n权重 {rule.weight:g} · 目标 {_pct_label(rule.target)}"
        _merge(ws, top, col, top, col + len(SUBCOLUMNS) - 1, label, head)
        for k, s in enumerate(SUBCOLUMNS):
            ws.write_string(sub, col + k, s, head)
        col += len(SUBCOLUMNS)
    for d in rubric.deductions.values():
        _merge(ws, top, col, sub, col, f"扣分\n{d.name}", head)
        col += 1
    for name in ("通报", "通报原因"):
        _merge(ws, top, col, sub, col, name, head)
        col += 1
    ws.set_row(top, 42)

    # widths
    widths = {"排名": 5, "区县": 9, "总分": 8, "值": 8, "分子": 8, "分母": 8, "得分": 6, "达标": 7, "通报": 5,
              "通报原因": 70}
    for j, name in enumerate(table.columns):
        if name.startswith("扣分_"):
            width = 9
        else:
            width = widths.get(name.rsplit("_", 1)[-1], 9)
        ws.set_column(j, j, width)

    # data
    reasons_lines = [c.notice_reasons for c in card.counties]
    for i, row in enumerate(table.iter_rows(named=True)):
        r_ = first_data + i
        county = card.counties[i]
        notice = county.notice
        ws.write_number(r_, 0, row["排名"], fmt("center", notice))
        ws.write_string(r_, 1, row["区县"], fmt("txt", notice))
        ws.write_number(r_, 2, row["总分"], fmt("dec", notice))
        col = 3
        for key, rule in rubric.indicators.items():
            res = county.indicators[key]
            missed = res.met is False
            problem = res.mark == DATA_PROBLEM
            value = row[f"{rule.name}_值"]
            if value is None:
                ws.write_blank(r_, col, None, fmt("pct", notice))
            else:
                ws.write_number(r_, col, float(res.value), fmt("pct", notice, missed, problem))
            numerator = row[f"{rule.name}_分子"]
            ws.write_number(r_, col + 1, numerator, fmt("int" if isinstance(numerator, int) else "num", notice))
            ws.write_number(r_, col + 2, row[f"{rule.name}_分母"], fmt("int", notice))
            ws.write_number(r_, col + 3, row[f"{rule.name}_得分"], fmt("dec", notice, missed))
            ws.write_string(r_, col + 4, row[f"{rule.name}_达标"], fmt("center", notice, missed, problem))
            col += len(SUBCOLUMNS)
        for d in rubric.deductions.values():
            ws.write_number(r_, col, row[f"扣分_{d.name}"], fmt("dec", notice, row[f"扣分_{d.name}"] < 0))
            col += 1
        ws.write_string(r_, col, row["通报"], fmt("center", notice))
        if reasons_lines[i]:
            ws.write_string(r_, col + 1, "\n".join(reasons_lines[i]), fmt("wrap", notice))
        else:
            ws.write_blank(r_, col + 1, None, fmt("wrap", notice))
        ws.set_row(r_, max(15, 13 * len(reasons_lines[i])))

    ws.freeze_panes(first_data, 3)
    ws.set_landscape()
    ws.set_paper(9)                          # A4
    ws.fit_to_pages(1, 0)                    # one page wide, as many tall as needed
    ws.repeat_rows(top, sub)
    ws.center_horizontally()
    ws.set_margins(left=0.3, right=0.3, top=0.5, bottom=0.5)
    ws.set_footer("&C第 &P 页 共 &N 页")
    ws.print_area(0, 0, first_data + max(len(card.counties), 1) - 1, ncols - 1)

    _rubric_sheet(wb, card, head)
    wb.close()
    return buf.getvalue()


def _merge(ws, first_row: int, first_col: int, last_row: int, last_col: int, text: str, cell_format) -> None:
    """A merged cell holding `text` as a string (merge_range alone writes its data with the generic write())."""
    ws.merge_range(first_row, first_col, last_row, last_col, "", cell_format)
    ws.write_string(first_row, first_col, text, cell_format)


def _rubric_sheet(wb, card: Scorecard, head) -> None:
    rubric = card.rubric
    ws = wb.add_worksheet("考评细则")
    wrap = wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter", "font_size": 10})
    pct = wb.add_format({"border": 1, "num_format": "0.00%", "valign": "vcenter", "font_size": 10})
    num = wb.add_format({"border": 1, "num_format": "0.##", "valign": "vcenter", "font_size": 10})
    ws.write_string(0, 0, f"考评细则:{rubric.label}", wb.add_format({"bold": True, "font_size": 12}))
    ws.write_string(1, 0, f"文件:{rubric.source};专项行动期间 {rubric.campaign_start} 至 {rubric.campaign_end}")
    for j, (name, width) in enumerate((("序号", 5), ("指标", 22), ("代码", 26), ("权重", 6), ("目标", 8),
                                       ("目标来源", 9), ("参数", 60))):
        ws.write_string(2, j, name, head)
        ws.set_column(j, j, width)
    row = 3
    for i, rule in enumerate(rubric.indicators.values(), start=1):
        params = ";".join(f"{k} = {v.isoformat() if isinstance(v, date) else v}" for k, v in rule.params.items())
        ws.write_number(row, 0, i, num)
        ws.write_string(row, 1, rule.name, wrap)
        ws.write_string(row, 2, rule.key, wrap)
        ws.write_number(row, 3, rule.weight, num)
        ws.write_number(row, 4, rule.target, pct)
        ws.write_string(row, 5, "方案" if rule.plan_target else "默认", wrap)
        ws.write_string(row, 6, params, wrap)
        row += 1
    row += 1
    ws.write_string(row, 1, "扣分项", head)
    ws.write_string(row, 2, "代码", head)
    ws.write_string(row, 3, "每起/人", head)
    ws.write_string(row, 4, "上限", head)
    for d in rubric.deductions.values():
        row += 1
        ws.write_string(row, 1, d.name, wrap)
        ws.write_string(row, 2, d.key, wrap)
        ws.write_number(row, 3, -d.points if d.points else 0, num)
        if d.cap is None:
            ws.write_blank(row, 4, None, num)
        else:
            ws.write_number(row, 4, -d.cap if d.cap else 0, num)
    row += 2
    ws.write_string(row, 1, "报送事项", head)
    ws.write_string(row, 2, "截止日期", head)
    for name, due in rubric.milestones.items():
        row += 1
        ws.write_string(row, 1, name, wrap)
        ws.write_string(row, 2, due.isoformat(), wrap)
    row += 2
    ws.write_string(row, 1, f"分母为 0:录入率、慧评理注册使用率记 0 分({DATA_GAP}),其余指标记满分(不适用)。")
