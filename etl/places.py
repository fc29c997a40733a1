"""Resolve place names, written short or long, to official codes.

Counties are matched on their own; townships only within their county (红旗街道 exists in
both 银州区 and 清河区) and villages only within their township. A short form is accepted
only where it stays unambiguous at that level.
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

import polars as pl

from etl import reference
from etl.read import header_key

AMBIGUOUS = "?ambiguous"      # alias that names more than one place
CITY = "?city"                # the city 铁岭市 itself, which is not a county
_PROVINCE_CITY = re.compile(r"^(辽宁省)?(铁岭市)?")
_TOWNSHIP_SUFFIX = re.compile(r"(满族乡|民族乡|街道|镇|乡)$")


def _add(table: dict, key: str, code: str) -> None:
    table[key] = code if table.get(key, code) == code else AMBIGUOUS


@cache
def county_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name in reference.counties().select("code", "name").iter_rows():
        short = name[:-1]                      # 昌图县 → 昌图, 调兵山市 → 调兵山
        for alias in (name, short, name + "司法局", short + "司法局"):
            _add(table, alias, code)
    # 铁岭 alone could be 铁岭县 or the city: ambiguous; the city itself is never a county.
    table["铁岭"] = AMBIGUOUS
    for alias in ("铁岭市", "铁岭市司法局", "辽宁省铁岭市"):
        table[alias] = CITY
    return table


@cache
def township_aliases() -> dict[tuple[str, str], str]:
    full: dict[tuple[str, str], str] = {}
    short: dict[tuple[str, str], str] = defaultdict(str)
    for code, name, county in reference.townships().select("code", "name", "county_code").iter_rows():
        full[(county, name)] = code
        stem = _TOWNSHIP_SUFFIX.sub("", name)
        if stem and stem != name:
            _add(short, (county, stem), code)
    return {**{k: v for k, v in short.items() if k not in full}, **full}


def _village_forms(name: str) -> set[str]:
    forms = {name}
    for long, brief in (("社区居民委员会", "社区"), ("村民委员会", "村"), ("居民委员会", "社区")):
        if name.endswith(long):
            forms.add(name[: -len(long)] + brief)
    if name.endswith("社区"):
        forms.add(name + "居民委员会")
    elif name.endswith("村"):
        forms.add(name + "民委员会")
    return forms


@cache
def village_aliases() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for code, name, township in reference.villages().select("code", "name", "township_code").iter_rows():
        for form in _village_forms(name):
            _add(table, (township, form), code)
    return table


def _lookup_frame(table: dict, key_cols: list[str]) -> pl.DataFrame:
    keys = list(table)
    cols = {c: [k[i] if isinstance(k, tuple) else k for k in keys] for i, c in enumerate(key_cols)}
    return pl.DataFrame({**cols, "code": list(table.values())}, schema={**{c: pl.String for c in key_cols},
                                                                     "code": pl.String})


def place_key(expr: pl.Expr) -> pl.Expr:
    """Full-width folded, whitespace removed: the form aliases are stored in."""
    from etl.read import FULLWIDTH
    return expr.str.replace_many(FULLWIDTH).str.replace_all(r"\s+", "")


def resolve_county(names: pl.Series) -> pl.Series:
    """Code per name; AMBIGUOUS, CITY or null (unknown) where it does not resolve.

    铁岭市昌图县 / 辽宁省铁岭市昌图县 name the county after the city: when the name itself is
    not an alias, it is tried again without that prefix.
    """
    lookup = _lookup_frame(county_aliases(), ["key"])
    frame = pl.DataFrame({"name": names}).with_columns(place_key(pl.col("name")).alias("key"))
    frame = frame.with_columns(pl.col("key").str.replace(_PROVINCE_CITY.pattern, "").alias("stripped"))
    first = frame.join(lookup, on="key", how="left", maintain_order="left")["code"]
    second = frame.join(lookup, left_on="stripped", right_on="key", how="left", maintain_order="left")["code"]
    return first.fill_null(second)


def resolve_within(parent_codes: pl.Series, names: pl.Series, level: str) -> pl.Series:
    """Township within its county, or village within its township; same sentinels as resolve_county."""
    table = township_aliases() if level == "township" else village_aliases()
    frame = pl.DataFrame({"parent": parent_codes, "name": names}).with_columns(place_key(pl.col("name")))
    lookup = _lookup_frame(table, ["parent", "name"])
    return frame.join(lookup, on=["parent", "name"], how="left", maintain_order="left")["code"]


def is_code(expr: pl.Expr) -> pl.Expr:
    return expr.is_not_null() & ~expr.str.starts_with("?")


__all__ = ["AMBIGUOUS", "CITY", "resolve_county", "resolve_within", "is_code", "header_key"]
