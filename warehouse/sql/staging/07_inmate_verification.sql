-- grain: one row per inmate verification task row loaded from any 服刑人员信息核查 export file (every version of every task).
CREATE OR REPLACE TABLE staging.inmate_verification AS
SELECT
    "核查编号"                         AS task_id,
    "监狱名称"                         AS prison_name,
    "服刑人员姓名_mask"                AS inmate_name_masked,
    "身份证号_hmac"                    AS id_hash,
    "身份证号_sex"                     AS id_sex,
    "身份证号_birth_year"              AS id_birth_year,
    "户籍地区县_code"                  AS county_code,         -- place of household registration
    "户籍地乡镇(街道)_code"            AS township_code,
    CAST("下发日期" AS DATE)           AS issued_date,
    CAST("反馈日期" AS DATE)           AS feedback_date,
    "核查状态"                         AS verification_status, -- 已核查 | 未核查
    "核查结果"                         AS verification_result, -- 核查成功 | 查无此人 | 信息不符 | 人户分离
    CAST("预计释放日期" AS DATE)       AS expected_release_date,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.inmate_verification;
