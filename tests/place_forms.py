"""Every way a county clerk writes each village and township of the reference, for tests/test_places.py.

Built from warehouse/reference with its own small rules (not etl.places'), so the test does not check the
resolver against itself. A form is (level, parent code, own code, form name, text).
"""
from __future__ import annotations

import re
from functools import cache

from etl import reference

TOWNSHIP_SUFFIX = re.compile(r"(满族乡|民族乡|街道|镇|乡)$")
# 村 + 村民委员会 first: 二公台村村民委员会 is 二公台村, not 二公台村村
VILLAGE_LONG = (("村村民委员会", "村"), ("村民委员会", "村"), ("社区居民委员会", "社区"), ("社区居委会", "社区"),
                ("居民委员会", "社区"), ("居委会", "社区"))
IDEOGRAPHIC_SPACE = "\u3000"

# Forms that must always resolve to their own code (never ambiguous).
MUST_RESOLVE = {"official", "short"}


def _county_forms(name: str) -> tuple[str, str]:
    return name, name[:-1]                         # 昌图县, 昌图


def _township_short(name: str) -> str:
    stem = TOWNSHIP_SUFFIX.sub("", name)
    return stem if stem and stem != name else name


def village_parts(name: str) -> tuple[str, str, str]:
    """(short form, stem, kind) of an official village name: 二公台村村民委员会 → (二公台村, 二公台, 村)."""
    if name.endswith("委员会委"):                    # 宁远村民委员会委: a typo in the official table
        name = name[:-1]
    for long, kind in VILLAGE_LONG:
        if name.endswith(long):
            stem = name[: -len(long)]
            return stem + kind, stem, kind
    for kind in ("社区", "家委会", "生活区", "村"):
        if name.endswith(kind):
            return name, name[: -len(kind)], kind
    return name, name, ""


@cache
def _names() -> tuple[dict, dict]:
    counties = dict(reference.counties().select("code", "name").iter_rows())
    townships = {c: (n, k) for c, n, k in reference.townships().select("code", "name", "county_code").iter_rows()}
    return counties, townships


def village_forms() -> list[tuple[str, str, str, str]]:
    """(township code, village code, form name, text) for every village of the reference."""
    counties, townships = _names()
    out = []
    for code, name, township, ref_kind in reference.villages().select("code", "name", "township_code",
                                                                      "kind").iter_rows():
        t_full, county = townships[township]
        t_short = _township_short(t_full)
        c_full, c_short = _county_forms(counties[county])
        short, stem, kind = village_parts(name)
        forms = {"official": name, "short": short, "bare": stem,
                 "township+short": t_full + short, "township_short+short": t_short + short,
                 "township+official": t_full + name,
                 "county+short": c_full + short, "county_short+short": c_short + short,
                 "county+township+short": c_full + t_full + short,
                 "county_short+township_short+short": c_short + t_short + short,
                 "city+county+short": "铁岭市" + c_full + short,
                 "province+city+county+township+short": "辽宁省铁岭市" + c_full + t_full + short,
                 "province+city+county+township+official": "辽宁省铁岭市" + c_full + t_full + name,
                 "fullwidth_space": short + IDEOGRAPHIC_SPACE, "fullwidth_space_official": IDEOGRAPHIC_SPACE + name,
                 "spaces_between": " ".join(short), "spaces_around": f" {name} ",
                 "township+fullwidth_space+short": t_full + IDEOGRAPHIC_SPACE + short}
        if kind == "村":
            forms |= {"村委会": stem + "村委会", "村村委会": stem + "村村委会", "township+村委会": t_full + stem + "村委会"}
        elif kind == "社区":
            forms |= {"居委会": stem + "居委会", "社区居委会": stem + "社区居委会", "居民委员会": stem + "居民委员会",
                      "township_short+居委会": t_short + stem + "居委会"}
        # the virtual communities (园区/分场/场站) carry a county's or the province's name by convention:
        # 铁岭县懿路工业园社区 is written 懿路工业园社区 or 懿路工业园 too
        for prefix in (c_full, c_short, "辽宁省") if ref_kind.startswith("类似") else ():
            if stem.startswith(prefix) and len(stem) > len(prefix):
                forms |= {"without_county": stem[len(prefix):] + kind, "without_county_bare": stem[len(prefix):]}
                break
        out += [(township, code, form, text) for form, text in forms.items()]
    return out


def township_forms() -> list[tuple[str, str, str, str]]:
    """(county code, township code, form name, text) for every township of the reference."""
    counties, townships = _names()
    out = []
    for code, (name, county) in townships.items():
        short = _township_short(name)
        c_full, c_short = _county_forms(counties[county])
        forms = {"official": name, "short": short,
                 "county+official": c_full + name, "county_short+official": c_short + name,
                 "county+short": c_full + short, "city+county+official": "铁岭市" + c_full + name,
                 "province+city+county+official": "辽宁省铁岭市" + c_full + name,
                 "fullwidth_space": name + IDEOGRAPHIC_SPACE, "fullwidth_space_short": IDEOGRAPHIC_SPACE + short,
                 "spaces_between": " ".join(name), "spaces_around": f" {short} "}
        if name.endswith("街道"):
            forms |= {"街道办事处": name + "办事处", "county+街道办事处": c_full + name + "办事处"}
        if name.endswith(("满族乡", "民族乡")):
            forms["乡"] = short + "乡"
        out += [(county, code, form, text) for form, text in forms.items()]
    return out
