-- grain: one row per county × 工作报送台账 milestone (7 × 6 rows, also where the ledger has no row), with the ledger's latest version (the file received later wins, then the later row).
-- due_date: the plan's deadline (etl/contract.py MILESTONES); in_ledger: the ledger has a row; is_done: 完成日期 is set;
-- is_on_time: 完成日期 (its day, a datetime counts as its date) ≤ due_date; a milestone missing from the ledger is neither.
CREATE OR REPLACE TABLE marts.county_submissions AS
WITH milestones (milestone_no, milestone, due_date) AS (
    VALUES (1, '工作专班及落实举措', DATE '2023-03-18'), (2, '司法所创建计划', DATE '2023-03-20'),
           (3, '星级司法所佐证材料', DATE '2023-06-20'), (4, '县级调处化解中心建成', DATE '2023-06-20'),
           (5, '乡镇中心挂牌运行', DATE '2023-09-20'), (6, '专项行动书面总结', DATE '2023-12-15')
), latest AS (
    SELECT *, count(*) OVER (PARTITION BY county_code, milestone) AS versions_loaded
    FROM staging.county_submission
    QUALIFY row_number() OVER (PARTITION BY county_code, milestone ORDER BY file_seq DESC, file_row DESC) = 1
)
SELECT c.county_code, c.county, m.milestone_no, m.milestone, m.due_date,
       l.county_code IS NOT NULL AS in_ledger,
       l.completed_date, l.completed_date IS NOT NULL AS is_done,
       coalesce(l.completed_date <= m.due_date, false) AS is_on_time,
       CASE WHEN l.completed_date IS NOT NULL THEN greatest(l.completed_date - m.due_date, 0) END AS days_late,
       l.remark, coalesce(l.versions_loaded, 0) AS versions_loaded, l.file_seq, l.file_row
FROM marts.dim_county c CROSS JOIN milestones m
LEFT JOIN latest l ON l.county_code = c.county_code AND l.milestone = m.milestone
ORDER BY c.county_code, m.milestone_no;
