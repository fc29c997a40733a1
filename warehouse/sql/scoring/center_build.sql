-- indicator 6 center_build 调处化解中心建设: value = (county half + township half) ÷ 2, so every record has a part.
-- cut by: none (a township has no county half)
-- part 'county': one record per county; in the numerator when the county has a 县级 centre with
--   建成日期 ≤ the deadline ($county_centre_deadline, or the as-of date when that is earlier).
-- part 'township': one record per township of the county (all of them, marts.dim_township); in the numerator when
--   it has a 乡镇级 centre with 挂牌运行日期 ≤ the deadline ($township_centre_deadline, or the as-of date when earlier)
--   and 专职人民调解员数 ≥ $township_centre_min_full_time.
-- An empty date never meets a deadline. due_date is the rubric's deadline itself; deadline the one applied at the
-- as-of date; short_staffed: a township centre opened but with fewer full-time mediators than required.
WITH county_centres AS (
    SELECT c.county_code, c.county, least(CAST($county_centre_deadline AS DATE), CAST($as_of AS DATE)) AS deadline,
           rc.center_name, rc.built_date, rc.full_time_mediators,
           coalesce(rc.built_date <= least(CAST($county_centre_deadline AS DATE), CAST($as_of AS DATE)), false) AS ok
    FROM marts.dim_county c
    LEFT JOIN marts.resolution_centers rc ON rc.county_code = c.county_code AND rc.is_county_level
), township_centres AS (
    SELECT t.county_code, t.township_code, t.township,
           least(CAST($township_centre_deadline AS DATE), CAST($as_of AS DATE)) AS deadline,
           rc.center_name, rc.inaugurated_date, rc.full_time_mediators,
           coalesce(rc.inaugurated_date <= least(CAST($township_centre_deadline AS DATE), CAST($as_of AS DATE))
                    AND rc.full_time_mediators >= $township_centre_min_full_time, false) AS ok,
           coalesce(rc.inaugurated_date <= CAST($as_of AS DATE)
                    AND rc.full_time_mediators < $township_centre_min_full_time, false) AS short_staffed
    FROM marts.dim_township t
    LEFT JOIN marts.resolution_centers rc ON rc.township_code = t.township_code AND NOT rc.is_county_level
)
SELECT county_code, CAST(NULL AS VARCHAR) AS township_code, CAST(NULL AS DATE) AS month,
       'county' AS part, '县级调处化解中心' AS record_type, county AS record_id,
       bool_or(ok) AS in_numerator, true AS in_denominator, 1 AS num_amount, 1 AS den_amount,
       CAST($county_centre_deadline AS DATE) AS due_date, any_value(deadline) AS deadline,
       list(center_name ORDER BY center_name) FILTER (WHERE center_name IS NOT NULL) AS centres,
       list(center_name ORDER BY center_name) FILTER (WHERE ok) AS qualifying_centres,
       min(built_date) AS built_date, max(full_time_mediators) AS full_time_mediators, false AS short_staffed
FROM county_centres
GROUP BY county_code, county
UNION ALL BY NAME
SELECT county_code, township_code, CAST(NULL AS DATE) AS month,
       'township' AS part, '乡镇(街道)调处化解中心' AS record_type, township AS record_id,
       bool_or(ok) AS in_numerator, true AS in_denominator, 1 AS num_amount, 1 AS den_amount,
       CAST($township_centre_deadline AS DATE) AS due_date, any_value(deadline) AS deadline,
       list(center_name ORDER BY center_name) FILTER (WHERE center_name IS NOT NULL) AS centres,
       list(center_name ORDER BY center_name) FILTER (WHERE ok) AS qualifying_centres,
       min(inaugurated_date) AS inaugurated_date, max(full_time_mediators) AS full_time_mediators,
       NOT bool_or(ok) AND bool_or(short_staffed) AS short_staffed, township
FROM township_centres
GROUP BY county_code, township_code, township
