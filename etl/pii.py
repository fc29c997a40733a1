"""Masks for personal data shown in the warehouse and in quarantine (never the clear value).

Two kinds of mask, one form each: an identity number keeps its 6-digit region prefix then 12 asterisks (the same
length for an old 15-digit and an 18-digit number: the mask says nothing of which it was); a mobile number keeps its
first 3 digits then 8 asterisks. `mask_id` and `mask_phone` mask a whole cell of a personal-data column;
`mask_numbers` finds the numbers inside any text (free text, names of organisations, a value a clerk shifted into the
wrong column) and masks each in place. All are polars expressions over a whole column: a regex, no Python per row.
"""
from __future__ import annotations

import polars as pl

# Two-character surnames keep both characters: 欧阳娜娜 → 欧阳**.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 闻人 澹台 公冶 太史 申屠 端木 "
    "呼延 南宫 独孤 百里 东郭 西门 万俟 赫连 拓跋 完颜 爱新 叶赫 纳兰".split())

ID_STARS = "*" * 12      # after the region prefix, whatever the number's length
PHONE_STARS = "*" * 8    # after a mobile's first 3 digits


def mask_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip()
    if not name:
        return None
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + "*" * max(1, len(name) - keep)


# Python's whitespace (str.strip, str.isspace), spelled out for polars, whose strip_chars() without arguments trims
# Rust's whitespace and keeps the information separators U+001C..U+001F that Python counts
PY_WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())


def mask_names(e: pl.Expr) -> pl.Expr:
    """A cell of one or more names (split at 、 , ,): each name masked as mask_name, joined by 、. The whole column in
    one polars expression, no Python per row."""
    name = pl.element()
    length = name.str.len_chars()
    keep = pl.when(name.str.slice(0, 2).is_in(list(COMPOUND_SURNAMES)) & (length > 2)).then(2).otherwise(1)
    rest = _stars(name.str.slice(keep))
    masked = name.str.slice(0, keep) + pl.when(rest == "").then(pl.lit("*")).otherwise(rest)
    return (e.str.replace_all("[,,]", "、").str.split("、")
            .list.eval(name.str.strip_chars(PY_WHITESPACE))
            .list.eval(name.filter(name.str.len_chars() > 0))
            .list.eval(masked).list.join("、"))


def _stars(e: pl.Expr) -> pl.Expr:
    return e.str.replace_all(r"(?s).", "*")


def mask_id(e: pl.Expr) -> pl.Expr:
    """A whole cell of an identity-number column, whatever it holds (a malformed number, 1.1E+17): its first 6
    characters then 12 asterisks; 6 characters or fewer become asterisks only. Whitespace is dropped first."""
    v = e.str.replace_all(r"\s+", "")
    return pl.when(v.str.len_chars() > 6).then(v.str.slice(0, 6) + pl.lit(ID_STARS)).otherwise(_stars(v))


def mask_id_list(e: pl.Expr) -> pl.Expr:
    """A cell of several identity numbers joined by 、: each masked as mask_id."""
    return e.str.split("、").list.eval(mask_id(pl.element())).list.join("、")


def mask_phone(e: pl.Expr) -> pl.Expr:
    """A whole cell of a phone column: its first 3 characters, the rest as asterisks. Whitespace is dropped first."""
    v = e.str.replace_all(r"\s+", "")
    return v.str.slice(0, 3) + _stars(v.str.slice(3))


# --- numbers inside any text ---------------------------------------------------------------------------------------
# A number counts only where it does not touch other digits: the run of digits (with the separators below) is exactly
# as long as an identity or mobile number. So a case number (2023)辽1224民调字第00012号, a date 20230305, an amount
# 1,234,567.89, an organisation code ORG211224100201P (12 digits) or a 19-digit run are left alone, while a number
# next to letters or Chinese (电话13912345678, ID11010519491231002X) is masked. The regex engine (Rust's, under
# polars) has no look-around, so the neighbouring characters are matched and put back; a neighbour that one number
# took is not there for the next one (13912345678、13812345678), hence each pattern runs twice.
#
# Separators: clerks group digits with spaces (also no-break and ideographic ones) or dashes (ASCII, full-width, en
# and em dashes), up to three such characters between two groups, never inside a group: 110105 19491231 002X,
# 110105-1949-1231-002x, 139 1234 5678, +86-139-1234-5678. Only between the groups an identity or mobile number is
# written in (6-8-4 with the date as 4-2-2, 6-6-3 for an old number; 3-4-4), so that a code such as TJ130102-00001
# (6 and 5 digits) is no mobile number. \d is any Unicode digit, and the fixed digits of a mobile number and its +86
# are written in both widths: a number typed in full-width digits (１３９…) is caught too.
_SEP = r"[ \t\u00a0\u3000\-－–—]{0,3}"   # between two groups of digits: nothing, or up to 3 spaces and dashes


def _groups(*parts: str) -> str:
    return _SEP.join(parts)


_ID18 = _groups(r"\d{4}", r"\d{2}", r"\d{2}", r"\d{3}", r"[\dXxＸｘ]")   # after the region: birth date, sequence, check
_ID15 = _groups(r"\d{2}", r"\d{2}", r"\d{2}", r"\d{3}")                 # after the region: yymmdd, sequence (pre-1999)
_ID = r"(^|\D)(\d{6})" + _SEP + f"(?:{_ID18}|{_ID15})" + r"(\D|$)"
_MOBILE = (r"(^|\D)((?:[+＋]|00|００)?[8８][6６]" + _SEP + r")?"
           + _groups(r"([1１][3-9３-９]\d)", r"\d{4}", r"\d{4}") + r"(\D|$)")


def mask_numbers(e: pl.Expr) -> pl.Expr:
    """Every identity number (18 or 15 digits) and mobile number (11 digits, maybe after +86) in a text column,
    masked in place; the rest of the text is kept as written. Masking an already masked text changes nothing."""
    # mobiles first: 0086 and a mobile number are 15 digits, which the identity pattern would take for an old number
    for _ in range(2):
        e = e.str.replace_all(_MOBILE, "${1}${2}${3}" + PHONE_STARS + "${4}")
    for _ in range(2):
        e = e.str.replace_all(_ID, "${1}${2}" + ID_STARS + "${3}")
    return e


def mask_numbers_in(value: str | None) -> str | None:
    """mask_numbers for one value the ETL writes on its own (a file name, a refusal reason): the same regex."""
    if value is None:
        return None
    return pl.select(mask_numbers(pl.lit(value, pl.String))).item()
