"""The ranked table downloads: the CSV's exact bytes, the XLSX opened back with openpyxl cell by cell (汇总, the
indicator sheets, 考评细则, 全部指标(分析用)) and its print setup — every sheet A4 landscape with no font under 9 pt
on paper, the scale recomputed from the file's widths, heights and margins — the file names, and the CLI writing all
three formats."""
from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from test_scoring import (HONGQI, KAIYUAN, KAIYUAN_TOWN, NIEJIA, QINGHE, XIANGYANG, YANGMULINZI, ZHANGXIANG,
                          build, case, centre, person, registration, report, submission)
from warehouse.__main__ import main
from warehouse.score_export import (column_pt, file_name, met_text, print_layouts, print_scale, printable_pt,
                                    ranking_table, text_width, to_csv_bytes, to_xlsx_bytes, wrapped_lines)
from warehouse.scoring import Scorecard, score

AS_OF = date(2023, 3, 31)


def _rows() -> dict:
    """清河区 meets every plan target on 03-31 (an entry rate above 1, 不适用 values, 矛盾不上交率 missed: a default
    target); 开原市 has one township centre of 20, one released person 脱管 and nothing else; the others nothing."""
    towns = (HONGQI, XIANGYANG, ZHANGXIANG, YANGMULINZI, NIEJIA)
    return dict(
        loads=[("20240102T023000-ab12cd", datetime(2024, 1, 2, 2, 30))],
        mediation_case=[case("A", date(2023, 3, 2), outcome="调解成功", mediated=date(2023, 3, 3), level="市"),
                        case("B", date(2023, 3, 2), row=3)],
        monthly_case_report=[report(HONGQI, date(2023, 3, 1), 1)],
        app_registration=[registration(HONGQI, date(2023, 3, 31), 8470)],
        resolution_center=[centre("县中心", "县级", None, built=date(2023, 3, 1)),
                           *[centre(f"{t}中心", "乡镇级", t, opened=date(2023, 3, 30), row=3 + i)
                             for i, t in enumerate(towns)],
                           centre("威远堡中心", "乡镇级", KAIYUAN_TOWN, county=KAIYUAN, opened=date(2023, 3, 1), row=20)],
        county_submission=[submission("工作专班及落实举措", date(2023, 3, 10)),
                           submission("司法所创建计划", date(2023, 3, 20), row=3)],
        released_person=[person("L1", date(2021, 1, 1), key="否", status="脱管", county=KAIYUAN)])


@pytest.fixture(scope="module")
def card() -> Scorecard:
    return score(build(**_rows()), as_of=AS_OF)


HEADER = (
    "排名,区县,总分,"
    "人民调解案件录入率_值,人民调解案件录入率_目标,人民调解案件录入率_分子,"
    "人民调解案件录入率_分母,人民调解案件录入率_得分,人民调解案件录入率_达标,"
    "服刑人员信息核查率_值,服刑人员信息核查率_目标,服刑人员信息核查率_分子,"
    "服刑人员信息核查率_分母,服刑人员信息核查率_得分,服刑人员信息核查率_达标,"
    "核查成功率_值,核查成功率_目标,核查成功率_分子,"
    "核查成功率_分母,核查成功率_得分,核查成功率_达标,"
    "慧评理注册使用率_值,慧评理注册使用率_目标,慧评理注册使用率_分子,"
    "慧评理注册使用率_分母,慧评理注册使用率_得分,慧评理注册使用率_达标,"
    "评理说事点月度达标率_值,评理说事点月度达标率_目标,评理说事点月度达标率_分子,"
    "评理说事点月度达标率_分母,评理说事点月度达标率_得分,评理说事点月度达标率_达标,"
    "调处化解中心建设_值,调处化解中心建设_目标,调处化解中心建设_分子,"
    "调处化解中心建设_分母,调处化解中心建设_得分,调处化解中心建设_达标,"
    "星级司法所创建_值,星级司法所创建_目标,星级司法所创建_分子,"
    "星级司法所创建_分母,星级司法所创建_得分,星级司法所创建_达标,"
    "矛盾不上交率_值,矛盾不上交率_目标,矛盾不上交率_分子,"
    "矛盾不上交率_分母,矛盾不上交率_得分,矛盾不上交率_达标,"
    "调解成功率_值,调解成功率_目标,调解成功率_分子,"
    "调解成功率_分母,调解成功率_得分,调解成功率_达标,"
    "重点帮教对象必接必送率_值,重点帮教对象必接必送率_目标,重点帮教对象必接必送率_分子,"
    "重点帮教对象必接必送率_分母,重点帮教对象必接必送率_得分,重点帮教对象必接必送率_达标,"
    "报送及时率_值,报送及时率_目标,报送及时率_分子,"
    "报送及时率_分母,报送及时率_得分,报送及时率_达标,"
    "调解员培训覆盖率_值,调解员培训覆盖率_目标,调解员培训覆盖率_分子,"
    "调解员培训覆盖率_分母,调解员培训覆盖率_得分,调解员培训覆盖率_达标,"
    "扣分_个人极端案事件(因排查化解不到位引发),扣分_个人极端案事件(刑释解矫人员帮教期内),扣分_刑满释放人员脱管、漏管,"
    "通报,通报原因,截至日期,入库批次")


def test_csv_exact_bytes(card):
    two = Scorecard(card.as_of, card.load, card.rubric, [card.county(QINGHE), card.county(KAIYUAN)])
    expected = (
        "\ufeff" + HEADER + "\r\n"
        # 清河区: entry 2/1 (above 1: 15 points, marked), 不适用 ×6 at full points, 8470/84693 ≥ 10%, centres 1/1 and
        # 5/5 (numerator 1 + 5/5 = 2 of 2 halves), 矛盾不上交率 0/1 (a 市-level case), milestones 2/2 → 90
        "1,清河区,90.0,"
        "2.0,0.9,2,1,15.0,达标(数据异常),"
        ",0.9,0,0,10.0,不适用,"
        ",0.9,0,0,10.0,不适用,"
        "0.100008,0.1,8470,84693,10.0,达标,"
        ",1.0,0,0,10.0,不适用,"
        "1.0,1.0,2.0,2,10.0,达标,"
        ",1.0,0,0,5.0,不适用,"
        "0.0,0.95,0,1,0.0,未达标,"
        "1.0,0.95,1,1,5.0,达标,"
        ",1.0,0,0,5.0,不适用,"
        "1.0,1.0,2,2,5.0,达标,"
        ",1.0,0,0,5.0,不适用,"
        '0.0,0.0,0.0,否,"",2023-03-31,20240102T023000-ab12cd\r\n'
        # 开原市: no reports (数据缺失, 0), no registrations, centres 0/1 and 1/20 → (0 + 0.05) ÷ 2 = 0.025 → 0.25,
        # milestones 0/2, one person 脱管 → −1: 60 − 0.75 − 1 = 59.25
        "7,开原市,59.25,"
        ",0.9,0,0,0.0,数据缺失,"
        ",0.9,0,0,10.0,不适用,"
        ",0.9,0,0,10.0,不适用,"
        "0.0,0.1,0,460927,0.0,未达标,"
        ",1.0,0,0,10.0,不适用,"
        "0.025,1.0,0.05,2,0.25,未达标,"
        ",1.0,0,0,5.0,不适用,"
        ",0.95,0,0,10.0,不适用,"
        ",0.95,0,0,5.0,不适用,"
        ",1.0,0,0,5.0,不适用,"
        "0.0,1.0,0,2,0.0,未达标,"
        ",1.0,0,0,5.0,不适用,"
        "0.0,0.0,-1.0,是,"
        '"慧评理注册使用率 0%(0/460927)低于目标 10%;调处化解中心建设 2.5%(县级中心 0/1,乡镇中心 1/20)低于目标 100%;'
        '报送及时率 0%(0/2)低于目标 100%;刑满释放人员脱管、漏管 1 人,扣 1 分",2023-03-31,20240102T023000-ab12cd\r\n')
    assert to_csv_bytes(two) == expected.encode("utf-8")
    assert to_csv_bytes(two).startswith(b"\xef\xbb\xbf\xe6\x8e\x92\xe5\x90\x8d,")   # BOM, then 排名


def test_ranking_table_rows_are_in_rank_order(card):
    table = ranking_table(card)
    assert table.select("排名", "区县", "总分", "通报").rows() == [
        (1, "清河区", 90.0, "否"), (2, "银州区", 60.0, "是"), (2, "铁岭县", 60.0, "是"), (2, "西丰县", 60.0, "是"),
        (2, "昌图县", 60.0, "是"), (2, "调兵山市", 60.0, "是"), (7, "开原市", 59.25, "是")]
    assert table.width == 3 + 12 * 6 + 3 + 4
    assert ranking_table(card, full=False).width == 3 + 12 * 5 + 3 + 2


def test_file_names_carry_the_as_of_date():
    assert file_name(date(2023, 12, 31), "xlsx") == "铁岭市矛盾纠纷预防化解专项行动考评排名表_截至2023-12-31.xlsx"
    assert file_name(date(2023, 6, 30), ".csv") == "铁岭市矛盾纠纷预防化解专项行动考评排名表_截至2023-06-30.csv"


# --- the XLSX ------------------------------------------------------------------------------------------------

SHEETS = ["汇总", "指标1-3", "指标4-6", "指标7-9", "指标10-12", "考评细则", "全部指标(分析用)"]
PROVENANCE = ("截至日期:2023-03-31    数据来源:入库批次 20240102T023000-ab12cd"
              "(入库完成于 2024-01-02 10:30:00 北京时间)    考评细则:")
# eleven 通报 reasons as the demo warehouse gives them at the campaign's end (the longest ones included); a county
# with n reasons gets the first n
YEAR_END_REASONS = [
    "人民调解案件录入率 79.37%(1293/1629)低于目标 90%", "服刑人员信息核查率 72.58%(45/62)低于目标 90%",
    "核查成功率 77.78%(35/45)低于目标 90%", "慧评理注册使用率 9.997%(71164/711818)低于目标 10%",
    "评理说事点月度达标率 24.74%(1080/4366)低于目标 100%",
    "调处化解中心建设 93.94%(县级中心 1/1,乡镇中心 29/33)低于目标 100%",
    "星级司法所创建 55.56%(10/18)低于目标 100%", "重点帮教对象必接必送率 66.67%(2/3)低于目标 100%",
    "报送及时率 84.52%(142/168)低于目标 100%", "个人极端案事件(因排查化解不到位引发) 1 起,扣 10 分",
    "刑满释放人员脱管、漏管 6 人,扣 5 分(已达上限)"]
LONG_REASON = ("调处化解中心建设 2.5%(县级中心 0/1,乡镇中心 1/20)低于目标 100%。该县乡镇调处化解中心多数仅完成挂牌,"
               "专职调解员未按要求配齐,部分中心与司法所合署办公但未单独设置调解室。请于下月底前完成整改,"
               "并将整改情况书面报送市司法局基层工作科。")


def _workbook(card) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(card)))


def _with_reasons(card, reasons_of) -> Scorecard:
    """The card with each county's 通报 reasons replaced by reasons_of(i, county)."""
    counties = [replace(c, notice_reasons=reasons_of(i, c)) for i, c in enumerate(card.counties)]
    return Scorecard(card.as_of, card.load, card.rubric, counties)


def _year_end(card) -> Scorecard:
    return _with_reasons(card, lambda i, c: YEAR_END_REASONS[:(2, 4, 2, 6, 5, 9, 11)[i]])


def _long(card) -> Scorecard:
    return _with_reasons(card, lambda i, c: [LONG_REASON] * 6)


def _cells(ws, row: int, first: int, last: int) -> list:
    return [ws.cell(row, j) for j in range(first, last + 1)]


def _summary_rows(ws) -> list[tuple]:
    """(排名, 区县, 总分, 扣分合计, 通报, reasons) of every county row of 汇总, the reasons of its two cells in order."""
    out = []
    for r in range(5, ws.max_row + 1):
        rank, county, total, deducted, notice, left, right = (ws.cell(r, j).value for j in range(1, 8))
        reasons = [*(left.split("\n") if left else []), *(right.split("\n") if right else [])]
        out.append((rank, county, total, deducted, notice, reasons))
    return out


def _expected_summary(card) -> list[tuple]:
    return [(c.rank, c.county, float(c.total), -float(sum(c.deductions.values())), "是" if c.notice else "否",
             list(c.notice_reasons)) for c in card.counties]


def test_xlsx_summary_sheet_is_the_scorecard(card):
    wb = _workbook(card)
    assert wb.sheetnames == SHEETS
    assert wb.active.title == "汇总"
    ws = wb["汇总"]
    assert ws["A1"].value == "铁岭市矛盾纠纷预防化解专项行动考评排名表" and ws["A1"].font.b
    assert ws["A2"].value == PROVENANCE + card.rubric.label
    note = ws["A3"].value
    assert note.startswith("说明:总分 = 各项指标得分之和减扣分,最低 0 分")
    assert all(d.name in note for d in card.rubric.deductions.values())   # every deduction item named
    assert {"A1:G1", "A2:G2", "A3:G3", "F4:G4"} <= {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[4]] == ["排名", "区县", "总分", "扣分\n合计", "通报", "通报原因", None]
    assert ws.max_column == 7 and ws.max_row == 4 + len(card.counties)
    assert ws.freeze_panes == "A5" and ws.print_title_rows == "$4:$4"

    # every county in rank order: rank, county, total, deductions, 通报 and its reasons, each on its own line
    assert _summary_rows(ws) == _expected_summary(card)
    assert [r[:5] for r in _summary_rows(ws)] == [
        (1, "清河区", 90, 0, "否"), (2, "银州区", 60, 0, "是"), (2, "铁岭县", 60, 0, "是"), (2, "西丰县", 60, 0, "是"),
        (2, "昌图县", 60, 0, "是"), (2, "调兵山市", 60, 0, "是"), (7, "开原市", 59.25, -1, "是")]
    # 开原市: three reasons fit three lines best as two beside two
    assert ws["F11"].value == ("慧评理注册使用率 0%(0/460927)低于目标 10%\n"
                               "调处化解中心建设 2.5%(县级中心 0/1,乡镇中心 1/20)低于目标 100%")
    assert ws["G11"].value == "报送及时率 0%(0/2)低于目标 100%\n刑满释放人员脱管、漏管 1 人,扣 1 分"
    assert ws["F11"].alignment.wrap_text and ws["G11"].alignment.wrap_text
    # every deduction taken is a reason with its name
    for r, c in enumerate(card.counties, start=5):
        for key, amount in c.deductions.items():
            if amount:
                assert any(line.startswith(card.rubric.deductions[key].name)
                           for cell in ("F", "G") for line in (ws[f"{cell}{r}"].value or "").split("\n"))

    # formats: numbers as numbers, the 通报 rows filled, a deduction in red; 清河区 (not named) unfilled
    row = _cells(ws, 11, 1, 7)
    assert [c.number_format for c in row[:4]] == ["General", "General", "0.00", "0.00"]
    assert all(isinstance(c.value, (int, float)) for c in row[:4] if c.column != 2)
    assert {c.fill.fgColor.rgb for c in row} == {"FFFCE4D6"}
    assert row[3].font.color.rgb == "FFC00000"
    assert all(c.fill.fill_type is None for c in _cells(ws, 5, 1, 7))
    assert ws["G5"].value is None and ws["E5"].value == "否"


def test_xlsx_summary_of_realistic_and_long_reasons(card):
    for variant in (_year_end(card), _long(card)):
        ws = _workbook(variant)["汇总"]
        assert _summary_rows(ws) == _expected_summary(variant)
        for r, c in enumerate(variant.counties, start=5):
            # each row at least as tall as the lines its taller reason cell holds before any wrapping
            lines = max(len((ws.cell(r, j).value or "").split("\n")) for j in (6, 7))
            assert ws.row_dimensions[r].height >= 13 * lines


def _indicator_cells(ws, row: int, col: int) -> list:
    return [ws.cell(row, j).value for j in range(col, col + 5)]


def test_xlsx_indicator_sheets(card):
    wb = _workbook(card)
    sheets = [wb[name] for name in SHEETS[1:5]]
    found: dict[str, list[str]] = {}
    for ws in sheets:
        assert ws["A1"].value.startswith("铁岭市矛盾纠纷预防化解专项行动考评排名表(指标 ")
        assert ws["A2"].value == PROVENANCE + card.rubric.label
        assert ws.max_column == 2 + 3 * 5 and ws.max_row == 5 + len(card.counties)
        assert ws.freeze_panes == "C6" and ws.print_title_rows == "$4:$5"
        assert {"A1:Q1", "A4:A5", "B4:B5", "C4:G4", "H4:L4", "M4:Q4"} <= {str(r) for r in ws.merged_cells.ranges}
        assert [ws.cell(4, j).value for j in (1, 2)] == ["排名", "区县"]
        assert [ws.cell(5, j).value for j in range(3, 18)] == ["值", "分子", "分母", "得分", "达标"] * 3
        assert [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(6, 6 + len(card.counties))] == [
            (c.rank, c.county) for c in card.counties]
        for col in (3, 8, 13):
            found.setdefault(ws.cell(4, col).value.split("\n")[0].split(". ", 1)[1], []).append(ws.title)
    # every indicator on exactly one sheet, in rubric order, three a sheet
    names = [rule.name for rule in card.rubric.indicators.values()]
    assert list(found) == names and all(len(where) == 1 for where in found.values())
    assert [found[n][0] for n in names] == [s.title for s in sheets for _ in range(3)]
    assert sheets[0]["C4"].value == "1. 人民调解案件录入率\n权重 15 · 目标 90%"
    assert sheets[1]["C4"].value == "4. 慧评理注册使用率\n权重 10 · 目标 10%"
    assert sheets[1]["M4"].value == "6. 调处化解中心建设\n权重 10 · 目标 100%"

    # every indicator's five values of every county equal the card's
    for i, (key, rule) in enumerate(card.rubric.indicators.items()):
        ws, col = sheets[i // 3], 3 + 5 * (i % 3)
        for r, c in enumerate(card.counties, start=6):
            res = c.indicators[key]
            assert _indicator_cells(ws, r, col) == [
                None if res.value is None else pytest.approx(float(res.value)), pytest.approx(float(res.numerator)),
                res.denominator, pytest.approx(float(res.points)), met_text(res)], (rule.name, c.county)
            red = [ws.cell(r, j).font.color is not None and ws.cell(r, j).font.color.rgb == "FFC00000"
                   for j in (col, col + 3, col + 4)]
            assert red == [res.met is False and res.value is not None, res.met is False, res.met is False]

    # 清河区, rank 1, not in the notice: no fill; numbers as numbers
    ws = sheets[0]
    row = _cells(ws, 6, 1, 17)
    assert [c.value for c in row[:7]] == [1, "清河区", 2, 2, 1, 15, "达标(数据异常)"]
    assert row[2].number_format == "0.00%" and row[2].fill.fgColor.rgb == "FFFFEB9C"   # above 1: marked amber
    assert [c.number_format for c in row[2:6]] == ["0.00%", "#,##0", "#,##0", "0.00"]
    assert row[7].value is None and row[11].value == "不适用"                          # 不适用: an empty value
    assert all(c.fill.fill_type is None for c in row if c.value is not None and c.column not in (3, 7))
    assert all(isinstance(c.value, (int, float)) for c in row[2:6])
    assert row[6].alignment.wrap_text                                                  # 达标(数据异常) wraps
    assert (sheets[1]["C6"].value, sheets[1]["D6"].value, sheets[1]["E6"].value) == (
        pytest.approx(8470 / 84693), 8470, 84693)
    assert [c.value for c in _cells(sheets[1], 6, 13, 17)] == [1, 2, 2, 10, "达标"]    # 调处化解中心建设
    missed = _cells(sheets[2], 6, 8, 12)                                               # 矛盾不上交率 (default target)
    assert [c.value for c in missed] == [0, 0, 1, 0, "未达标"] and missed[0].font.color.rgb == "FFC00000"

    # 开原市, rank 7, in the notice: the whole row highlighted
    assert [c.value for c in _cells(sheets[0], 12, 1, 7)] == [7, "开原市", None, 0, 0, 0, "数据缺失"]
    row = _cells(sheets[1], 12, 1, 17)
    assert [c.value for c in row[12:17]] == [0.025, 0.05, 2, 0.25, "未达标"]
    assert row[13].number_format == "0.0###"
    assert all({c.fill.fgColor.rgb for c in _cells(ws, 12, 1, 17)} == {"FFFCE4D6"} for ws in sheets)


def test_xlsx_rubric_sheet(card):
    rs = _workbook(card)["考评细则"]
    assert rs["A1"].value == f"考评细则:{card.rubric.label}"
    assert rs["A2"].value == "文件:默认(warehouse/rubric.toml);专项行动期间 2023-03-01 至 2023-12-31"
    assert [c.value for c in rs[4]][:6] == [1, "人民调解案件录入率", "entry_rate", 15, 0.9, "方案"]
    assert [c.value for c in rs[11]][:6] == [8, "矛盾不上交率", "local_resolution_rate", 10, 0.95, "默认"]


def test_xlsx_analyst_sheet_keeps_every_column(card):
    """The former single sheet, last, for analysts: every indicator's five columns, each deduction, 通报原因."""
    ws = _workbook(card)["全部指标(分析用)"]
    assert ws["A1"].value == "铁岭市矛盾纠纷预防化解专项行动考评排名表" and ws["A2"].value == PROVENANCE + card.rubric.label
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A4:A5", "B4:B5", "C4:C5", "D4:H4", "AC4:AG4", "BO4:BO5", "BP4:BP5"} <= merged
    # the two header rows
    assert [ws.cell(4, j).value for j in (1, 2, 3, 4, 9)] == [
        "排名", "区县", "总分", "1. 人民调解案件录入率\n权重 15 · 目标 90%", "2. 服刑人员信息核查率\n权重 10 · 目标 90%"]
    assert ws["AC4"].value == "6. 调处化解中心建设\n权重 10 · 目标 100%"
    assert ws["S4"].value == "4. 慧评理注册使用率\n权重 10 · 目标 10%"
    assert [ws.cell(5, j).value for j in range(4, 9)] == ["值", "分子", "分母", "得分", "达标"]
    assert [ws.cell(4, j).value for j in range(66, 69)] == ["扣分\n刑满释放人员脱管、漏管", "通报", "通报原因"]
    assert ws.max_column == 68 and ws.max_row == 12
    # frozen header (and rank, county, total), repeated on every printed page
    assert ws.freeze_panes == "D6"
    assert ws.print_title_rows == "$4:$5" and ws.print_title_cols == "$A:$C"
    # column widths
    assert ws.column_dimensions["A"].width == pytest.approx(5.71, abs=0.01)
    assert ws.column_dimensions["B"].width == pytest.approx(9.71, abs=0.01)
    assert ws.column_dimensions["BP"].width == pytest.approx(70.71, abs=0.01)

    # 清河区, rank 1, not in the notice: no fill; numbers as numbers
    row = [ws.cell(6, j) for j in range(1, 69)]
    assert [c.value for c in row[:8]] == [1, "清河区", 90, 2, 2, 1, 15, "达标(数据异常)"]
    assert row[3].number_format == "0.00%" and row[3].fill.fgColor.rgb == "FFFFEB9C"   # above 1: marked amber
    assert [c.number_format for c in row[2:7]] == ["0.00", "0.00%", "#,##0", "#,##0", "0.00"]
    assert row[8].value is None and row[12].value == "不适用"                          # 不适用: an empty value
    assert (row[18].value, row[19].value, row[20].value) == (pytest.approx(8470 / 84693), 8470, 84693)
    assert [c.value for c in row[28:33]] == [1, 2, 2, 10, "达标"]                     # 调处化解中心建设
    assert [c.value for c in row[38:43]] == [0, 0, 1, 0, "未达标"]                    # 矛盾不上交率 (default target)
    assert row[38].font.color.rgb == "FFC00000"                                       # missed: red
    assert [c.value for c in row[63:68]] == [0, 0, 0, "否", None]
    assert all(c.fill.fill_type is None for c in row if c.value is not None and c.column not in (4, 8))
    assert all(isinstance(c.value, (int, float)) for c in row[2:7])

    # 开原市, rank 7, in the notice: the whole row highlighted, reasons one per line
    row = [ws.cell(12, j) for j in range(1, 69)]
    assert [c.value for c in row[:8]] == [7, "开原市", 59.25, None, 0, 0, 0, "数据缺失"]
    assert [c.value for c in row[28:33]] == [0.025, 0.05, 2, 0.25, "未达标"]
    assert row[29].number_format == "0.0###"
    assert [c.value for c in row[63:67]] == [0, 0, -1, "是"]
    assert row[67].value == ("慧评理注册使用率 0%(0/460927)低于目标 10%\n"
                             "调处化解中心建设 2.5%(县级中心 0/1,乡镇中心 1/20)低于目标 100%\n"
                             "报送及时率 0%(0/2)低于目标 100%\n刑满释放人员脱管、漏管 1 人,扣 1 分")
    assert row[67].alignment.wrap_text
    assert {c.fill.fgColor.rgb for c in row} == {"FFFCE4D6"}
    # the five counties tied at 60 share rank 2
    assert [ws.cell(r, 1).value for r in range(6, 13)] == [1, 2, 2, 2, 2, 2, 7]


# --- printing: A4 landscape, nothing under 9 pt on paper -------------------------------------------------------

A4_LANDSCAPE = (297 / 25.4 * 72, 210 / 25.4 * 72)     # points


def _print_geometry(ws) -> tuple[list[float], list[float]]:
    """The print area's column widths in points (xlsxwriter stores a width as its pixels ÷ 7) and row heights."""
    first_col, first_row, last_col, last_row = range_boundaries(ws.print_area.split("!")[1].replace("$", ""))
    widths = {}
    for dim in ws.column_dimensions.values():
        for j in range(dim.min, dim.max + 1):
            widths[j] = dim.width
    columns = [round(widths[j] * 7) * 0.75 for j in range(first_col, last_col + 1)]
    rows = [ws.row_dimensions[r].height or 15 for r in range(first_row, last_row + 1)]
    return columns, rows


def _scale(ws, pages_tall: int | None) -> float:
    """The scale Excel prints the sheet at, computed from the file alone: fitted one page wide (and one tall when
    pages_tall is 1) inside the sheet's margins, never enlarged; an unfitted sheet at its print scale."""
    if pages_tall is None:
        return (ws.page_setup.scale or 100) / 100
    m = ws.page_margins
    columns, rows = _print_geometry(ws)
    scale = min(1, (A4_LANDSCAPE[0] - 72 * (m.left + m.right)) / sum(columns))
    if pages_tall == 1:
        scale = min(scale, (A4_LANDSCAPE[1] - 72 * (m.top + m.bottom)) / sum(rows))
    return scale


def _pages_tall(ws) -> int | None:
    """fit_to_pages(1, n)'s n as the file says it (a missing fitToHeight is 1), None when not fitted."""
    if not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage):
        return None
    assert ws.page_setup.fitToWidth in (None, 1)
    return 1 if ws.page_setup.fitToHeight is None else ws.page_setup.fitToHeight


def _smallest_font(ws) -> float:
    return min(cell.font.sz for row in ws.iter_rows() for cell in row)


@pytest.mark.parametrize("variant", ["test", "year_end", "long"])
def test_xlsx_every_sheet_prints_legibly(card, variant):
    card = {"test": card, "year_end": _year_end(card), "long": _long(card)}[variant]
    wb = _workbook(card)
    layouts = print_layouts(card)
    assert [layout.sheet for layout in layouts] == wb.sheetnames == SHEETS
    for ws, layout in zip(wb.worksheets, layouts):
        # A4 landscape, small margins, page numbers in the footer
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape", ws.title
        m = ws.page_margins
        assert 0.25 <= min(m.left, m.right, m.top, m.bottom) <= max(m.left, m.right, m.top, m.bottom) <= 0.75
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        # the fit the module designed, written into the file
        assert _pages_tall(ws) == layout.pages_tall, ws.title
        columns, rows = _print_geometry(ws)
        assert columns == [pytest.approx(print_column) for print_column in map(column_pt, layout.widths)]
        assert rows == list(layout.heights), ws.title
        # the scale computed from the file alone is the module's; no font on paper under 9 pt
        assert _smallest_font(ws) >= 9 and _smallest_font(ws) == layout.font_pt, ws.title
        assert _scale(ws, layout.pages_tall) == pytest.approx(layout.scale, abs=0.01), ws.title
        assert layout.printed_pt >= 9 and _smallest_font(ws) * _scale(ws, layout.pages_tall) >= 8.99, ws.title
        assert layout.scale >= 0.9

    summary, indicators, rubric, analyst = wb.worksheets[0], wb.worksheets[1:5], wb.worksheets[5], wb.worksheets[6]
    # the indicator sheets and the rubric: one page wide at 100 %, as many tall as needed, their header repeated
    for ws in (*indicators, rubric):
        assert _pages_tall(ws) == 0 and _scale(ws, 0) == 1, ws.title
    assert all(ws.print_title_rows == "$4:$5" for ws in indicators)
    # the analyst sheet: not shrunk to one page but printed at 100 % with 排名/区县/总分 and its header on each page
    assert _pages_tall(analyst) is None and _scale(analyst, None) == 1
    assert analyst.print_title_rows == "$4:$5" and analyst.print_title_cols == "$A:$C"
    # the summary: one page — at 100 % for the test's and a realistic year's reasons; reasons too long for one page
    # at 9 pt go on more pages at 100 %, never smaller
    assert summary.print_title_rows == "$4:$4"
    one_page = _scale(summary, 1)
    if variant == "long":
        assert one_page < 0.9 and _pages_tall(summary) == 0 and _scale(summary, 0) == 1
    else:
        assert _pages_tall(summary) == 1 and one_page == 1


def test_text_width_and_wrapping():
    assert text_width("调兵山市") == pytest.approx(4 * 2.1 * 10 / 11)
    assert text_width("2023", size=11) == pytest.approx(4 * 1.05)
    assert text_width("短\n更长一些") == text_width("更长一些")
    assert wrapped_lines(None, 10) == wrapped_lines("", 10) == 0
    assert wrapped_lines("达标", 9) == 1 and wrapped_lines("达标(数据异常)", 9) == 2
    assert wrapped_lines("一\n二\n三", 9) == 3
    # 40 CJK characters at 10 pt, 1.91 units each, in a column with 20 units of room: 10 a line
    assert wrapped_lines("字" * 40, 21) == 4
    # words break at spaces, never inside: 12345 (4.8 units) twice does not fit 10 units of room beside a space
    assert wrapped_lines("12345 12345 12345", 11) == 3
    assert print_scale([100], [100], 1) == 1
    page_w, page_h = printable_pt()
    assert 0.49 <= print_scale([(page_w / 0.75 * 2 - 5) / 7], [10], 0) <= 0.5      # whole percents, rounded down
    assert print_scale([10], [page_h * 1.25], 1) == 0.8 and print_scale([10], [page_h * 1.25], 0) == 1
    assert print_scale([1000], [1000], None) == 1


def test_cli_writes_json_csv_and_xlsx(tmp_path, monkeypatch, capsys):
    path = tmp_path / "warehouse.duckdb"
    build(path, **_rows()).close()
    assert main(["score", "--warehouse", str(path), "--as-of", "2023-03-31"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["as_of"] == "2023-03-31"
    assert data["load"] == {"run_id": "20240102T023000-ab12cd", "finished_at": "2024-01-02T10:30:00+08:00"}
    assert [(c["rank"], c["county"], c["total"], c["notice"]) for c in data["counties"]][:2] == [
        (1, "清河区", 90, False), (2, "银州区", 60, True)]
    assert data["counties"][0]["indicators"]["entry_rate"] | {} == {
        "name": "人民调解案件录入率", "value": 2.0, "numerator": 2, "denominator": 1, "target": 0.9, "weight": 15,
        "points": 15, "met": True, "mark": "数据异常", "plan_target": True}
    assert "考评截至 2023-03-31" in err

    # CSV into a directory: the Chinese file name with the as-of date
    assert main(["score", "--warehouse", str(path), "--as-of", "2023-03-31", "--format", "csv",
                 "--output", str(tmp_path)]) == 0
    csv = tmp_path / "铁岭市矛盾纠纷预防化解专项行动考评排名表_截至2023-03-31.csv"
    assert csv.read_bytes() == to_csv_bytes(score(path, as_of=AS_OF))
    # XLSX without --output: that name in the current directory
    monkeypatch.chdir(tmp_path)
    assert main(["score", "--warehouse", str(path), "--as-of", "2023-03-31", "--format", "xlsx"]) == 0
    xlsx = tmp_path / "铁岭市矛盾纠纷预防化解专项行动考评排名表_截至2023-03-31.xlsx"
    assert openpyxl.load_workbook(xlsx)["汇总"]["B5"].value == "清河区"
    # a bad as-of date or a missing warehouse: status 2 and a message
    assert main(["score", "--warehouse", str(path), "--as-of", "2024-02-01"]) == 2
    assert main(["score", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "数据仓库文件不存在" in capsys.readouterr().err
    # not a warehouse: status 1
    (tmp_path / "junk.duckdb").write_text("not a database")
    assert main(["score", "--warehouse", str(tmp_path / "junk.duckdb")]) == 1
    assert "无法从数据仓库" in capsys.readouterr().err
