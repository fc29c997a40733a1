"""The bad-file corpus: careless and hostile exports beside good ones, each with the fate the ETL owes it.

`write_corpus(inbox)` writes every file and returns what must become of it — refused or skipped with a reason
naming the problem, or loaded with exactly its bad rows quarantined under their rule — so the fault tests
(tests/test_faults.py) and the chaos benchmark (benchmarks/chaos.py) judge the same night. Files stay small on
disk: the "bomb" is a sheet that only decompresses past the limit, which a run is given as `BOMB_LIMIT_MB`.
"""
from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from etl.contract import MEDIATION_CASE

BOMB_LIMIT_MB = 8                 # the run's --max-file-mb for the corpus: the bomb's sheet decompresses past it

HEADER = [c.name for c in MEDIATION_CASE.columns]
VALID = {  # one valid case, written as a county exports it (every required column, plausible 2023 dates)
    "案件编号": "", "所属区县": "昌图县", "所属乡镇(街道)": "昌图镇", "所属村(社区)": "", "调解组织名称": "昌图镇人民调解委员会",
    "调解组织类型": "乡镇(街道)调委会", "调解员编号": "M1", "调解员姓名": "王小明", "纠纷类型": "邻里纠纷",
    "纠纷来源": "排查发现", "当事人姓名": "张三", "当事人身份证号": "", "涉及人数": "2", "涉及金额(元)": "",
    "受理日期": "2023-03-05", "调解日期": "2023-03-08", "调解结果": "调解成功", "协议形式": "书面协议",
    "履行情况": "已履行", "化解层级": "乡镇(街道)", "是否信访案件": "否", "是否移交公安": "否",
    "录入时间": "2023-03-09 10:00:00",
}


@dataclass(frozen=True)
class Expected:
    file: str
    what: str                      # the problem, in words, for the benchmark's table
    status: str                    # loaded | refused | skipped
    reason: str = ""               # refused/skipped: a phrase the reason must contain
    quarantined: tuple[tuple[str, str], ...] = ()   # loaded: (column, rule) of every quarantined issue
    rows_loaded: int = 0           # loaded: valid rows that must land


def case_rows(prefix: str, n: int, **changes: str) -> list[list[str]]:
    return [[{**VALID, "案件编号": f"{prefix}{i:03d}", **changes}[h] for h in HEADER] for i in range(n)]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    return buf.getvalue()


def _xlsx_bomb(rows: int) -> bytes:
    """A workbook whose sheet XML repeats one row until it decompresses past the limit: small on disk."""
    row = "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in VALID.values()) + "</row>"
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + row * rows + "</sheetData></worksheet>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def write_corpus(inbox: Path) -> list[Expected]:
    """Write the corpus into `inbox` (created if needed); what must become of every file."""
    inbox.mkdir(parents=True, exist_ok=True)
    out: list[Expected] = []

    def put(name: str, data: bytes | str, expected: Expected) -> None:
        (inbox / name).write_bytes(data.encode("utf-8-sig") if isinstance(data, str) else data)
        out.append(expected)

    # a good file, the night's yardstick
    put("人民调解案件_正常.csv", csv_text(case_rows("OK", 5)), Expected("人民调解案件_正常.csv", "正常文件", "loaded", rows_loaded=5))
    # UTF-16 with a BOM (Excel's "Unicode" export): read, not called binary
    (inbox / "人民调解案件_utf16.csv").write_bytes("\ufeff".encode("utf-16-le") +
                                                 csv_text(case_rows("U16", 3)).encode("utf-16-le"))
    out.append(Expected("人民调解案件_utf16.csv", "UTF-16 编码", "loaded", rows_loaded=3))
    put("人民调解案件_乱码.csv", b"\xe6\xa1\x88\xff\x80\xff\xfe\xfd\r\n",
        Expected("人民调解案件_乱码.csv", "无法识别的编码", "refused", "无法识别文件编码"))
    put("人民调解案件_二进制.csv", b"\x00\x01\x02binary\x00",
        Expected("人民调解案件_二进制.csv", "二进制内容", "refused", "二进制"))
    put("人民调解案件_网页.xlsx", "<html><body>系统错误</body></html>",
        Expected("人民调解案件_网页.xlsx", "扩展名是 xlsx 的网页", "refused", "不是Excel文件"))
    put("人民调解案件_炸弹.xlsx", _xlsx_bomb(40_000),
        Expected("人民调解案件_炸弹.xlsx", "解压后超限的表格(炸弹)", "refused", "超过上限"))
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + "<row/>" * 2000 + "</worksheet>")
    put("人民调解案件_截断.xlsx", good.getvalue()[: len(good.getvalue()) // 2],
        Expected("人民调解案件_截断.xlsx", "截断的表格", "refused", "Excel"))
    put("人民调解案件_空.csv", b"", Expected("人民调解案件_空.csv", "空文件", "refused", "空"))
    put("人民调解案件_重复列.csv", csv_text(case_rows("DUP", 2), HEADER[:-1] + ["所属区县 "]),
        Expected("人民调解案件_重复列.csv", "同名列", "refused", "出现了两次"))
    put("数据导出(1).csv", "编号,名称,数量\r\n1,某某,3\r\n",
        Expected("数据导出(1).csv", "无法识别的数据集", "refused", "表头"))
    put("人民调解案件_错表.csv", csv_text(case_rows("BAD", 30, 调解结果="未知", 化解层级="不知道")),
        Expected("人民调解案件_错表.csv", "多数行不合规", "refused", "多数行不合规"))
    # files with a few bad rows: those rows quarantined under their rule, the rest loaded
    put("人民调解案件_超长.csv", csv_text(case_rows("LONG", 3) + case_rows("LONGX", 1, 调解组织名称="调" * 200_000)),
        Expected("人民调解案件_超长.csv", "超长单元格(20 万字)", "loaded", quarantined=(("调解组织名称", "too_long"),),
                 rows_loaded=3))
    put("人民调解案件_日期.csv", csv_text(case_rows("DATE", 3) + case_rows("Y2099", 1, 录入时间="2099-01-01 10:00:00")
                                     + case_rows("Y1900", 1, 调解日期="1900-01-01")),
        Expected("人民调解案件_日期.csv", "1900 年、2099 年的日期", "loaded",
                 quarantined=(("录入时间", "implausible_date"), ("调解日期", "implausible_date")), rows_loaded=3))
    put("人民调解案件_巨额.csv", csv_text(case_rows("NUM", 3) + case_rows("BIGA", 1, **{"涉及金额(元)": "1000000000000"})
                                     + case_rows("BIGN", 1, 涉及人数=str(2 ** 31))),
        Expected("人民调解案件_巨额.csv", "超出范围的金额与人数", "loaded",
                 quarantined=(("涉及金额(元)", "out_of_range"), ("涉及人数", "out_of_range")), rows_loaded=3))
    # files that are not exports at all
    put(".隐藏文件.csv", csv_text(case_rows("HID", 1)), Expected(".隐藏文件.csv", "隐藏文件", "skipped", "隐藏"))
    put("~$人民调解案件.xlsx", b"\x00", Expected("~$人民调解案件.xlsx", "Office 临时文件", "skipped", "临时文件"))
    outside = inbox.parent / f"{inbox.name}_链接目标.csv"
    outside.write_bytes(csv_text(case_rows("LNK", 1)).encode("utf-8-sig"))
    link = inbox / "人民调解案件_链接.csv"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(outside, link)
    out.append(Expected("人民调解案件_链接.csv", "符号链接", "refused", "链接"))
    return out
