-- indicator 3 verification_success_rate 核查成功率
-- cut by: township_code, month
-- denominator: the verified tasks of indicator 2 (received: 下发日期 in the period and ≤ as-of − $window_days;
--   verified: 核查状态 已核查 and 反馈日期 ≤ as-of); month = the 下发 month.
-- numerator: of those, 核查结果 核查成功.
SELECT county_code, township_code, CAST(date_trunc('month', issued_date) AS DATE) AS month,
       '服刑人员信息核查任务' AS record_type, task_id AS record_id,
       coalesce(verification_result = '核查成功', false) AS in_numerator, true AS in_denominator,
       1 AS num_amount, 1 AS den_amount,
       township, prison_name, inmate_name_masked, issued_date, feedback_date, verification_status, verification_result
FROM marts.verification_tasks
WHERE issued_date >= $period_start AND issued_date <= CAST($as_of AS DATE) - CAST($window_days AS INTEGER)
  AND is_verified AND feedback_date <= $as_of
