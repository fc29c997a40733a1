-- grain: one row per milestone row loaded from any 工作报送台账 export file (every version).
CREATE OR REPLACE TABLE staging.county_submission AS
SELECT
    "所属区县_code"                    AS county_code,
    "报送事项"                         AS milestone,
    CAST("完成日期" AS DATE)           AS completed_date,      -- a datetime counts as its day
    "备注"                             AS remark,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.county_submission;
