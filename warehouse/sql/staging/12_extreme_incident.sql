-- grain: one row per personal extreme incident row loaded from any 个人极端案事件 export file (every version of every incident).
CREATE OR REPLACE TABLE staging.extreme_incident AS
SELECT
    "事件编号"                         AS incident_id,
    "所属区县_code"                    AS county_code,
    "所属乡镇(街道)_code"              AS township_code,
    CAST("发生日期" AS DATE)           AS occurred_date,
    "是否因排查化解不到位引发" = '是'  AS is_due_to_poor_dispute_work,
    "是否刑释解矫人员帮教期内" = '是'  AS is_by_released_person_in_assistance,
    "简要情况"                         AS summary,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.extreme_incident;
