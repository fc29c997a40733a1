-- grain: one row per loaded version of a case (each 人民调解案件 row of any file), with the file it came from and its place in the case's history.
-- incremental: staging.mediation_case.case_id
-- version_no counts from 1 in the order of marts.cases' latest-version rule reversed (录入时间, then file received, then
-- row in the file), so is_current (version_no = versions_loaded) marks exactly the version kept in marts.cases.
-- changed_columns lists what differs from the previous version (NULL for the first; empty for an identical copy).
CREATE OR REPLACE TABLE marts.case_history AS
WITH ordered AS (
    SELECT s.*,
           count(*) OVER (PARTITION BY case_id)
             - row_number() OVER (PARTITION BY case_id ORDER BY entered_at DESC, file_seq DESC, file_row DESC) + 1 AS version_no,
           count(*) OVER (PARTITION BY case_id) AS versions_loaded
    FROM staging.mediation_case s
), compared AS (
    SELECT o.*,
           CASE WHEN version_no > 1 THEN list_filter([
               CASE WHEN county_code IS DISTINCT FROM lag(county_code) OVER w THEN 'county_code' END,
               CASE WHEN township_code IS DISTINCT FROM lag(township_code) OVER w THEN 'township_code' END,
               CASE WHEN village_code IS DISTINCT FROM lag(village_code) OVER w THEN 'village_code' END,
               CASE WHEN org_name IS DISTINCT FROM lag(org_name) OVER w THEN 'org_name' END,
               CASE WHEN org_type IS DISTINCT FROM lag(org_type) OVER w THEN 'org_type' END,
               CASE WHEN mediator_id IS DISTINCT FROM lag(mediator_id) OVER w THEN 'mediator_id' END,
               CASE WHEN dispute_type_code IS DISTINCT FROM lag(dispute_type_code) OVER w THEN 'dispute_type_code' END,
               CASE WHEN source IS DISTINCT FROM lag(source) OVER w THEN 'source' END,
               CASE WHEN people_involved IS DISTINCT FROM lag(people_involved) OVER w THEN 'people_involved' END,
               CASE WHEN amount_yuan IS DISTINCT FROM lag(amount_yuan) OVER w THEN 'amount_yuan' END,
               CASE WHEN accepted_date IS DISTINCT FROM lag(accepted_date) OVER w THEN 'accepted_date' END,
               CASE WHEN mediated_date IS DISTINCT FROM lag(mediated_date) OVER w THEN 'mediated_date' END,
               CASE WHEN outcome IS DISTINCT FROM lag(outcome) OVER w THEN 'outcome' END,
               CASE WHEN agreement_form IS DISTINCT FROM lag(agreement_form) OVER w THEN 'agreement_form' END,
               CASE WHEN performance IS DISTINCT FROM lag(performance) OVER w THEN 'performance' END,
               CASE WHEN resolution_level IS DISTINCT FROM lag(resolution_level) OVER w THEN 'resolution_level' END,
               CASE WHEN is_petition IS DISTINCT FROM lag(is_petition) OVER w THEN 'is_petition' END,
               CASE WHEN referred_to_police IS DISTINCT FROM lag(referred_to_police) OVER w THEN 'referred_to_police' END,
               CASE WHEN entered_at IS DISTINCT FROM lag(entered_at) OVER w THEN 'entered_at' END
           ], lambda x: x IS NOT NULL) END AS changed_columns
    FROM ordered o
    WINDOW w AS (PARTITION BY case_id ORDER BY version_no)
)
SELECT c.case_id, c.version_no, c.versions_loaded, c.version_no = c.versions_loaded AS is_current,
       c.entered_at, f.file_name, f.run_id, c.file_seq, c.file_row, c.changed_columns,
       c.county_code, c.township_code, c.village_code, c.org_name, c.org_type, c.mediator_id, c.mediator_name_masked,
       c.dispute_type_code, c.source, c.people_involved, c.amount_yuan, c.accepted_date, c.mediated_date,
       c.outcome, c.agreement_form, c.performance, c.resolution_level, c.is_petition, c.referred_to_police
FROM compared c
LEFT JOIN meta.load_file f ON f.file_seq = c.file_seq
ORDER BY c.case_id, c.version_no;
