-- grain: one row per county × township × month of the statistical monthly report, in the version of the latest file.
CREATE OR REPLACE TABLE marts.monthly_reports AS
SELECT county_code, township_code, report_month, cases_accepted, cases_succeeded, file_seq, file_row
FROM staging.monthly_case_report
QUALIFY row_number() OVER (PARTITION BY county_code, township_code, report_month
                           ORDER BY file_seq DESC, file_row DESC) = 1;
