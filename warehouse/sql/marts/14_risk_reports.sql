-- grain: one row per county × township × month of the risk-warning monthly report, in its latest version (the file received later wins, then the later row).
-- Townships that sent no report for a month have no row here. When a report is due and whether it came on time is
-- scoring's (sql/scoring/timely_submission_rate.sql): the due day is the rubric's.
CREATE OR REPLACE TABLE marts.risk_reports AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY county_code, township_code, report_month) AS versions_loaded,
           row_number() OVER (PARTITION BY county_code, township_code, report_month
                              ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.risk_report
)
SELECT d.county_code, c.county, d.township_code, t.township, d.report_month,
       d.screenings, d.disputes_found, d.high_risk_hazards, d.medium_risk_hazards, d.low_risk_hazards,
       d.resolved, d.under_control, d.referred_to_police, d.reported_to_party_government,
       d.submitted_date, d.versions_loaded, d.file_seq, d.file_row
FROM ranked d
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
WHERE d.rn = 1;
