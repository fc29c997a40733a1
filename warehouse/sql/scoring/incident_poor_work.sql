-- deduction incident_poor_work: each 个人极端案事件 of the county with 发生日期 ≤ as-of and
-- 是否因排查化解不到位引发 = 是 (an incident that meets both incident rules is deducted under both).
-- cut by: township_code, month
SELECT county_code, township_code, CAST(date_trunc('month', occurred_date) AS DATE) AS month,
       '个人极端案事件' AS record_type, incident_id AS record_id,
       township, occurred_date, is_due_to_poor_dispute_work, is_by_released_person_in_assistance, summary
FROM marts.extreme_incidents
WHERE occurred_date <= $as_of AND is_due_to_poor_dispute_work
