-- grain: one row per county × campaign month (2023-03 through the last month with data): cases entered in the system vs cases reported on paper.
-- 录入率 = distinct 案件编号 accepted in the month ÷ 受理案件数 summed over the county's township reports (a missing report counts 0).
CREATE OR REPLACE TABLE marts.entry_rate_county_month AS
WITH months AS (
    SELECT unnest(generate_series(DATE '2023-03-01',
        greatest(DATE '2023-03-01',
                 coalesce((SELECT max(m) FROM (SELECT max(accepted_month) AS m FROM marts.cases
                                               UNION ALL SELECT max(report_month) FROM marts.monthly_reports)),
                          DATE '2023-03-01')),
        INTERVAL 1 MONTH))::DATE AS month
),
entered AS (
    SELECT county_code, accepted_month AS month, count(DISTINCT case_id) AS cases_entered
    FROM marts.cases GROUP BY ALL
),
reported AS (
    SELECT county_code, report_month AS month, sum(cases_accepted)::BIGINT AS cases_reported
    FROM marts.monthly_reports GROUP BY ALL
)
SELECT c.county_code, c.county, m.month,
       coalesce(e.cases_entered, 0) AS cases_entered,
       coalesce(r.cases_reported, 0) AS cases_reported,
       CASE WHEN coalesce(r.cases_reported, 0) > 0 THEN coalesce(e.cases_entered, 0) / r.cases_reported END AS entry_rate
FROM marts.dim_county c CROSS JOIN months m
LEFT JOIN entered e ON e.county_code = c.county_code AND e.month = m.month
LEFT JOIN reported r ON r.county_code = c.county_code AND r.month = m.month
ORDER BY c.county_code, m.month;
