-- indicator 1 entry_rate 人民调解案件录入率
-- cut by: township_code, month
-- numerator: each case (案件编号, one row per case in marts.cases: its latest version) of the county (所属区县) with
--   受理日期 in the period ($period_start … $as_of); num_amount 1; month = its 受理 month.
-- denominator: each monthly statistical report row of the county for a period month (the campaign's first month …
--   the as-of date's month); den_amount = its 受理案件数; month = 统计月份. A missing report adds nothing (counts 0).
-- Not cut by dispute type or organisation type: the paper report has neither.
SELECT county_code, township_code, accepted_month AS month, '人民调解案件' AS record_type, case_id AS record_id,
       true AS in_numerator, false AS in_denominator, 1 AS num_amount, 0 AS den_amount,
       township, org_name, mediator_id, accepted_date, outcome, entered_at
FROM marts.cases
WHERE accepted_date BETWEEN $period_start AND $as_of
UNION ALL BY NAME
SELECT r.county_code, r.township_code, r.report_month AS month, '人民调解统计月报' AS record_type,
       coalesce(t.township, r.township_code) || ' ' || strftime(r.report_month, '%Y-%m') AS record_id,
       false AS in_numerator, true AS in_denominator, 0 AS num_amount, r.cases_accepted AS den_amount,
       t.township, r.report_month, r.cases_accepted
FROM marts.monthly_reports r
LEFT JOIN marts.dim_township t USING (township_code)
WHERE r.report_month BETWEEN date_trunc('month', $period_start) AND date_trunc('month', $as_of)
