-- grain: one row per released-person row loaded from any 刑满释放人员 export file (every version of every person).
CREATE OR REPLACE TABLE staging.released_person AS
SELECT
    "人员编号"                         AS person_id,
    "姓名_mask"                        AS name_masked,
    "身份证号_hmac"                    AS id_hash,
    "身份证号_sex"                     AS id_sex,
    "身份证号_birth_year"              AS id_birth_year,
    "性别"                             AS sex,
    "罪名类别"                         AS offence_category,
    CAST("释放日期" AS DATE)           AS released_date,
    "户籍地区县_code"                  AS county_code,         -- place of household registration
    "户籍地乡镇(街道)_code"            AS township_code,
    "衔接方式"                         AS handover_method,     -- 必接必送 | 自行报到 | 未衔接
    CAST("衔接日期" AS DATE)           AS handover_date,
    "是否重点帮教对象" = '是'          AS is_key_person,
    "安置情况"                         AS resettlement_status, -- 已安置 | 未安置 | 无需安置
    "帮教情况"                         AS assistance_status,   -- 帮教中 | 解除帮教 | 脱管 | 漏管
    "风险等级"                         AS risk_level,          -- 高 | 中 | 低
    "是否人户分离" = '是'              AS is_away_from_registered_residence,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.released_person;
