-- indicator 12 training_rate 调解员培训覆盖率
-- cut by: township_code, org_type
-- denominator: the county's mediators (placed in the county of the organisation in their 所属组织编码; a mediator
--   whose organisation is not in the 调解组织 export has no county and counts nowhere).
-- numerator: of those, 年度培训日期 from $training_from to the as-of date. month is empty: a state at the as-of date.
SELECT county_code, township_code, CAST(NULL AS DATE) AS month, '人民调解员' AS record_type, mediator_id AS record_id,
       coalesce(annual_training_date BETWEEN $training_from AND $as_of, false) AS in_numerator, true AS in_denominator,
       1 AS num_amount, 1 AS den_amount,
       township, org_name, org_type, name_masked, employment_type, is_full_time, annual_training_date
FROM marts.mediators
WHERE county_code IS NOT NULL
