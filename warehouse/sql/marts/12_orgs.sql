-- grain: one row per mediation organisation (组织编码) in its latest version (the file received later wins, then the later row), with county, township and village names.
-- is_reasoning_point: the organisation is a 村(居)民评理说事点 (indicator 5 of the scoring);
-- versions_loaded: rows loaded for the organisation over all files.
CREATE OR REPLACE TABLE marts.orgs AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY org_id) AS versions_loaded,
           row_number() OVER (PARTITION BY org_id ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.mediation_org
)
SELECT r.org_id, r.org_name, r.org_type, r.org_type = '村(居)民评理说事点' AS is_reasoning_point,
       r.county_code, c.county, r.township_code, t.township, r.village_code, v.name AS village,
       r.founded_date, r.is_inaugurated, r.inaugurated_date, r.full_time_mediators, r.part_time_mediators,
       r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
LEFT JOIN ref.village v ON v.code = r.village_code
WHERE r.rn = 1;
