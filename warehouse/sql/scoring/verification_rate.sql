-- indicator 2 verification_rate 服刑人员信息核查率
-- cut by: township_code, month
-- denominator: the county's tasks (户籍地区县) received: 下发日期 in the period and at least $window_days days before
--   the as-of date (下发日期 ≤ as-of − window); month = the 下发 month.
-- numerator: of those, the tasks verified: 核查状态 已核查 and 反馈日期 ≤ as-of (an empty 反馈日期 is not verified).
-- days_overdue: for a task not verified, the days past its window at the as-of date (as-of − 下发日期 − window).
SELECT county_code, township_code, CAST(date_trunc('month', issued_date) AS DATE) AS month,
       '服刑人员信息核查任务' AS record_type, task_id AS record_id,
       coalesce(is_verified AND feedback_date <= $as_of, false) AS in_numerator, true AS in_denominator,
       1 AS num_amount, 1 AS den_amount,
       township, prison_name, inmate_name_masked, issued_date, feedback_date, verification_status, verification_result,
       CASE WHEN NOT coalesce(is_verified AND feedback_date <= $as_of, false)
            THEN CAST($as_of AS DATE) - issued_date - CAST($window_days AS INTEGER) END AS days_overdue
FROM marts.verification_tasks
WHERE issued_date >= $period_start AND issued_date <= CAST($as_of AS DATE) - CAST($window_days AS INTEGER)
