-- indicator 10 key_handover_rate 重点帮教对象必接必送率
-- cut by: township_code, month
-- denominator: the county's (户籍地区县) released persons with 是否重点帮教对象 是 and 释放日期 in the period;
--   month = the 释放 month.
-- numerator: of those, 衔接方式 必接必送.
SELECT county_code, township_code, CAST(date_trunc('month', released_date) AS DATE) AS month,
       '刑满释放人员' AS record_type, person_id AS record_id,
       coalesce(handover_method = '必接必送', false) AS in_numerator, true AS in_denominator,
       1 AS num_amount, 1 AS den_amount,
       township, name_masked, released_date, handover_method, handover_date, assistance_status
FROM marts.released_persons
WHERE is_key_person AND released_date BETWEEN $period_start AND $as_of
