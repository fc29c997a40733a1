-- grain: one row per mediator (调解员编号) in its latest version (the file received later wins, then the later row), placed through its organisation.
-- A mediator's county and township are those of the organisation in its 所属组织编码 (marts.orgs); has_known_org is false
-- (and the place empty) when that organisation is not in the 调解组织 export. is_full_time: 专兼职 = 专职.
CREATE OR REPLACE TABLE marts.mediators AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY mediator_id) AS versions_loaded,
           row_number() OVER (PARTITION BY mediator_id ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.mediator
)
SELECT r.mediator_id, r.name_masked, r.sex, r.id_sex, r.id_birth_year, r.id_hash,
       r.employment_type, r.employment_type = '专职' AS is_full_time, r.is_reasoning_facilitator,
       r.induction_training_date, r.annual_training_date,
       r.org_id, o.org_id IS NOT NULL AS has_known_org, o.org_name, o.org_type, o.is_reasoning_point,
       o.county_code, o.county, o.township_code, o.township,
       r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.orgs o USING (org_id)
WHERE r.rn = 1;
