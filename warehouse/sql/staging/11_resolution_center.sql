-- grain: one row per dispute resolution centre row loaded from any 调处化解中心 export file (every version of every centre).
CREATE OR REPLACE TABLE staging.resolution_center AS
SELECT
    "中心名称"                         AS center_name,
    "层级"                             AS center_level,        -- 县级 | 乡镇级
    "所属区县_code"                    AS county_code,
    "所属乡镇(街道)_code"              AS township_code,       -- empty for a county centre
    CAST("建成日期" AS DATE)           AS built_date,
    CAST("挂牌运行日期" AS DATE)       AS inaugurated_date,
    CAST("专职人民调解员数" AS INTEGER) AS full_time_mediators,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.resolution_center;
