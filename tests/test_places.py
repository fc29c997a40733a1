"""Place names over the whole reference: every village and township in every form a clerk writes it.

The forms come from tests/place_forms.py (its own rules, not etl.places'); each form must resolve to its
own code, or be reported ambiguous with its own place among the candidates. Nothing valid is lost and
nothing ambiguous is guessed.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from functools import cache

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl import landing, places, reference
from tests.conftest import TEST_KEY, write_csv
from tests.place_forms import MUST_RESOLVE, township_forms, village_forms
from tests.test_normalise import BASE, CASE_HEADER, case_rows

# The seven stems that name both a 社区 and a 村 in one township: bare, they are ambiguous.
AMBIGUOUS_STEMS = {("211223101", "平岗"), ("211224100", "满井"), ("211224105", "宝力"), ("211224106", "泉头"),
                   ("211224107", "双庙子"), ("211282002", "线河"), ("211282002", "石塔")}


@cache
def _names() -> dict[str, dict[str, str]]:
    """parent code -> {official name: code}, for townships (by county) and villages (by township)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for code, name, county in reference.townships().select("code", "name", "county_code").iter_rows():
        out[county][name] = code
    for code, name, township in reference.villages().select("code", "name", "township_code").iter_rows():
        out[township][name] = code
    return out


def _candidates(parent: str, detail: str) -> set[str]:
    """The codes an ambiguous name's detail (可能是:甲、乙) names; names are unique within a parent."""
    assert detail.startswith("可能是:"), detail
    return {_names()[parent][n] for n in detail.removeprefix("可能是:").split("、")}


def _check_every_form(level: str, forms: list[tuple[str, str, str, str]]) -> Counter:
    """One vectorised call for all forms of a level; returns how each form came out."""
    resolved = places.resolve(level, pl.Series([f[3] for f in forms]), pl.Series([f[0] for f in forms]))
    outcome: Counter = Counter()
    wrong = []
    for (parent, own, form, text), code, detail in zip(forms, resolved["code"], resolved["detail"]):
        if code == own:
            outcome["own code"] += 1
        elif code == places.AMBIGUOUS and form not in MUST_RESOLVE and own in _candidates(parent, detail):
            outcome["ambiguous"] += 1
        else:
            wrong.append((parent, own, form, text, code, detail))
    assert not wrong, f"{len(wrong)} forms do not resolve, e.g. {wrong[:10]}"
    return outcome


def test_every_village_in_every_form():
    forms = village_forms()
    assert len({f[1] for f in forms}) == 1471
    outcome = _check_every_form("village", forms)
    assert outcome["own code"] + outcome["ambiguous"] == len(forms) > 30_000
    assert outcome["ambiguous"] == 14  # the bare stems of the seven 社区/村 pairs, and nothing else


def test_every_township_in_every_form():
    forms = township_forms()
    assert len({f[1] for f in forms}) == 106
    assert _check_every_form("township", forms) == Counter({"own code": len(forms)})


def test_ambiguous_stems_are_exactly_the_seven_pairs():
    stems = [(t, stem) for t, _, form, stem in village_forms() if form == "bare"]
    resolved = places.resolve("village", pl.Series([s for _, s in stems]), pl.Series([t for t, _ in stems]))
    ambiguous = {pair for pair, code in zip(stems, resolved["code"]) if code == places.AMBIGUOUS}
    assert ambiguous == AMBIGUOUS_STEMS


# ---------------------------------------------------------------- hand-built cases with known answers

CAINIU, XIAOKANG_TOWNSHIP, ZHONGGU, LINFENG = "211221108", "211281001", "211282104", "211282217"


@pytest.mark.parametrize("township,text,code", [
    (CAINIU, "二公台村", "211221108226"),                    # official 二公台村村民委员会
    (CAINIU, "二公台村村民委员会", "211221108226"),
    (CAINIU, "二公台村委会", "211221108226"),
    (CAINIU, "蔡牛镇二公台村", "211221108226"),
    (CAINIU, "蔡牛二公台村", "211221108226"),
    (CAINIU, "铁岭县蔡牛镇二公台村", "211221108226"),
    (CAINIU, "辽宁省铁岭市铁岭县蔡牛镇二公台村", "211221108226"),
    (CAINIU, "二公台村\u3000", "211221108226"),
    (CAINIU, "二 公 台 村", "211221108226"),
    (XIAOKANG_TOWNSHIP, "小康社区", "211281001011"),         # official 小康社区居委会
    (XIAOKANG_TOWNSHIP, "小康居委会", "211281001011"),
    (ZHONGGU, "沙河堡村", "211282104219"),                   # official 沙河堡村民委员会
    (LINFENG, "宁远村", "211282217209"),                     # official 宁远村民委员会委 (a typo)
    (LINFENG, "宁远村民委员会委", "211282217209"),
    ("211224100", "金月湖社区", "211224100011"),             # official 金月湖社区居民委员会
    ("211224103", "庆丰家委会", "211224103003"),
    ("211224103", "庆丰", "211224103003"),
    ("211224106", "林场生活区", "211224106501"),
    ("211224106", "林场", "211224106501"),
    ("211202401", "桑园岭分场", "211202401452"),             # official 桑园岭分场社区
    ("211221101", "懿路工业园社区", "211221101403"),          # official 铁岭县懿路工业园社区
    ("211221101", "懿路工业园", "211221101403"),
    ("211221101", "新台子村", "211221101217"),               # named after its township
    ("211221101", "新台子镇新台子村", "211221101217"),
    ("211221110", "樊梨花村", "211221110216"),               # official 樊梨花村 (bare)
    ("211221110", "樊梨花村委会", "211221110216"),
])
def test_village_forms_with_known_codes(township, text, code):
    assert places.resolve_one("village", township, text) == (code, None)


@pytest.mark.parametrize("county,text,code", [
    ("211202", "红旗街道", "211202001"), ("211204", "红旗街道", "211204001"),
    ("211204", "红旗街道办事处", "211204001"), ("211202", "银州区红旗街道", "211202001"),
    ("211224", "昌图", "211224100"), ("211224", "昌图县泉头镇", "211224106"), ("211204", "聂家乡", "211204203"),
    ("211221", "铁岭市铁岭县新台子镇", "211221101"), ("211202", "铁岭经济技术开发区", "211202401"),
])
def test_township_forms_with_known_codes(county, text, code):
    assert places.resolve_one("township", county, text) == (code, None)


@pytest.mark.parametrize("level,parent,text", [
    ("village", CAINIU, "二公台社区"),        # no 二公台社区 there: the kind is not guessed away
    ("village", CAINIU, "不存在村"),
    ("village", "211224105", "泉头村"),       # 泉头村 is in 泉头镇, not 宝力镇
    ("township", "211202", "张相镇"),         # 张相镇 is in 清河区
    ("township", "211224", "昌图乡"),
])
def test_unknown_places_stay_unknown(level, parent, text):
    assert places.resolve_one(level, parent, text) == (None, None)


def test_a_bare_stem_naming_two_places_is_ambiguous_with_candidates():
    assert places.resolve_one("village", "211224106", "泉头") == (places.AMBIGUOUS, "可能是:泉头社区、泉头村民委员会")
    assert places.resolve_one("village", "211224106", "泉头村")[0] == "211224106206"
    assert places.resolve_one("village", "211224106", "泉头社区")[0] == "211224106001"
    assert places.resolve_one("county", None, "铁岭") == (places.AMBIGUOUS, "可能是:铁岭县、铁岭市(市本级,不是区县)")


# ---------------------------------------------------------------- through the normaliser

def _changtu(village: str, township: str = "泉头镇") -> dict:
    return {"所属区县": "昌图县", "所属乡镇(街道)": township, "所属村(社区)": village}


def test_normaliser_resolves_short_villages_and_quarantines_with_detail(tmp_path):
    n = case_rows(tmp_path, _changtu("泉头村"), _changtu("泉头"), _changtu("泉头新村"), _changtu("林场"),
                  {"所属区县": "铁岭市"}, {"所属区县": "铁岭"})
    assert n.frame["所属村(社区)_code"].to_list() == ["211224106206", None, None, "211224106501", None, None]
    assert n.issues.select("_row", "column", "rule", "value", "detail").rows() == [
        (3, "所属村(社区)", "ambiguous_place", "泉头", "可能是:泉头社区、泉头村民委员会"),
        (4, "所属村(社区)", "unknown_place", "泉头新村", None),
        (6, "所属区县", "city_not_county", "铁岭市", None),
        (7, "所属区县", "ambiguous_place", "铁岭", "可能是:铁岭县、铁岭市(市本级,不是区县)"),
    ]


def test_quarantine_detail_reaches_the_quality_page(tmp_path):
    from dashboard import quality
    from warehouse.publish import run

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = [{**BASE, "案件编号": f"P{i}", **_changtu(v)} for i, v in enumerate(["泉头村", "泉头", "泉头社区"])]
    write_csv(inbox / "人民调解案件_泉头.csv", [CASE_HEADER, *([r[h] for h in CASE_HEADER] for r in rows)])
    path = tmp_path / "w.duckdb"
    report = run(inbox, path, hmac_key=TEST_KEY)
    assert [(f.rows_loaded, f.rows_quarantined) for f in report.files] == [(2, 1)]
    table = quality.quarantine(quality.QuarantineFilter(), path)
    assert table.select("行号", "规则", "值", "说明").rows() == [
        (3, "地名有歧义", "泉头", "可能是:泉头社区、泉头村民委员会")]


def test_an_older_warehouse_gains_the_detail_column(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    try:
        con.execute("CREATE SCHEMA meta")
        con.execute("""CREATE TABLE meta.quarantine (run_id VARCHAR, file_seq INTEGER, file_name VARCHAR,
                       sha256 VARCHAR, dataset VARCHAR, row_number INTEGER, column_name VARCHAR, rule VARCHAR,
                       rule_text VARCHAR, value VARCHAR, county_code VARCHAR)""")
        con.execute("INSERT INTO meta.quarantine (run_id, rule) VALUES ('old', 'required')")
        landing.ensure(con)
        landing.ensure(con)  # twice: the migration is idempotent
        assert con.execute("SELECT run_id, detail FROM meta.quarantine").fetchall() == [("old", None)]
    finally:
        con.close()


# ---------------------------------------------------------------- any text at all

@cache
def _parents() -> dict[str, dict[str, str]]:
    """level -> {code: parent code}."""
    return {"township": dict(reference.townships().select("code", "county_code").iter_rows()),
            "village": dict(reference.villages().select("code", "township_code").iter_rows())}


@cache
def _fragments() -> list[str]:
    """Pieces of real names, prefixes and endings: arbitrary text that often comes close to a real place."""
    names = [*reference.villages()["name"].sample(60, seed=1), *reference.townships()["name"],
             *reference.counties()["name"]]
    return names + [n[:2] for n in names] + ["辽宁省", "铁岭市", "铁岭", "村", "社区", "居委会", "村委会", "街道办事处",
                                            "镇", "乡", "\u3000", " ", "(", "（", "委"]


_TEXT = st.one_of(st.text(max_size=20), st.lists(st.sampled_from(_fragments()), max_size=5).map("".join))


@settings(max_examples=300, deadline=None)
@given(level=st.sampled_from(["township", "village"]), parent_index=st.integers(0, 10_000), text=_TEXT)
def test_any_text_never_raises_nor_leaves_its_parent(level, parent_index, text):
    parents = sorted(set(_parents()[level].values()))
    parent = parents[parent_index % len(parents)]
    code, detail = places.resolve_one(level, parent, text)
    assert code in (None, places.AMBIGUOUS) or _parents()[level][code] == parent
    assert (detail is not None) == (code == places.AMBIGUOUS)
    if detail:
        assert all(_parents()[level][c] == parent for c in _candidates(parent, detail))


@settings(max_examples=200, deadline=None)
@given(text=_TEXT)
def test_any_county_text_never_raises(text):
    code, _ = places.resolve_one("county", None, text)
    assert code in (None, places.AMBIGUOUS, places.CITY, *reference.counties()["code"])
