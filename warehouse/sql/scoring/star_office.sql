-- indicator 7 star_office 星级司法所创建
-- denominator: each of the county's judicial offices (its rows in the 司法所 export, latest version).
-- numerator: those with 创建计划报送日期 ≤ $plan_deadline and 佐证材料报送日期 ≤ $evidence_deadline, each deadline
--   replaced by the as-of date when it is later; an empty date is not on time.
SELECT county_code, '司法所' AS record_type, office_name AS record_id,
       coalesce(plan_submitted_date <= least(CAST($plan_deadline AS DATE), CAST($as_of AS DATE))
                AND evidence_submitted_date <= least(CAST($evidence_deadline AS DATE), CAST($as_of AS DATE)), false)
           AS in_numerator,
       true AS in_denominator, 1 AS num_amount, 1 AS den_amount,
       township, plan_submitted_date, least(CAST($plan_deadline AS DATE), CAST($as_of AS DATE)) AS plan_deadline,
       evidence_submitted_date, least(CAST($evidence_deadline AS DATE), CAST($as_of AS DATE)) AS evidence_deadline,
       current_star_level, applied_star_level, acceptance_result
FROM marts.judicial_offices
