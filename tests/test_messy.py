"""The --messy demo: every planted problem is reported exactly as the manifest says, nothing else is lost."""
from __future__ import annotations

import re

import duckdb
import polars as pl

from etl import reference
from etl.normalise import normalise
from etl.read import FileRefused, header_key, read_file
from tests.conftest import TEST_KEY, fetch




def test_every_planted_bad_row_is_quarantined_exactly(messy_inbox, messy_warehouse):
    _, manifest = messy_inbox
    planted = {(r["file"], r["row"], r["column"], r["rule"]) for r in manifest["bad_rows"]}
    found = set(fetch(messy_warehouse, "SELECT file_name, row_number, column_name, rule FROM meta.quarantine"))
    assert found == planted
    assert len(planted) == len(manifest["bad_rows"]) >= 17
    rules = {r["rule"] for r in manifest["bad_rows"]}
    assert {"required", "enum", "unknown_place", "id18_checksum", "id18_format", "date_order", "min_value",
            "not_greater"} <= rules


def test_bad_files_are_refused_or_recognised(messy_inbox, messy_warehouse):
    _, manifest = messy_inbox
    files = {r[0]: r[1:] for r in fetch(messy_warehouse, "SELECT file_name, status, reason, dataset "
                                                         "FROM meta.load_file")}
    for bad in manifest["bad_files"]:
        status, reason, dataset = files[bad["file"]]
        assert (status, dataset) == (bad["status"], bad["dataset"]) and bad["reason"] in reason, (bad, status, reason)


def test_nothing_else_is_lost(messy_inbox, messy_warehouse):
    _, manifest = messy_inbox
    bad_per_file: dict[str, int] = {}
    for r in manifest["bad_rows"]:
        bad_per_file[r["file"]] = bad_per_file.get(r["file"], 0) + 1
    loaded = {r[0]: r[1:] for r in fetch(messy_warehouse, "SELECT file_name, status, rows_read, rows_loaded, "
                                                       "rows_quarantined FROM meta.load_file")}
    for f in manifest["files"]:
        status, read, ok, bad = loaded[f["file"]]
        assert (status, read, bad, ok) == ("loaded", f["rows"], bad_per_file.get(f["file"], 0),
                                           f["rows"] - bad_per_file.get(f["file"], 0)), f["file"]
    landed = sum(n for (n,) in fetch(messy_warehouse, " UNION ALL ".join(
        f"SELECT count(*) FROM landing.{d}" for d in {f['dataset'] for f in manifest['files']})))
    assert landed == sum(f["rows"] for f in manifest["files"]) - len(manifest["bad_rows"])


def test_every_tolerated_variation_is_exercised_and_loads(messy_inbox, messy_warehouse):
    _, manifest = messy_inbox
    assert sorted(int(k) for k in manifest["variations"]) == list(range(1, 11))
    statuses = dict(fetch(messy_warehouse, "SELECT file_name, status FROM meta.load_file"))
    for number, files in manifest["variations"].items():
        assert files and all(statuses[f] == "loaded" for f in files), number


def _place_cells(inbox, start: str, column: str) -> list[str]:
    path = next(p for p in inbox.iterdir() if p.name.startswith(start))
    return read_file(path).frame[column].drop_nulls().to_list()


def test_place_names_are_written_as_clerks_write_them(messy_inbox):
    """Variation 4 beyond counties: villages short, as committees or after their township; townships as
    …街道办事处 or after their county; stray and full-width spaces. (That they all load, and nothing else is
    quarantined, is test_every_planted_bad_row_is_quarantined_exactly.)"""
    inbox, manifest = messy_inbox
    official = set(reference.villages()["name"])
    townships = set(reference.townships()["name"])
    short = _place_cells(inbox, "人民调解案件_2023Q1", "所属村(社区)")
    unofficial = [v for v in short if v not in official]
    assert len(unofficial) > len(short) / 2 and all(v.endswith(("村", "社区")) for v in unofficial)
    assert any(t.endswith("街道办事处") for t in _place_cells(inbox, "人民调解案件_2023Q1", "所属乡镇(街道)"))
    committees = [header_key(v) for v in _place_cells(inbox, "人民调解案件_2023Q2", "所属村(社区)")]
    assert sum(v.endswith(("村委会", "居委会")) for v in committees) > len(committees) / 2
    prefixed = _place_cells(inbox, "人民调解案件_2023Q3", "所属村(社区)")
    assert sum(any(v.startswith(t) for t in townships) for v in prefixed) > len(prefixed) / 4
    counties = set(reference.counties()["name"])
    county_prefixed = _place_cells(inbox, "人民调解案件_2023Q3", "所属乡镇(街道)")
    assert sum(t[:3] in counties or t[:4] in counties for t in county_prefixed) > len(county_prefixed) / 2
    spaced = _place_cells(inbox, "调解组织_2023年度", "所属村(社区)")
    assert any("\u3000" in v for v in spaced) and any(" " in v.strip() for v in spaced)
    assert {"人民调解案件_2023Q1.xlsx", "调解组织_2023年度.xlsx"} <= set(manifest["variations"]["4"])


def _clear_names(inbox) -> set[str]:
    """Every clear name the generator wrote into a name column."""
    names: set[str] = set()
    for path in inbox.iterdir():
        if path.name.startswith("."):
            continue
        try:
            raw = read_file(path)
        except FileRefused:
            continue
        for c in raw.dataset.columns:
            if c.type in ("name", "name_list") and c.name in raw.frame.columns:
                for cell in raw.frame[c.name].drop_nulls():
                    names.update(n.strip() for n in cell.split("、") if n.strip())
    return names


# Bounded by anything but a hex digit: a run of digits inside an HMAC (pure hex) is not a number. Digits may be grouped
# by spaces or dashes anywhere (110105 19491231 002X, 110105-1949-1231-002x, 139 1234 5678); a mobile may follow +86.
SEP = r"[\s\-－–—]{0,3}"
ID_PATTERN = re.compile(rf"(^|[^0-9a-fA-F])\d(?:{SEP}\d){{14}}(?:(?:{SEP}\d){{2}}{SEP}[\dXx])?([^0-9a-fA-F]|$)")
PHONE_PATTERN = re.compile(rf"(^|[^0-9a-fA-F])(?:(?:\+|00)?86{SEP})?1{SEP}[3-9](?:{SEP}\d){{9}}([^0-9a-fA-F]|$)")
SEPARATORS = r"[\s\-－–—]"


def test_personal_data_is_planted_where_clerks_write_it(messy_inbox):
    """The messy exports carry identity and mobile numbers in free text, names and shifted columns: in valid rows
    (they load) and in bad rows (they are quarantined)."""
    inbox, manifest = messy_inbox
    planted = manifest["personal_data"]
    assert {(p["dataset"], p["column"]) for p in planted if p["rule"] is None} >= {
        ("extreme_incident", "简要情况"), ("county_submission", "备注"), ("mediation_org", "组织名称"),
        ("inmate_verification", "监狱名称"), ("mediation_case", "调解组织名称")}
    assert {p["rule"] for p in planted if p["rule"]} >= {"enum", "unknown_place"}
    numbers = [n for p in planted for n in p["numbers"]]
    assert {len(n) for n in numbers} == {11, 15, 18} and any(n.endswith("X") for n in numbers)
    texts = [p["text"] for p in planted]
    assert any(" " in t for t in texts) and any("-" in t for t in texts) and any("+86" in t for t in texts)
    bad = {(r["file"], r["row"], r["column"], r["rule"]) for r in manifest["bad_rows"]}
    assert all(((p["file"], p["row"], p["column"], p["rule"]) in bad) == bool(p["rule"]) for p in planted)
    for p in planted:   # as written in the file
        raw = read_file(inbox / p["file"]).frame
        assert raw.filter(pl.col("_row") == p["row"])[p["column"]].to_list() == [p["text"]], p


def test_no_personal_data_in_clear_anywhere(messy_inbox, messy_warehouse):
    inbox, manifest = messy_inbox
    names = _clear_names(inbox)
    assert len(names) > 1000
    planted = [n for p in manifest["personal_data"] for n in p["numbers"]]
    con = duckdb.connect(str(messy_warehouse), read_only=True)
    try:
        columns = con.execute("""SELECT schema_name, table_name, column_name FROM duckdb_columns()
                                 WHERE database_name = current_database()""").fetchall()
        scanned, rows = 0, []      # every distinct value of every column, as text, beside the column's name
        for schema, table, column in columns:
            rows += con.execute(f'SELECT DISTINCT CAST("{column}" AS VARCHAR), ? FROM "{schema}"."{table}" '
                                f'WHERE "{column}" IS NOT NULL', [f"{schema}.{table}.{column}"]).fetchall()
            scanned += 1
        values = pl.DataFrame(rows, schema={"value": pl.String, "where": pl.String}, orient="row")

        def columns_where(found: pl.Expr) -> list[str]:
            return sorted(values.filter(found)["where"].unique())

        assert columns_where(pl.col("value").str.contains(ID_PATTERN.pattern)) == []
        assert columns_where(pl.col("value").str.contains(PHONE_PATTERN.pattern)) == []
        assert columns_where(pl.col("value").is_in(list(names))) == []
        # the planted numbers in any form: separators dropped, x upper-cased
        assert columns_where(pl.col("value").str.replace_all(SEPARATORS, "").str.to_uppercase()
                             .str.contains_any(planted)) == []
        # what was planted arrived, masked: in the landed row of a valid one, in the quarantined value of a bad one
        for p in manifest["personal_data"]:
            if p["rule"] is None:
                (stored,), = con.execute(
                    f"""SELECT "{p['column']}" FROM landing.{p['dataset']} JOIN meta.load_file f
                        ON f.file_seq = _file_seq AND f.run_id = _run_id WHERE f.file_name = ? AND _row = ?""",
                    [p["file"], p["row"]]).fetchall()
            else:
                (stored,), = con.execute("""SELECT value FROM meta.quarantine
                                            WHERE file_name = ? AND row_number = ? AND column_name = ?""",
                                         [p["file"], p["row"], p["column"]]).fetchall()
            assert all(m in stored for m in p["masked"]), (p, stored)
    finally:
        con.close()
    assert scanned > 100


def test_sex_and_birth_year_come_from_valid_ids(messy_warehouse):
    rows = fetch(messy_warehouse, """SELECT "身份证号_sex", "身份证号_birth_year" FROM landing.released_person
                                  WHERE "身份证号_hmac" IS NOT NULL""")
    assert rows and all(sex in ("男", "女") and 1940 <= year <= 2005 for sex, year in rows)


def test_refused_file_reasons_name_the_problem(tmp_path):
    path = tmp_path / "人民调解案件.xlsx"
    path.write_bytes(b"<html></html>")
    try:
        read_file(path)
    except FileRefused as exc:
        assert "不是Excel文件" in str(exc)
    frame = normalise(read_file(_csv(tmp_path)), TEST_KEY).frame
    assert frame.height == 0


def _csv(tmp_path):
    from tests.conftest import write_csv
    return write_csv(tmp_path / "个人极端案事件.csv", [["事件编号", "所属区县", "发生日期", "是否因排查化解不到位引发"]])


def test_the_scan_patterns_would_catch_personal_data():
    for text in ("11010519491231002X", "当事人:110105 19491231 002x", "110105-19491231-002x", "110105 1949 1231 002X",
                 "110105491231002", "身份证 110105-491231-002"):
        assert ID_PATTERN.search(text), text
    for text in ("电话13912345678", "139 1234 5678", "139-1234-5678", "+86 139 1234 5678", "8613912345678"):
        assert PHONE_PATTERN.search(text), text
    assert not PHONE_PATTERN.search("139****5678") and not PHONE_PATTERN.search("139********")
    assert not ID_PATTERN.search("110105************")
    assert not ID_PATTERN.search("ab11010519491231002123ef")  # digits inside a hash
