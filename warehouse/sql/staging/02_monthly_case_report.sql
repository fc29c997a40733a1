-- grain: one row per monthly statistical report row loaded from any export file (every version).
CREATE OR REPLACE TABLE staging.monthly_case_report AS
SELECT
    "所属区县_code"                AS county_code,
    "所属乡镇(街道)_code"          AS township_code,
    CAST("统计月份" AS DATE)       AS report_month,
    CAST("受理案件数" AS INTEGER)  AS cases_accepted,
    CAST("调解成功数" AS INTEGER)  AS cases_succeeded,
    _run_id                        AS run_id,
    _file_seq                      AS file_seq,
    _row                           AS file_row
FROM landing.monthly_case_report;
