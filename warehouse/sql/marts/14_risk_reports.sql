-- grain: one row per county × township × month of the risk-warning monthly report, in its latest version (the file received later wins, then the later row).
-- due_date: the 5th of the month after report_month; is_on_time: 报送日期 ≤ due_date (a report sent on the 5th is on time).
-- Townships that sent no report for a month have no row here: scoring counts them as due and late.
CREATE OR REPLACE TABLE marts.risk_reports AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY county_code, township_code, report_month) AS versions_loaded,
           row_number() OVER (PARTITION BY county_code, township_code, report_month
                              ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.risk_report
), dated AS (
    SELECT *, CAST(date_trunc('month', report_month) + INTERVAL 1 MONTH + INTERVAL 4 DAY AS DATE) AS due_date
    FROM ranked WHERE rn = 1
)
SELECT d.county_code, c.county, d.township_code, t.township, d.report_month,
       d.screenings, d.disputes_found, d.high_risk_hazards, d.medium_risk_hazards, d.low_risk_hazards,
       d.resolved, d.under_control, d.referred_to_police, d.reported_to_party_government,
       d.submitted_date, d.due_date, d.submitted_date <= d.due_date AS is_on_time,
       d.versions_loaded, d.file_seq, d.file_row
FROM dated d
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code);
