-- indicator 9 mediation_success_rate 调解成功率
-- cut by: township_code, month, dispute_category_code, org_type
-- group by: dispute_category, campaign_domain, source, org_name, resolution_level
-- denominator: the closed cases of indicator 8 (调解成功, 调解不成功 or 终止调解, 调解日期 in the period);
--   month = the 调解 month.
-- numerator: of those, 调解结果 调解成功.
SELECT county_code, township_code, CAST(date_trunc('month', mediated_date) AS DATE) AS month,
       '人民调解案件' AS record_type, case_id AS record_id,
       outcome = '调解成功' AS in_numerator, true AS in_denominator, 1 AS num_amount, 1 AS den_amount,
       township, org_name, org_type, dispute_category_code, dispute_category, campaign_domain, source,
       accepted_date, mediated_date, outcome, resolution_level
FROM marts.cases
WHERE outcome IN ('调解成功', '调解不成功', '终止调解') AND mediated_date BETWEEN $period_start AND $as_of
