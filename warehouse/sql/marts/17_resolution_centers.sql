-- grain: one row per dispute resolution centre (中心名称) in its latest version (the file received later wins, then the later row).
-- Whether a centre meets the plan is scoring's (sql/scoring/center_build.sql): the deadlines and staffing are the rubric's.
CREATE OR REPLACE TABLE marts.resolution_centers AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY center_name) AS versions_loaded,
           row_number() OVER (PARTITION BY center_name ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.resolution_center
)
SELECT r.center_name, r.center_level, r.center_level = '县级' AS is_county_level,
       r.county_code, c.county, r.township_code, t.township,
       r.built_date, r.inaugurated_date, r.full_time_mediators,
       r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
WHERE r.rn = 1;
