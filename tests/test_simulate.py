"""The demo generator follows the export contract, is deterministic, and has the promised shape."""
from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from etl.normalise import normalise
from etl.read import read_file
from etl.simulate import generate
from tests.conftest import TEST_KEY


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim1")
    return out, generate(out, seed=2023, scale=1.0)


def test_files_formats_and_encodings(demo_inbox):
    from etl.contract import DATASETS
    from etl.read import dataset_from_name

    files = [p.name for p in demo_inbox.iterdir() if not p.name.startswith(".")]
    assert {dataset_from_name(n).key for n in files} == set(DATASETS)  # all twelve datasets
    assert any(read_file(demo_inbox / n).rows_read == 0 for n in files)  # an empty export
    names = sorted(n for n in files if n.startswith("人民调解案件") or n.startswith("人民调解统计月报"))
    assert names == [f"人民调解案件_2023Q{q}.{ext}" for q, ext in zip("1234", ("xlsx", "csv", "csv", "xlsx"))] + \
                    [f"人民调解统计月报_2023Q{q}.{ext}" for q, ext in zip("1234", ("csv", "xlsx", "csv", "xlsx"))]
    gb = (demo_inbox / "人民调解案件_2023Q2.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    assert (demo_inbox / "人民调解案件_2023Q3.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_file(demo_inbox / "人民调解案件_2023Q4.xlsx").sheet == "人民调解案件"


def test_every_file_follows_the_contract(demo_inbox):
    """Read back through the reader: headers are the contract's, and nothing breaks a typing rule."""
    from etl.validate import validate

    for path in sorted(p for p in demo_inbox.iterdir() if not p.name.startswith(".")):
        raw = read_file(path)
        assert set(raw.frame.columns) - {"_row"} == {c.name for c in raw.dataset.columns}, path.name
        norm = normalise(raw, TEST_KEY)
        assert norm.issues.is_empty(), (path.name, norm.issues.head())
        assert validate(raw.dataset.key, norm.frame).issues.is_empty(), path.name


def _cases(inbox) -> pl.DataFrame:
    frames = []
    for path in sorted(inbox.glob("人民调解案件_*")):
        frame = normalise(read_file(path), TEST_KEY).frame
        frames.append(frame.with_columns(pl.lit(path.name).alias("file")))
    return pl.concat(frames, how="diagonal_relaxed")


def test_case_rules_and_updates(demo_inbox):
    cases = _cases(demo_inbox)
    assert (cases["调解日期"].is_null() == (cases["调解结果"] == "调解中")).all()
    assert (cases.filter(pl.col("调解日期").is_not_null())["调解日期"] >=
            cases.filter(pl.col("调解日期").is_not_null())["受理日期"]).all()
    assert (cases["录入时间"].dt.date() >= cases["受理日期"]).all()
    assert cases["受理日期"].min() >= date(2023, 3, 1) and cases["受理日期"].max() <= date(2023, 12, 31)
    # a case exported while 调解中 comes back later with a result and a later 录入时间
    versions = cases.unique(["案件编号", "录入时间"]).group_by("案件编号").agg(
        pl.col("调解结果").sort_by("录入时间"), pl.col("录入时间").sort(), pl.col("file").sort_by("录入时间"))
    updated = versions.filter(pl.col("调解结果").list.len() > 1)
    assert updated.height > 0
    for row in updated.head(20).iter_rows(named=True):
        assert row["调解结果"][0] == "调解中" and row["调解结果"][-1] != "调解中"
        assert row["file"][0] < row["file"][-1]
    # identical rows exported twice in one file
    assert cases.select("案件编号", "录入时间", "file").is_duplicated().any()


def test_volume_mix_and_county_differences(full):
    out, summary = full
    assert 15_000 <= summary["cases_entered"] <= 18_000
    manifest = json.loads((out / ".simulate-manifest.json").read_text(encoding="utf-8"))
    rates = {name: c["cases_entered"] / c["cases_reported"] for name, c in manifest["counties"].items()}
    assert 0.75 <= rates["西丰县"] <= 0.85
    assert rates["调兵山市"] > 1.0
    assert all(0.88 <= r <= 1.0 for n, r in rates.items() if n not in ("西丰县", "调兵山市"))
    cases = _cases(out)
    share = cases.unique("案件编号")["纠纷类型_code"].value_counts(normalize=True)
    share = dict(zip(share["纠纷类型_code"], share["proportion"]))
    assert 0.26 <= share["02"] <= 0.34 and 0.15 <= share["01"] <= 0.23  # 邻里, 婚姻家庭
    land = cases.unique("案件编号").group_by("所属区县_code").agg((pl.col("纠纷类型_code") == "07").mean().alias("land"))
    land = dict(land.iter_rows())
    assert land["211224"] > 0.08 > 0.01 > land["211202"]  # 昌图县 rural, 银州区 urban


def test_scale_multiplies_volume(tmp_path):
    small = generate(tmp_path / "a", seed=1, scale=0.05)["cases_total"]
    larger = generate(tmp_path / "b", seed=1, scale=0.2)["cases_total"]
    assert larger == pytest.approx(4 * small, rel=0.1)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    for d, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(tmp_path / d, seed=seed, scale=0.03)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert any((tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes() for f in files)


def test_monthly_reports_match_the_world(full):
    out, summary = full
    frames = [normalise(read_file(p), TEST_KEY).frame for p in sorted(out.glob("人民调解统计月报_*"))]
    reports = pl.concat(frames)
    assert reports.height == 106 * 10  # every township, every campaign month
    assert (reports["调解成功数"] <= reports["受理案件数"]).all()
    per_county = dict(reports.group_by("所属区县_code").agg(pl.col("受理案件数").sum()).iter_rows())
    assert per_county == {c["county_code"]: c["cases_reported"] for c in summary["counties"].values()}
