-- deduction lost_contact: each released person of the county (户籍地区县) whose 帮教情况 is 脱管 or 漏管 (the rule names
-- no date, so the latest status counts at every as-of date; $as_of is not used; month is empty).
-- cut by: township_code
SELECT county_code, township_code, CAST(NULL AS DATE) AS month, '刑满释放人员' AS record_type, person_id AS record_id,
       township, name_masked, released_date, assistance_status, handover_method
FROM marts.released_persons
WHERE is_lost_contact
