"""Official reference data bundled in warehouse/reference (copied from the bureau's shared data)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "reference"
CITY_CODE = "211200"
CITY_NAME = "铁岭市"


def _read(name: str) -> pl.DataFrame:
    return pl.read_csv(REFERENCE_DIR / name, infer_schema=False)


@cache
def counties() -> pl.DataFrame:
    """code, name, kind (7 rows)."""
    return _read("tieling_counties.csv")


@cache
def townships() -> pl.DataFrame:
    """code, name, county_code, kind (106 rows)."""
    return _read("tieling_townships.csv")


@cache
def villages() -> pl.DataFrame:
    """code, name, township_code, county_code, kind (1,471 rows)."""
    return _read("tieling_villages.csv").drop("urban_rural_type")


@cache
def population() -> pl.DataFrame:
    """code, name, population (7 counties; the city total row is left out)."""
    return (_read("tieling_population_2020.csv").filter(pl.col("code") != CITY_CODE)
            .select("code", "name", pl.col("resident_population_2020").cast(pl.Int64).alias("population")))


@cache
def dispute_types() -> pl.DataFrame:
    """code, name, parent_code, aliases (| separated), campaign_domain."""
    return _read("dispute_types.csv")
