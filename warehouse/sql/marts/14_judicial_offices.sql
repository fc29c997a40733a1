-- grain: one row per judicial office (司法所名称) in its latest version (the file received later wins, then the later row).
-- Whether the star-office plan and evidence came on time is scoring's (sql/scoring/star_office.sql): the deadlines are the rubric's.
CREATE OR REPLACE TABLE marts.judicial_offices AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY office_name) AS versions_loaded,
           row_number() OVER (PARTITION BY office_name ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.judicial_office
)
SELECT r.office_name, r.county_code, c.county, r.township_code, t.township,
       r.current_star_level, r.applied_star_level, r.plan_submitted_date, r.evidence_submitted_date,
       r.acceptance_result, r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
WHERE r.rn = 1;
