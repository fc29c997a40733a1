-- grain: one row per county × township × 统计日期 of the 慧评理 cumulative registration count, in its latest version (the file received later wins, then the later row).
CREATE OR REPLACE TABLE marts.app_registrations AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY county_code, township_code, stat_date) AS versions_loaded,
           row_number() OVER (PARTITION BY county_code, township_code, stat_date
                              ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.app_registration
)
SELECT r.county_code, c.county, r.township_code, t.township, r.stat_date, r.cumulative_registrations,
       r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
WHERE r.rn = 1;
