-- indicator 11 timely_submission_rate 报送及时率
-- cut by: month
-- cut by (风险预警月报): township_code, month
-- denominator (items due):
--   each of the six 工作报送台账 milestones ($milestone_names, due $milestone_dues) whose due date ≤ as-of, for every
--   county, whether or not the ledger has a row for it; month = the month it falls due;
--   each (township × period month) of the county (all townships, marts.dim_township) whose 风险预警月报 falls due —
--   day $risk_report_due_day of the following month — on or before the as-of date; month = the report's month.
-- numerator (done on time): a milestone with 完成日期 ≤ its due date; a risk report for that township and month with
--   报送日期 ≤ its due date. A missing (or quarantined) report is due and not on time.
-- status: 按期 (on time), 逾期 (done after its due date, by the as-of date), 未报 (not done by the as-of date; a
--   milestone: 未完成); days_late: done − due for 逾期, as-of − due for 未报/未完成.
WITH milestones AS (
    SELECT unnest(CAST($milestone_names AS VARCHAR[])) AS milestone, unnest(CAST($milestone_dues AS DATE[])) AS due_date,
           unnest(generate_series(1, len(CAST($milestone_names AS VARCHAR[])))) AS milestone_no
), months AS (
    SELECT CAST(m AS DATE) AS month
    FROM unnest(generate_series(CAST(date_trunc('month', CAST($period_start AS DATE)) AS TIMESTAMP),
                                CAST($as_of AS TIMESTAMP), INTERVAL 1 MONTH)) AS s(m)
), risk_due AS (
    SELECT month, CAST(month + INTERVAL 1 MONTH + INTERVAL 1 DAY * (CAST($risk_report_due_day AS INTEGER) - 1) AS DATE)
               AS due_date
    FROM months
), items AS (
    SELECT c.county_code, CAST(NULL AS VARCHAR) AS township_code, CAST(date_trunc('month', m.due_date) AS DATE) AS month,
           '工作报送台账' AS record_type, m.milestone AS record_id,
           m.milestone_no, m.milestone, CAST(NULL AS VARCHAR) AS township, m.due_date,
           s.county_code IS NOT NULL AS received, s.completed_date AS done_date
    FROM marts.dim_county c
    CROSS JOIN milestones m
    LEFT JOIN marts.county_submissions s ON s.county_code = c.county_code AND s.milestone = m.milestone
    WHERE m.due_date <= $as_of
    UNION ALL BY NAME
    SELECT t.county_code, t.township_code, d.month, '风险预警月报' AS record_type,
           t.township || ' ' || strftime(d.month, '%Y-%m') AS record_id,
           CAST(NULL AS BIGINT) AS milestone_no, CAST(NULL AS VARCHAR) AS milestone, t.township, d.due_date,
           r.township_code IS NOT NULL AS received, r.submitted_date AS done_date
    FROM marts.dim_township t
    CROSS JOIN risk_due d
    LEFT JOIN marts.risk_reports r ON r.township_code = t.township_code AND r.report_month = d.month
    WHERE d.due_date <= $as_of
)
SELECT *, coalesce(done_date <= due_date, false) AS in_numerator, true AS in_denominator,
       1 AS num_amount, 1 AS den_amount,
       CASE WHEN done_date <= due_date THEN '按期'
            WHEN done_date <= $as_of THEN '逾期'
            WHEN record_type = '工作报送台账' THEN '未完成'
            ELSE '未报' END AS status,
       CAST(CASE WHEN done_date <= due_date THEN 0
                 WHEN done_date <= $as_of THEN done_date - due_date
                 ELSE CAST($as_of AS DATE) - due_date END AS INTEGER) AS days_late
FROM items
