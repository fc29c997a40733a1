"""The ranked table downloads: the CSV's exact bytes, the XLSX opened back with openpyxl cell by cell, the file
names, and the CLI writing all three formats."""
from __future__ import annotations

import io
import json
from datetime import date, datetime

import openpyxl
import pytest

from test_scoring import (HONGQI, KAIYUAN, KAIYUAN_TOWN, NIEJIA, QINGHE, XIANGYANG, YANGMULINZI, ZHANGXIANG,
                          build, case, centre, person, registration, report, submission)
from warehouse.__main__ import main
from warehouse.score_export import file_name, ranking_table, to_csv_bytes, to_xlsx_bytes
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


def test_xlsx_cell_by_cell(card):
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(card)))
    assert wb.sheetnames == ["考评排名", "考评细则"]
    ws = wb["考评排名"]
    # title, as-of date and the load it came from
    assert ws["A1"].value == "铁岭市矛盾纠纷预防化解专项行动考评排名表" and ws["A1"].font.b
    assert ws["A2"].value == ("截至日期:2023-03-31    数据来源:入库批次 20240102T023000-ab12cd"
                              f"(入库完成于 2024-01-02 10:30:00 北京时间)    考评细则:{card.rubric.label}")
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:BP1", "A2:BP2", "A4:A5", "B4:B5", "C4:C5", "D4:H4", "AC4:AG4", "BO4:BO5", "BP4:BP5"} <= merged
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
    assert ws.print_title_rows == "$4:$5"
    # landscape A4, fitted to one page wide
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
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

    # the rubric sheet
    rs = wb["考评细则"]
    assert rs["A1"].value == f"考评细则:{card.rubric.label}"
    assert rs["A2"].value == "文件:默认(warehouse/rubric.toml);专项行动期间 2023-03-01 至 2023-12-31"
    assert [c.value for c in rs[4]][:6] == [1, "人民调解案件录入率", "entry_rate", 15, 0.9, "方案"]
    assert [c.value for c in rs[11]][:6] == [8, "矛盾不上交率", "local_resolution_rate", 10, 0.95, "默认"]


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
    assert openpyxl.load_workbook(xlsx)["考评排名"]["B6"].value == "清河区"
    # a bad as-of date or a missing warehouse: status 2 and a message
    assert main(["score", "--warehouse", str(path), "--as-of", "2024-02-01"]) == 2
    assert main(["score", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "数据仓库文件不存在" in capsys.readouterr().err
    # not a warehouse: status 1
    (tmp_path / "junk.duckdb").write_text("not a database")
    assert main(["score", "--warehouse", str(tmp_path / "junk.duckdb")]) == 1
    assert "无法从数据仓库" in capsys.readouterr().err
