-- grain: one row per judicial office (司法所名称) in its latest version (the file received later wins, then the later row), with the plan deadlines of the star-office campaign.
-- is_plan_on_time: 创建计划 sent by 2023-03-20; is_evidence_on_time: 佐证材料 sent by 2023-06-20 (a date equal to the
-- deadline is on time, an empty date is not); is_star_on_time: both. Scoring may move a deadline to its as-of date.
CREATE OR REPLACE TABLE marts.judicial_offices AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY office_name) AS versions_loaded,
           row_number() OVER (PARTITION BY office_name ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.judicial_office
), flagged AS (
    SELECT *, DATE '2023-03-20' AS plan_due_date, DATE '2023-06-20' AS evidence_due_date,
           coalesce(plan_submitted_date <= DATE '2023-03-20', false) AS is_plan_on_time,
           coalesce(evidence_submitted_date <= DATE '2023-06-20', false) AS is_evidence_on_time
    FROM ranked WHERE rn = 1
)
SELECT f.office_name, f.county_code, c.county, f.township_code, t.township,
       f.current_star_level, f.applied_star_level,
       f.plan_submitted_date, f.plan_due_date, f.is_plan_on_time,
       f.evidence_submitted_date, f.evidence_due_date, f.is_evidence_on_time,
       f.is_plan_on_time AND f.is_evidence_on_time AS is_star_on_time,
       f.acceptance_result, f.versions_loaded, f.file_seq, f.file_row
FROM flagged f
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code);
