-- grain: one row per county-level unit of 铁岭市 (7 rows), with its 2020 census population.
CREATE OR REPLACE TABLE marts.dim_county AS
SELECT c.code AS county_code, c.name AS county, c.kind, p.population
FROM ref.county c LEFT JOIN ref.population p ON p.code = c.code;
