-- grain: one row per released person (人员编号) in the latest version (the file received later wins, then the later row), placed in the 户籍地 county and township.
-- assistance_end_date: the end of the five-year 帮教期 (释放日期 + 5 years); is_escorted_handover: 衔接方式 = 必接必送;
-- is_lost_contact: 帮教情况 脱管 or 漏管. id_hash joins the same person in marts.verification_tasks.
CREATE OR REPLACE TABLE marts.released_persons AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY person_id) AS versions_loaded,
           row_number() OVER (PARTITION BY person_id ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.released_person
)
SELECT r.person_id, r.name_masked, r.id_hash, r.sex, r.id_sex, r.id_birth_year, r.offence_category,
       r.county_code, c.county, r.township_code, t.township,
       r.released_date, CAST(r.released_date + INTERVAL 5 YEAR AS DATE) AS assistance_end_date,
       r.handover_method, r.handover_method = '必接必送' AS is_escorted_handover, r.handover_date,
       r.is_key_person, r.resettlement_status, r.assistance_status,
       r.assistance_status IN ('脱管', '漏管') AS is_lost_contact,
       r.risk_level, r.is_away_from_registered_residence,
       r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
WHERE r.rn = 1;
