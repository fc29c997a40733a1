-- grain: one row per mediation organisation row loaded from any 调解组织 export file (every version of every organisation).
CREATE OR REPLACE TABLE staging.mediation_org AS
SELECT
    "组织编码"                         AS org_id,
    "组织名称"                         AS org_name,
    "组织类型"                         AS org_type,
    "所属区县_code"                    AS county_code,
    "所属乡镇(街道)_code"              AS township_code,
    "所属村(社区)_code"                AS village_code,
    CAST("成立日期" AS DATE)           AS founded_date,
    "是否挂牌运行" = '是'              AS is_inaugurated,      -- 挂牌运行: nameplate hung, in operation
    CAST("挂牌日期" AS DATE)           AS inaugurated_date,
    CAST("专职调解员数" AS INTEGER)    AS full_time_mediators,
    CAST("兼职调解员数" AS INTEGER)    AS part_time_mediators,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.mediation_org;
