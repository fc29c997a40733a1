-- grain: one row per judicial office (司法所) row loaded from any 司法所 export file (every version of every office).
CREATE OR REPLACE TABLE staging.judicial_office AS
SELECT
    "司法所名称"                       AS office_name,
    "所属区县_code"                    AS county_code,
    "所属乡镇(街道)_code"              AS township_code,
    CAST("现有星级" AS INTEGER)        AS current_star_level,
    CAST("申报星级" AS INTEGER)        AS applied_star_level,
    CAST("创建计划报送日期" AS DATE)   AS plan_submitted_date,
    CAST("佐证材料报送日期" AS DATE)   AS evidence_submitted_date,
    "验收结果"                         AS acceptance_result,   -- 通过 | 未通过 | 待验收
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.judicial_office;
