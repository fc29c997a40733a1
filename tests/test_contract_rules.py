"""One test per row rule per dataset: a valid row of each dataset, broken in exactly one way,
is flagged with exactly that column and rule — and nothing else.

The valid rows come from the generated demo; the rules come from the contract itself, so a
rule added to etl/contract.py gets its test here without writing one.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from etl.contract import DATASETS, INT_RANGE, MONEY_LIMIT, Dataset, max_length, plausible_dates, run_date
from etl.normalise import normalise
from etl.read import read_file
from etl.validate import validate
from tests.conftest import TEST_KEY, write_csv

BAD_ID_CHECKSUM, BAD_ID_FORMAT = "110105194912310021", "11010519491231002"


def _implausible(ds: Dataset, c) -> list[str]:
    """A day before and a day after the column's plausible range, as the column writes it; only the side that cannot
    also break a date order (a 受理日期 after its 调解日期 would break both rules)."""
    earliest, latest = plausible_dates(c, run_date())
    form = "%Y-%m" if c.type == "month" else "%Y-%m-%d"
    before = [(earliest - timedelta(days=32 if c.type == "month" else 1)).strftime(form)] if earliest else []
    after = [(latest + timedelta(days=32 if c.type == "month" else 1)).strftime(form)]
    if any(c.name == later for _, later in ds.date_order):
        return after
    if any(c.name == earlier for earlier, _ in ds.date_order):
        return before
    return before + after


def _cases() -> list[tuple[str, str, str, dict]]:
    """(dataset, column, rule, change to a valid row; a `when` key picks a row where that holds)."""
    out = []
    for ds in DATASETS.values():
        for c in ds.columns:
            # a cell longer than its column accepts, in every column: quarantined however the column is typed
            out.append((ds.key, c.name, "too_long", {c.name: "长" * (max_length(c) + 1)}))
            if c.type in ("date", "datetime", "month"):
                out.extend((ds.key, c.name, "implausible_date", {c.name: v}) for v in _implausible(ds, c))
            if c.type == "int":
                out.append((ds.key, c.name, "out_of_range", {c.name: str(INT_RANGE[1] + 1)}))
            if c.type == "money":
                out.append((ds.key, c.name, "out_of_range", {c.name: str(MONEY_LIMIT)}))
            if c.required:
                out.append((ds.key, c.name, "required", {c.name: ""}))
            if c.type == "enum":
                out.append((ds.key, c.name, "enum", {c.name: "无效取值"}))
            # a negative 受理案件数 is also below its 调解成功数: two rules at once, so only the smaller side
            if c.min is not None and c.name not in {large for _, large in ds.not_greater}:
                out.append((ds.key, c.name, "min_value", {c.name: str(int(c.min) - 1)}))
            if c.max is not None:
                out.append((ds.key, c.name, "max_value", {c.name: str(int(c.max) + 1)}))
            if c.type in ("date", "datetime"):
                out.append((ds.key, c.name, "date_format", {c.name: "2023-02-30"}))
            if c.type == "month":
                out.append((ds.key, c.name, "month_format", {c.name: "2023-13"}))
            if c.type in ("int", "money"):
                out.append((ds.key, c.name, "number_format", {c.name: "若干"}))
            if c.place == "county":
                out.append((ds.key, c.name, "unknown_place", {c.name: "沈阳市"}))
                out.append((ds.key, c.name, "city_not_county", {c.name: "铁岭市"}))
            if c.place == "township":
                out.append((ds.key, c.name, "unknown_place", {c.name: "不存在镇", "when": {c.name: "notnull"}}))
            if c.type in ("id18", "id18_list"):
                out.append((ds.key, c.name, "id18_checksum", {c.name: BAD_ID_CHECKSUM}))
                out.append((ds.key, c.name, "id18_format", {c.name: BAD_ID_FORMAT}))
            if c.type == "phone":
                out.append((ds.key, c.name, "phone_format", {c.name: "12345"}))
            if c.type == "dispute_type":
                out.append((ds.key, c.name, "dispute_type", {c.name: "天外纠纷"}))
        for earlier, later in ds.date_order:
            out.append((ds.key, later, "date_order", {later: "2000-01-01", "when": {earlier: "notnull", later: "notnull"}}))
        for small, large in ds.not_greater:
            out.append((ds.key, small, "not_greater", {small: "999999"}))
        for col, when, values in ds.required_when:
            out.append((ds.key, col, "required_when", {col: "", "when": {when: values}}))
        for col, when, values in ds.empty_when:
            out.append((ds.key, col, "empty_when", {col: "2023-06-01", "when": {when: values}}))
    return out


CASES = _cases()


@pytest.fixture(scope="module")
def valid_rows(demo_inbox) -> dict[str, list[dict]]:
    """Up to 300 valid raw rows (text cells) per dataset, from the generated demo exports."""
    rows: dict[str, list[dict]] = {}
    for path in sorted(demo_inbox.iterdir()):
        if path.name.startswith("."):
            continue
        raw = read_file(path)
        have = rows.setdefault(raw.dataset.key, [])
        if len(have) < 300:
            have.extend(raw.frame.drop("_row").head(300 - len(have)).to_dicts())
    return rows


def _pick(rows: list[dict], when: dict) -> dict:
    for row in rows:
        if all((row.get(c) not in (None, "")) if v == "notnull" else (row.get(c) or "").strip() in v
               for c, v in when.items()):
            return row
    raise AssertionError(f"no demo row where {when}")


def _issues_per_row(ds: Dataset, rows: list[dict], folder) -> list[list[tuple[str, str]]]:
    """All rows in one file (one GX validation per dataset keeps this fast); the issues of each row."""
    header = [c.name for c in ds.columns]
    path = write_csv(folder / f"{ds.prefix}.csv", [header, *([row.get(h) or "" for h in header] for row in rows)])
    norm = normalise(read_file(path), TEST_KEY)
    found: dict[int, list[tuple[str, str]]] = {}
    for r, column, rule in norm.issues.select("_row", "column", "rule").rows():
        found.setdefault(r, []).append((column, rule))
    for r, column, rule in validate(ds.key, norm.frame).issues.select("_row", "column", "rule").rows():
        if column not in {c for c, _ in found.get(r, [])}:
            found.setdefault(r, []).append((column, rule))
    return [found.get(i + 2, []) for i in range(len(rows))]  # data starts on row 2, under the header


@pytest.fixture(scope="module")
def outcomes(valid_rows, tmp_path_factory) -> dict:
    """For every case id: the issues its broken row got, and for every dataset those of 20 valid rows."""
    result = {}
    for key, ds in DATASETS.items():
        mine = [(i, c) for i, c in enumerate(CASES) if c[0] == key]
        rows = []
        for _, (_, _, _, change) in mine:
            change = dict(change)
            when = change.pop("when", {})
            rows.append({**_pick(valid_rows[key], when), **change})
        valid = valid_rows[key][:20]
        issues = _issues_per_row(ds, rows + valid, tmp_path_factory.mktemp(key)) if rows + valid else []
        for (i, _), got in zip(mine, issues):
            result[i] = got
        result[key] = issues[len(rows):]
    return result


def test_every_dataset_has_its_rule_cases():
    assert {key for key, *_ in CASES} == set(DATASETS)
    assert len(CASES) > 150


@pytest.mark.parametrize("key", sorted(DATASETS))
def test_the_valid_rows_are_valid(valid_rows, outcomes, key):
    assert valid_rows[key]
    assert all(issues == [] for issues in outcomes[key])


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{k}-{c}-{r}" for k, c, r, _ in CASES])
def test_one_broken_rule_is_reported_exactly(outcomes, index):
    _, column, rule, _ = CASES[index]
    assert outcomes[index] == [(column, rule)]
