-- indicator 5 point_monthly_rate 评理说事点月度达标率
-- cut by: township_code, month
-- denominator: each (评理说事点 × full month) pair of the county: the county's organisations of type 村(居)民评理说事点
--   with 成立日期 empty or before the month starts, × the full months from $first_month whose last day ≤ as-of.
-- numerator: the pairs in which the point accepted (受理日期 in that month) at least one case whose mediator
--   (调解员编号 → marts.mediators) belongs to that point (所属组织编码) and is 专职; qualifying_cases lists them.
-- has_full_time: the point has a 专职 mediator on its roll at all (why an idle point is idle).
WITH full_months AS (
    SELECT CAST(m AS DATE) AS month, last_day(CAST(m AS DATE)) AS month_end
    FROM unnest(generate_series(CAST($first_month AS TIMESTAMP), CAST($as_of AS TIMESTAMP), INTERVAL 1 MONTH)) AS s(m)
    WHERE last_day(CAST(m AS DATE)) <= $as_of
), pairs AS (
    SELECT o.county_code, o.township_code, o.org_id, o.org_name, o.township, o.village, o.founded_date,
           m.month, m.month_end
    FROM marts.orgs o CROSS JOIN full_months m
    WHERE o.is_reasoning_point AND (o.founded_date IS NULL OR o.founded_date < m.month)
), hits AS (
    SELECT md.org_id, CAST(date_trunc('month', c.accepted_date) AS DATE) AS month,
           list(c.case_id ORDER BY c.accepted_date, c.case_id) AS qualifying_cases
    FROM marts.cases c
    JOIN marts.mediators md ON md.mediator_id = c.mediator_id
    WHERE md.is_full_time AND c.accepted_date <= $as_of
    GROUP BY ALL
), staffed AS (
    SELECT DISTINCT org_id FROM marts.mediators WHERE is_full_time
)
SELECT p.county_code, p.township_code, p.month, '评理说事点×月份' AS record_type,
       p.org_id || ' ' || strftime(p.month, '%Y-%m') AS record_id,
       h.qualifying_cases IS NOT NULL AS in_numerator, true AS in_denominator, 1 AS num_amount, 1 AS den_amount,
       p.township, p.village, p.org_id, p.org_name, p.founded_date,
       coalesce(len(h.qualifying_cases), 0) AS qualifying_case_count, h.qualifying_cases,
       s.org_id IS NOT NULL AS has_full_time
FROM pairs p
LEFT JOIN hits h ON h.org_id = p.org_id AND h.month = p.month
LEFT JOIN staffed s ON s.org_id = p.org_id
