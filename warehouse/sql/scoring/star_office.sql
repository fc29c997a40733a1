-- indicator 7 star_office 星级司法所创建
-- cut by: township_code
-- denominator: each of the county's judicial offices (its rows in the 司法所 export, latest version).
-- numerator: those with 创建计划报送日期 ≤ $plan_deadline and 佐证材料报送日期 ≤ $evidence_deadline, each deadline
--   replaced by the as-of date when it is later; an empty date is not on time (plan_on_time, evidence_on_time).
SELECT county_code, township_code, CAST(NULL AS DATE) AS month, '司法所' AS record_type, office_name AS record_id,
       plan_on_time AND evidence_on_time AS in_numerator,
       true AS in_denominator, 1 AS num_amount, 1 AS den_amount,
       township, plan_submitted_date, plan_deadline, plan_on_time,
       evidence_submitted_date, evidence_deadline, evidence_on_time,
       current_star_level, applied_star_level, acceptance_result
FROM (
    SELECT *, least(CAST($plan_deadline AS DATE), CAST($as_of AS DATE)) AS plan_deadline,
              least(CAST($evidence_deadline AS DATE), CAST($as_of AS DATE)) AS evidence_deadline,
              coalesce(plan_submitted_date <= least(CAST($plan_deadline AS DATE), CAST($as_of AS DATE)), false)
                  AS plan_on_time,
              coalesce(evidence_submitted_date <= least(CAST($evidence_deadline AS DATE), CAST($as_of AS DATE)), false)
                  AS evidence_on_time
    FROM marts.judicial_offices
)
