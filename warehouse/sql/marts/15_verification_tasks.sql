-- grain: one row per inmate verification task (核查编号) in its latest version (the file received later wins, then the later row), placed in its 户籍地 county and township.
-- is_verified: 核查状态 = 已核查; is_verified_successfully: verified with 核查结果 = 核查成功; days_to_feedback: 反馈日期 − 下发日期.
-- id_hash joins the same person in marts.released_persons.
CREATE OR REPLACE TABLE marts.verification_tasks AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY task_id) AS versions_loaded,
           row_number() OVER (PARTITION BY task_id ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.inmate_verification
)
SELECT r.task_id, r.prison_name, r.inmate_name_masked, r.id_hash, r.id_sex, r.id_birth_year,
       r.county_code, c.county, r.township_code, t.township,
       r.issued_date, r.feedback_date, r.feedback_date - r.issued_date AS days_to_feedback,
       r.verification_status, r.verification_result,
       r.verification_status = '已核查' AS is_verified,
       coalesce(r.verification_status = '已核查' AND r.verification_result = '核查成功', false) AS is_verified_successfully,
       r.expected_release_date, r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
WHERE r.rn = 1;
