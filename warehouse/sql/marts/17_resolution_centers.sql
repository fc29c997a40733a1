-- grain: one row per dispute resolution centre (中心名称) in its latest version (the file received later wins, then the later row), with its plan target.
-- A 县级 centre meets the plan when 建成日期 ≤ 2023-06-20; a 乡镇级 centre when 挂牌运行日期 ≤ 2023-09-20 and it has
-- at least 2 专职人民调解员 (an empty date does not meet it). Scoring may move a deadline to its as-of date.
CREATE OR REPLACE TABLE marts.resolution_centers AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY center_name) AS versions_loaded,
           row_number() OVER (PARTITION BY center_name ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.resolution_center
)
SELECT r.center_name, r.center_level, r.center_level = '县级' AS is_county_level,
       r.county_code, c.county, r.township_code, t.township,
       r.built_date, r.inaugurated_date, r.full_time_mediators,
       CASE r.center_level WHEN '县级' THEN DATE '2023-06-20' ELSE DATE '2023-09-20' END AS plan_due_date,
       coalesce(CASE r.center_level
                    WHEN '县级' THEN r.built_date <= DATE '2023-06-20'
                    ELSE r.inaugurated_date <= DATE '2023-09-20' AND r.full_time_mediators >= 2 END,
                false) AS meets_plan,
       r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
WHERE r.rn = 1;
