"""--messy: every tolerated variation of the contract at least once, planted bad rows and bad files, and identity and
mobile numbers planted where clerks write them (free text, names, shifted columns).

Each planted bad row breaks exactly one rule; the manifest says where (file, row as a person
sees it in Excel, column, rule) so a test can check the ETL reports exactly that and no more.
The manifest's personal_data lists every planted number (digits, masked form, file, row, column):
a test checks that none is stored in clear and each arrived masked.
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

from etl.read import FULLWIDTH
from etl.simulate.world import with_check
from etl.simulate.writers import Export, data_row_number

TO_FULLWIDTH = {v: k for k, v in FULLWIDTH.items() if v.isdigit()}
EXCEL_EPOCH = date(1899, 12, 30)


def _find(exports: list[Export], name_start: str) -> Export:
    return next(e for e in exports if e.name.startswith(name_start))


def _swap(exports: list[Export], old: Export, new: Export) -> None:
    exports[exports.index(old)] = new


def _map_values(export: Export, columns: tuple[str, ...], fn) -> None:
    for row in export.rows:
        for c in columns:
            if row.get(c) is not None:
                row[c] = fn(row[c])


def _serial(value):
    if isinstance(value, datetime):
        delta = value - datetime.combine(EXCEL_EPOCH, datetime.min.time())
        return round(delta.total_seconds() / 86400, 6)
    return float((value - EXCEL_EPOCH).days)


def _fancy_number(value):
    if isinstance(value, float):
        return f"{value:,.2f}元"
    return "".join(TO_FULLWIDTH.get(ch, ch) for ch in str(value))


def variations(exports: list[Export], rng: random.Random) -> dict[int, list[str]]:
    """Apply the contract's tolerated variations; returns {variation number: [files showing it]}."""
    seen: dict[int, list[str]] = {}

    def mark(n: int, export: Export) -> None:
        seen.setdefault(n, []).append(export.name)

    for e in exports:  # 1: encodings and workbooks with several sheets, as generated
        if e.style.format == "csv" or e.style.note_sheet:
            mark(1, e)
        if e.style.title_rows or e.style.total_row:
            mark(2, e)
        if e.style.county_form != "full" or e.style.township_short or e.style.township_form != "name" or \
                e.style.village_form != "official" or e.style.place_spaces:
            mark(4, e)
        if e.style.date_style != "iso":
            mark(5, e)
        if not e.rows:
            mark(10, e)

    # 2: a numeric 序号 column whose last row says 总计
    office = _find(exports, "司法所")
    for i, row in enumerate(office.rows, 1):
        row["序号"] = i
    _swap(exports, office, replace(office, header=["序号", *office.header],
                                   style=replace(office.style, total_row=("现有星级",), total_word="总计",
                                                 total_in="序号")))
    mark(2, office)

    # 3: header cells with spaces, full-width parentheses and a line break; columns out of order; an extra column
    mediators = _find(exports, "人民调解员")
    for row in mediators.rows:
        row["备注说明"] = None
    _swap(exports, mediators, replace(mediators, header=[*mediators.header, "备注说明"], style=replace(
        mediators.style, shuffle=True,
        header_text=(("姓名", " 姓名 "), ("所属组织编码", "所属组织\n编码"), ("专兼职", "专兼职\u3000")))))
    mark(3, mediators)
    risk = _find(exports, "矛盾纠纷风险预警月报_2023Q1")
    _swap(exports, risk, replace(risk, style=replace(risk.style, header_text=(("所属乡镇(街道)", "所属乡镇（街道）"),))))
    mark(3, risk)

    # 4: villages written short (二公台村, 小康社区), as committees (二公台村委会, 小康居委会) or after their township
    #    (蔡牛镇二公台村); townships as …街道办事处 or after their county; stray and full-width spaces in places.
    #    The writer keeps a form only where it names the same place (never a bare 泉头: 社区 or 村?).
    for start, changes in (("人民调解案件_2023Q1", {"village_form": "short", "township_form": "office"}),
                           ("人民调解案件_2023Q2", {"village_form": "committee", "place_spaces": True}),
                           ("人民调解案件_2023Q3", {"village_form": "township", "township_form": "county"}),
                           ("调解组织_2023年度", {"village_form": "short", "place_spaces": True}),
                           ("矛盾纠纷风险预警月报_2023Q4", {"township_form": "county", "place_spaces": True})):
        export = _find(exports, start)
        changed = replace(export, style=replace(export.style, **changes))
        _swap(exports, export, changed)
        mark(4, changed)

    # 5: dates as 2023.3.5 and 20230305 text, and as Excel serial numbers
    orgs = _find(exports, "调解组织_2023H1")
    _map_values(orgs, ("成立日期",), lambda d: f"{d.year}.{d.month}.{d.day}")
    _map_values(orgs, ("挂牌日期",), lambda d: f"{d:%Y%m%d}")
    mark(5, orgs)
    tasks = _find(exports, "服刑人员信息核查_2023H1")
    _map_values(tasks, ("下发日期", "反馈日期", "预计释放日期"), _serial)
    mark(5, tasks)

    # 6: money with thousands separators and 元, full-width digits, numbers as text in a workbook
    cases = _find(exports, "人民调解案件_2023Q4")
    _map_values(cases, ("涉及金额(元)",), _fancy_number)
    _map_values(cases, ("涉及人数",), lambda n: _fancy_number(n) if n > 2 else str(n))
    mark(6, cases)

    # 7: enums with stray and full-width spaces and full-width brackets; 是/否 as Y/N, 1/0, √/empty
    _map_values(cases, ("调解结果",), lambda v: f" {v}\u3000")
    _map_values(cases, ("调解组织类型",), lambda v: v.replace("(", "（").replace(")", "）"))
    _map_values(cases, ("是否信访案件",), lambda v: {"是": "Y", "否": "N"}[v])
    _map_values(cases, ("是否移交公安",), lambda v: {"是": "1", "否": "0"}[v])
    persons = _find(exports, "刑满释放人员")
    _map_values(persons, ("是否人户分离",), lambda v: "√" if v == "是" else None)
    mark(7, cases)
    mark(7, persons)

    # 8: identity numbers with a lower-case x and spaces
    _map_values(persons, ("身份证号",), lambda v: f"{v[:6]} {v[6:14]} {v[14:].lower()}")
    mark(8, persons)

    # 9: the same record twice in one file (cases, as generated) and again in a later file (H1 → H2, orgs)
    mark(9, _find(exports, "人民调解案件_2023Q2"))
    mark(9, _find(exports, "调解组织_2023年度"))
    return seen


# (file start, column, rule, change): each change breaks exactly one rule of the contract.
PLANTS = (
    ("人民调解案件_2023Q1", "调解组织名称", "required", lambda r: {**r, "调解组织名称": None}),
    ("人民调解案件_2023Q2", "纠纷来源", "enum", lambda r: {**r, "纠纷来源": "路上捡的"}),
    ("人民调解案件_2023Q3", "所属区县", "unknown_place", lambda r: {**r, "所属区县": "沈阳市"}),
    ("人民调解案件_2023Q1", "当事人身份证号", "id18_checksum",
     lambda r: {**r, "当事人身份证号": _bad_check(r["当事人身份证号"])}),
    ("人民调解案件_2023Q2", "调解日期", "date_order",
     lambda r: {**r, "调解日期": r["受理日期"] - timedelta(days=3)} if r["调解日期"] else None),
    ("人民调解统计月报_2023Q3", "调解成功数", "not_greater",
     lambda r: {**r, "调解成功数": r["受理案件数"] + 2}),
    ("刑满释放人员", "身份证号", "id18_format", lambda r: {**r, "身份证号": f"{int(_digits(r['身份证号'])[:17]):.14E}"}),
    ("服刑人员信息核查_2023H2", "户籍地区县", "city_not_county", lambda r: {**r, "户籍地区县": "铁岭市"}),
    ("服刑人员信息核查_2023H2", "反馈日期", "date_order",
     lambda r: {**r, "反馈日期": r["下发日期"] - timedelta(days=2)} if r["反馈日期"] else None),
    ("人民调解员", "专兼职", "enum", lambda r: {**r, "专兼职": "临时"}),
    ("人民调解员", "联系电话", "phone_format", lambda r: {**r, "联系电话": "12345"}),
    ("司法所", "现有星级", "max_value", lambda r: {**r, "现有星级": 7}),
    ("矛盾纠纷风险预警月报_2023Q2", "排查次数", "min_value", lambda r: {**r, "排查次数": -2}),
    ("慧评理注册", "累计注册人数", "min_value", lambda r: {**r, "累计注册人数": -5}),
    ("工作报送台账", "报送事项", "enum", lambda r: {**r, "报送事项": "年度考核材料"}),
    ("调处化解中心台账", "专职人民调解员数", "required", lambda r: {**r, "专职人民调解员数": None}),
    ("调解组织_2023年度", "成立日期", "date_format", lambda r: {**r, "成立日期": "2023-02-30"}),
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _bad_check(ids: str) -> str:
    first, *rest = ids.split("、")
    wrong = next(c for c in "0123456789X" if c != first[17])
    return "、".join([first[:17] + wrong, *rest])


def plant_bad_rows(exports: list[Export], rng: random.Random) -> list[dict]:
    planted, used = [], set()
    for start, column, rule, change in PLANTS:
        export = _find(exports, start)
        candidates = [i for i in range(len(export.rows)) if (export.name, i) not in used]
        rng.shuffle(candidates)
        for i in candidates:
            row = export.rows[i]
            if any(row == other for j, other in enumerate(export.rows) if j != i):
                continue  # an exported duplicate would make the planted row ambiguous
            new = change(dict(row))
            if new is None:
                continue
            export.rows[i] = new
            used.add((export.name, i))
            planted.append({"file": export.name, "dataset": export.dataset, "row": data_row_number(export, i),
                            "column": column, "rule": rule})
            break
    return planted


# --- personal data where clerks write it -----------------------------------------------------------------------------
# Identity and mobile numbers typed into free text, into names, or shifted into the wrong column. Where the contract
# takes any text the row is valid: it loads, and the numbers must be masked in the warehouse. Where the column wants
# something else the row is bad under that column's rule: the number must be masked in the quarantine's value.

REGIONS = ("211202", "211204", "211221", "211223", "211224", "211281", "211282")


def _id18(rng: random.Random, check_x: bool = False) -> str:
    while True:
        body = f"{rng.choice(REGIONS)}{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
               f"{rng.randint(0, 999):03d}"
        number = with_check(body)
        if number.endswith("X") or not check_x:
            return number


def _id15(rng: random.Random) -> str:
    return f"{rng.choice(REGIONS)}{rng.randint(50, 98)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
           f"{rng.randint(0, 999):03d}"


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


def _masked(number: str) -> str:
    """What the warehouse may show of a planted number (etl/pii.py's masks)."""
    return number[:3] + "*" * 8 if len(number) == 11 else number[:6] + "*" * 12


def _spaced_id(i: str) -> str:
    return f"{i[:6]} {i[6:14]} {i[14:]}"


def _dashed_id(i: str) -> str:
    return f"{i[:6]}-{i[6:14]}-{i[14:].lower()}"


def _dashed_mobile(m: str) -> str:
    return f"{m[:3]}-{m[3:7]}-{m[7:]}"


def _incident(old, rng):
    i, m = _id18(rng), _mobile(rng)
    return f"{old};当事人身份证号 {_spaced_id(i)},联系电话 {_dashed_mobile(m)}", [i, m]


def _submission_note(old, rng):
    m, i = _mobile(rng), _id15(rng)
    return f"{old + ',' if old else ''}联系人手机+86 {m[:3]} {m[3:7]} {m[7:]},经办人身份证{i}", [m, i]


def _org_name(old, rng):
    m = _mobile(rng)
    return f"{old}(负责人电话{m})", [m]


def _prison(old, rng):
    i = _id18(rng, check_x=True)
    return f"{old}(管教民警{_dashed_id(i)})", [i]


def _shifted_id(old, rng):
    i = _id18(rng)
    return i, [i]


def _shifted_mobile(old, rng):
    m = _mobile(rng)
    return m, [m]


def _shifted_spaced_id(old, rng):
    i = _id18(rng)
    return _spaced_id(i), [i]


def _shifted_dashed_mobile(old, rng):
    m = _mobile(rng)
    return _dashed_mobile(m), [m]


# (file start, column, rule of the row or None for a valid row, change): change(old cell, rng) gives the new cell and
# the numbers it holds (digits only)
PERSONAL = (
    ("个人极端案事件_2023.", "简要情况", None, _incident),
    ("工作报送台账", "备注", None, _submission_note),
    ("调解组织_2023年度", "组织名称", None, _org_name),
    ("服刑人员信息核查_2023H2", "监狱名称", None, _prison),
    ("人民调解案件_2023Q3", "调解组织名称", None, _shifted_id),           # shifted columns, into free text
    ("刑满释放人员", "罪名类别", None, _shifted_mobile),
    ("人民调解案件_2023Q2", "调解组织类型", "enum", _shifted_spaced_id),   # the same into columns that take no text
    ("人民调解案件_2023Q4", "所属村(社区)", "unknown_place", _shifted_dashed_mobile),
)


def plant_personal_data(exports: list[Export], rng: random.Random,
                        bad_rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Plant PERSONAL in rows no planted bad row uses and no exported duplicate repeats; returns (every plant with the
    numbers it holds and their masked forms, the bad rows among them as plant_bad_rows lists them)."""
    taken = {(r["file"], r["row"]) for r in bad_rows}
    planted, bad = [], []
    for start, column, rule, change in PERSONAL:
        export = _find(exports, start)
        candidates = list(range(len(export.rows)))
        rng.shuffle(candidates)
        for i in candidates:
            row = export.rows[i]
            number = data_row_number(export, i)
            if (export.name, number) in taken or any(row == other for j, other in enumerate(export.rows) if j != i):
                continue
            text, numbers = change(row.get(column), rng)
            export.rows[i] = {**row, column: text}
            taken.add((export.name, number))
            where = {"file": export.name, "dataset": export.dataset, "row": number, "column": column}
            planted.append({**where, "rule": rule, "text": text, "numbers": numbers,
                            "masked": [_masked(n) for n in numbers]})
            if rule:
                bad.append({**where, "rule": rule})
            break
        else:
            raise ValueError(f"{export.name}: no row to plant personal data in {column}")
    return planted, bad


def bad_files(exports: list[Export]) -> tuple[list[tuple[str, bytes]], list[dict]]:
    """Files refused whole (or recognised as duplicates), with the reason the ETL must give."""
    risk = _find(exports, "矛盾纠纷风险预警月报_2023Q1")
    header = [h for h in risk.header if h != "报送日期"]
    lines = [",".join(header)] + [",".join(str(r[h]) for h in header) for r in risk.rows[:20]]
    files = [
        ("矛盾纠纷风险预警月报_补报.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")),
        ("人民调解案件_2023Q5.xlsx", "<html><body><table><tr><td>系统错误</td></tr></table></body></html>".encode()),
        ("数据导出(1).csv", "编号,名称,数量\r\n1,某某,3\r\n".encode("utf-8")),
    ]
    expected = [  # a refused file still names the dataset its name or header shows
        {"file": files[0][0], "status": "refused", "reason": "缺少必填列:报送日期", "dataset": "risk_report"},
        {"file": files[1][0], "status": "refused", "reason": "不是Excel文件", "dataset": "mediation_case"},
        {"file": files[2][0], "status": "refused", "reason": "找不到任何已知数据集的表头", "dataset": None},
        {"file": "人民调解案件_2023Q1 - 副本.xlsx", "status": "duplicate", "copy_of": "人民调解案件_2023Q1.xlsx",
         "reason": "SHA-256一致", "dataset": "mediation_case"},
    ]
    return files, expected
