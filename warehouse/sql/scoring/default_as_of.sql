-- The default as-of date: the latest event date in the data that is not after $campaign_end.
-- The dates are the ones scoring.md filters by (受理日期, 调解日期, 下发日期, 反馈日期, 释放日期, 统计日期,
-- 完成日期, 报送日期, 年度培训日期, 发生日期) and the register dates of centres and judicial offices
-- (建成日期, 挂牌运行日期, 创建计划/佐证材料报送日期). NULL when the warehouse holds none (scoring.py then uses
-- $campaign_end, and never a date before the campaign start).
SELECT max(d) AS as_of FROM (
    SELECT max(accepted_date) AS d FROM marts.cases WHERE accepted_date <= $campaign_end
    UNION ALL SELECT max(mediated_date) FROM marts.cases WHERE mediated_date <= $campaign_end
    UNION ALL SELECT max(issued_date) FROM marts.verification_tasks WHERE issued_date <= $campaign_end
    UNION ALL SELECT max(feedback_date) FROM marts.verification_tasks WHERE feedback_date <= $campaign_end
    UNION ALL SELECT max(released_date) FROM marts.released_persons WHERE released_date <= $campaign_end
    UNION ALL SELECT max(stat_date) FROM marts.app_registrations WHERE stat_date <= $campaign_end
    UNION ALL SELECT max(completed_date) FROM marts.county_submissions WHERE completed_date <= $campaign_end
    UNION ALL SELECT max(submitted_date) FROM marts.risk_reports WHERE submitted_date <= $campaign_end
    UNION ALL SELECT max(annual_training_date) FROM marts.mediators WHERE annual_training_date <= $campaign_end
    UNION ALL SELECT max(occurred_date) FROM marts.extreme_incidents WHERE occurred_date <= $campaign_end
    UNION ALL SELECT max(built_date) FROM marts.resolution_centers WHERE built_date <= $campaign_end
    UNION ALL SELECT max(inaugurated_date) FROM marts.resolution_centers WHERE inaugurated_date <= $campaign_end
    UNION ALL SELECT max(plan_submitted_date) FROM marts.judicial_offices WHERE plan_submitted_date <= $campaign_end
    UNION ALL SELECT max(evidence_submitted_date) FROM marts.judicial_offices WHERE evidence_submitted_date <= $campaign_end
)
