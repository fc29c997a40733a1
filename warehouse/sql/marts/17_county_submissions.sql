-- grain: one row per county × 工作报送台账 milestone that the ledger holds, in its latest version (the file received later wins, then the later row).
-- A milestone the ledger lacks has no row here. Its due date, and whether it was done on time, are scoring's
-- (sql/scoring/timely_submission_rate.sql): the deadlines are the rubric's.
CREATE OR REPLACE TABLE marts.county_submissions AS
SELECT l.county_code, c.county, l.milestone, l.completed_date, l.remark,
       count(*) OVER (PARTITION BY l.county_code, l.milestone) AS versions_loaded, l.file_seq, l.file_row
FROM staging.county_submission l
LEFT JOIN marts.dim_county c USING (county_code)
QUALIFY row_number() OVER (PARTITION BY l.county_code, l.milestone ORDER BY l.file_seq DESC, l.file_row DESC) = 1;
