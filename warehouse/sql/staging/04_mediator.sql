-- grain: one row per mediator row loaded from any 人民调解员 export file (every version of every mediator).
CREATE OR REPLACE TABLE staging.mediator AS
SELECT
    "调解员编号"                       AS mediator_id,
    "姓名_mask"                        AS name_masked,
    "性别"                             AS sex,
    "身份证号_hmac"                    AS id_hash,
    "身份证号_sex"                     AS id_sex,
    "身份证号_birth_year"              AS id_birth_year,
    "所属组织编码"                     AS org_id,
    "专兼职"                           AS employment_type,     -- 专职 | 兼职
    "是否评理说事员" = '是'            AS is_reasoning_facilitator,
    CAST("岗前培训日期" AS DATE)       AS induction_training_date,
    CAST("年度培训日期" AS DATE)       AS annual_training_date,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.mediator;
