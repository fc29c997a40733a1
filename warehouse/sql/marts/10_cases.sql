-- grain: one row per case (案件编号) in its latest version: the latest 录入时间, then the later file, then the later row.
-- incremental: staging.mediation_case.case_id
CREATE OR REPLACE TABLE marts.cases AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY case_id) AS versions_loaded,
           row_number() OVER (PARTITION BY case_id ORDER BY entered_at DESC, file_seq DESC, file_row DESC) AS rn
    FROM staging.mediation_case
)
SELECT r.case_id, r.county_code, c.county, r.township_code, t.township, r.village_code,
       r.org_name, r.org_type, r.mediator_id, r.mediator_name_masked,
       r.dispute_type_code, d.dispute_type, d.dispute_category, d.dispute_category_code, d.campaign_domain,
       r.source, r.people_involved, r.people_involved >= 5 AS is_group_dispute, r.amount_yuan,
       r.accepted_date, date_trunc('month', r.accepted_date)::DATE AS accepted_month,
       r.mediated_date, r.outcome, r.outcome <> '调解中' AS is_closed, r.agreement_form, r.performance,
       r.resolution_level, r.is_petition, r.referred_to_police, r.entered_at,
       r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
LEFT JOIN marts.dim_dispute_type d USING (dispute_type_code)
WHERE r.rn = 1;
