-- grain: one row per township-level unit (乡/镇/街道) of 铁岭市 (106 rows).
CREATE OR REPLACE TABLE marts.dim_township AS
SELECT t.code AS township_code, t.name AS township, t.county_code, c.name AS county, t.kind
FROM ref.township t JOIN ref.county c ON c.code = t.county_code;
