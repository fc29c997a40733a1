"""Resolve place names, in every form a county clerk writes them, to official codes.

Counties are matched on their own; townships only within their county (红旗街道 exists in
both 银州区 and 清河区) and villages only within their township.

Both the reference names and the written text are reduced to a stem and a kind: spaces
removed and full-width folded, committee endings turned into a kind (二公台村村民委员会,
二公台村委会 and 二公台村 are all (二公台, 村)); a bare stem without a kind matches any
kind. Leading 辽宁省 / 铁岭市 / county / township prefixes are stripped only when the text
as written does not match, so a village named after its township (新台子村 in 新台子镇)
still resolves. A form that names two places in the same parent is AMBIGUOUS, with the
candidates named; it is never resolved to a guess.

Resolution is vectorised the way polars likes it: each distinct (parent, name) pair is
resolved once in Python (and cached), then joined back to the rows.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache

import polars as pl

from etl import reference
from etl.read import header_key

AMBIGUOUS = "?ambiguous"      # alias that names more than one place
CITY = "?city"                # the city 铁岭市 itself, which is not a county
PROVINCE = "辽宁省"
_PROVINCE_CITY = re.compile(r"^(辽宁省)?(铁岭市)?")
_TOWNSHIP_SUFFIX = re.compile(r"(满族乡|民族乡|街道|镇|乡)$")

# Written committee endings → kind, longest first (村村民委员会 before 村民委员会 before 村).
_VILLAGE_KINDS = sorted({
    "村村民委员会": "村", "村民委员会": "村", "村村委会": "村", "村委会": "村", "村委": "村", "村": "村",
    "社区居民委员会": "社区", "社区居委会": "社区", "社区居委": "社区", "居民委员会": "社区", "居委会": "社区",
    "居委": "社区", "社区": "社区",
    "家属委员会": "家委会", "家委会": "家委会",
    "生活区": "生活区",
}.items(), key=lambda kv: -len(kv[0]))
_TOWNSHIP_KINDS = sorted({
    "街道办事处": "街道", "街道办": "街道", "街道": "街道",
    "满族乡": "乡", "民族乡": "乡", "乡": "乡", "镇": "镇",
}.items(), key=lambda kv: -len(kv[0]))
_TYPO_TAIL = re.compile(r"(委员会)委$")       # 宁远村民委员会委: a stray 委 in the official table

Key = tuple[str, str | None]                  # (stem, kind); kind None = any kind


def compact(text: str) -> str:
    """Full-width folded, whitespace removed: the form every comparison uses."""
    return header_key(text)


def _keys(text: str, kinds: list[tuple[str, str]]) -> list[Key]:
    """How a name can be read, most specific first: (stem, kind) by its ending, then the whole text bare."""
    text = _TYPO_TAIL.sub(r"\1", text)
    out: list[Key] = []
    for ending, kind in kinds:
        if text.endswith(ending) and len(text) > len(ending):
            out.append((text[: -len(ending)], kind))
            break
    out.append((text, None))
    return out


def _strip_prefixes(text: str, layers: list[tuple[str, ...]]) -> list[str]:
    """The text without any combination of leading prefixes, layer by layer (辽宁省, 铁岭市, county,
    township), least stripped first; the text as written comes first."""
    found = [text]
    for forms in layers:
        found += [t[len(f):] for t in list(found) for f in forms if t.startswith(f) and len(t) > len(f)]
    return sorted(dict.fromkeys(found), key=len, reverse=True)


# ---------------------------------------------------------------- the reference, as lookup tables

def _county_forms(name: str) -> tuple[str, ...]:
    return name, name[:-1]                         # 昌图县, 昌图 (a prefix only: 铁岭 alone is no county)


def _township_prefixes(name: str) -> tuple[str, ...]:
    """A township as it prefixes a village: full, short, …街道办事处, and its other suffix (更刻乡 for 更刻镇:
    old names survive in village names)."""
    stem = _TOWNSHIP_SUFFIX.sub("", name)
    if not stem or stem == name:
        return (name,)
    extra = ("街道办事处", "街道办") if name.endswith("街道") else ("镇", "乡")
    return (name, *(stem + e for e in extra), stem)


@dataclass
class _Index:
    """One parent's places: official names, their (stem, kind) keys, and keys derived by stripping a
    leading place prefix from the reference name (铁岭县懿路工业园社区 → 懿路工业园社区)."""
    names: dict[str, str]                                        # code -> official name
    exact: dict[str, set[str]]                                   # compact official name -> codes
    own: dict[Key, set[str]]
    derived: dict[Key, set[str]]
    prefixes: list[tuple[str, ...]]                              # layers a written name may start with

    def match(self, text: str, kinds: list[tuple[str, str]]) -> set[str]:
        for candidate in _strip_prefixes(text, self.prefixes):
            if candidate in self.exact:
                return self.exact[candidate]
            keys = _keys(candidate, kinds)
            for table in (self.own, self.derived):
                for key in keys:
                    if key in table:
                        return table[key]
        return set()


def _index(rows: list[tuple[str, str, str]], kinds, prefixes: list[tuple[str, ...]],
           stem_prefixes: list[tuple[str, ...]]) -> _Index:
    """rows: (code, official name, reference kind). Only the virtual communities (园区/分场/场站, kind
    类似…) get derived keys: they carry a county's name by convention, while 开原站村 is not a 站村 of 开原."""
    index = _Index({}, defaultdict(set), defaultdict(set), defaultdict(set), prefixes)
    for code, name, ref_kind in rows:
        index.names[code] = name
        name = compact(name)
        index.exact[name].add(code)
        for stem, kind in _keys(name, kinds):
            index.own[(stem, kind)].add(code)
            if kind is not None:
                index.own[(stem, None)].add(code)
            if not (ref_kind or "").startswith("类似"):
                continue
            for short in _strip_prefixes(stem, stem_prefixes)[1:]:
                index.derived[(short, kind)].add(code)
                index.derived[(short, None)].add(code)
    return index


@cache
def _county_names() -> dict[str, str]:
    return dict(reference.counties().select("code", "name").iter_rows())


@cache
def _township_info() -> dict[str, tuple[str, str]]:
    return {c: (n, k) for c, n, k in reference.townships().select("code", "name", "county_code").iter_rows()}


def _outer(county: str) -> list[tuple[str, ...]]:
    return [(PROVINCE,), (reference.CITY_NAME,), _county_forms(_county_names()[county])]


@cache
def _township_indexes() -> dict[str, _Index]:
    rows: dict[str, list] = defaultdict(list)
    for code, (name, county) in _township_info().items():
        rows[county].append((code, name, None))
    return {county: _index(r, _TOWNSHIP_KINDS, _outer(county), []) for county, r in rows.items()}


@cache
def _village_indexes() -> dict[str, _Index]:
    rows: dict[str, list] = defaultdict(list)
    for code, name, township, kind in reference.villages().select("code", "name", "township_code",
                                                                  "kind").iter_rows():
        rows[township].append((code, name, kind))
    out = {}
    for township, r in rows.items():
        name, county = _township_info()[township]
        # 辽宁省换热设备产业基地社区, 铁岭县懿路工业园社区: written without the province or county too
        out[township] = _index(r, _VILLAGE_KINDS, [*_outer(county), _township_prefixes(name)], _outer(county))
    return out


@cache
def county_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, name in _county_names().items():
        short = name[:-1]                      # 昌图县 → 昌图, 调兵山市 → 调兵山
        for alias in (name, short, name + "司法局", short + "司法局"):
            table[alias] = code if table.get(alias, code) == code else AMBIGUOUS
    # 铁岭 alone could be 铁岭县 or the city: ambiguous; the city itself is never a county.
    table["铁岭"] = AMBIGUOUS
    for alias in ("铁岭市", "铁岭市司法局", "辽宁省铁岭市"):
        table[alias] = CITY
    return table


def _candidates_text(names: list[str]) -> str:
    return "可能是:" + "、".join(names)


# ---------------------------------------------------------------- one name

@lru_cache(maxsize=1 << 16)
def resolve_one(level: str, parent: str | None, name: str | None) -> tuple[str | None, str | None]:
    """(code or AMBIGUOUS / CITY / None, detail) for one written name; detail names the candidates of an
    ambiguous name. level: county (parent ignored), township (parent: county code) or village (township code)."""
    if name is None:
        return None, None
    text = compact(name)
    if level == "county":
        return _county(text)
    indexes = _township_indexes() if level == "township" else _village_indexes()
    index = indexes.get(parent or "")
    if index is None or not text:
        return None, None
    codes = index.match(text, _TOWNSHIP_KINDS if level == "township" else _VILLAGE_KINDS)
    if len(codes) == 1:
        return next(iter(codes)), None
    if codes:
        return AMBIGUOUS, _candidates_text([index.names[c] for c in sorted(codes)])
    return None, None


def _county(text: str) -> tuple[str | None, str | None]:
    """铁岭市昌图县 / 辽宁省铁岭市昌图县 name the county after the city: when the name itself is not an alias,
    it is tried again without that prefix."""
    table = county_aliases()
    stripped = _PROVINCE_CITY.sub("", text)
    code = table.get(text) or table.get(stripped)
    if code != AMBIGUOUS:
        return code, None
    # 铁岭 (or 铁岭司法局): 铁岭县, or the city, which is no county
    counties = [n for n in _county_names().values() if stripped.removesuffix("司法局") == n[:-1]]
    return AMBIGUOUS, _candidates_text([*counties, f"{reference.CITY_NAME}(市本级,不是区县)"])


# ---------------------------------------------------------------- many names, vectorised

RESOLVED_SCHEMA = {"code": pl.String, "detail": pl.String}


def resolve(level: str, names: pl.Series, parent_codes: pl.Series | None = None) -> pl.DataFrame:
    """code (or AMBIGUOUS / CITY / null when unknown) and detail per name, in the order given."""
    names = names.cast(pl.String)
    parents = (pl.repeat(None, len(names), dtype=pl.String, eager=True) if parent_codes is None
               else parent_codes.cast(pl.String))
    frame = pl.DataFrame({"parent": parents, "name": names})
    pairs = frame.unique(maintain_order=True)
    resolved = [resolve_one(level, parent, name) for parent, name in pairs.iter_rows()]
    lookup = pairs.with_columns(pl.DataFrame(resolved, schema=RESOLVED_SCHEMA, orient="row"))
    return (frame.join(lookup, on=["parent", "name"], how="left", maintain_order="left", nulls_equal=True)
            .select(*RESOLVED_SCHEMA))


def resolve_county(names: pl.Series) -> pl.Series:
    """Code per name; AMBIGUOUS, CITY or null (unknown) where it does not resolve."""
    return resolve("county", names)["code"]


def resolve_within(parent_codes: pl.Series, names: pl.Series, level: str) -> pl.Series:
    """Township within its county, or village within its township; same sentinels as resolve_county."""
    return resolve(level, names, parent_codes)["code"]


def is_code(expr: pl.Expr) -> pl.Expr:
    return expr.is_not_null() & ~expr.str.starts_with("?")


__all__ = ["AMBIGUOUS", "CITY", "resolve", "resolve_one", "resolve_county", "resolve_within", "is_code",
           "header_key"]
