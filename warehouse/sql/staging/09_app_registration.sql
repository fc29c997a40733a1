-- grain: one row per 慧评理 registration count row loaded from any 慧评理注册 export file (every version).
CREATE OR REPLACE TABLE staging.app_registration AS
SELECT
    "所属区县_code"                    AS county_code,
    "所属乡镇(街道)_code"              AS township_code,
    CAST("统计日期" AS DATE)           AS stat_date,
    CAST("累计注册人数" AS BIGINT)     AS cumulative_registrations,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.app_registration;
