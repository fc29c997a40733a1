-- indicator 4 app_registration_rate 慧评理注册使用率
-- cut by: none (the census population is the county's: a township or a month has no denominator of its own)
-- numerator: for each township of the county, its latest 累计注册人数 with 统计日期 ≤ as-of (the latest 统计日期;
--   a township with none adds nothing); num_amount = that count.
-- denominator: the county's 2020 census population (marts.dim_county); den_amount = population.
-- month is empty: both are states at the as-of date.
WITH latest AS (
    SELECT * FROM marts.app_registrations
    WHERE stat_date <= $as_of
    QUALIFY row_number() OVER (PARTITION BY county_code, township_code ORDER BY stat_date DESC) = 1
)
SELECT county_code, township_code, CAST(NULL AS DATE) AS month,
       '慧评理注册(乡镇最新累计)' AS record_type, coalesce(township, township_code) AS record_id,
       true AS in_numerator, false AS in_denominator, cumulative_registrations AS num_amount, 0 AS den_amount,
       township, stat_date, cumulative_registrations
FROM latest
UNION ALL BY NAME
SELECT county_code, CAST(NULL AS VARCHAR) AS township_code, CAST(NULL AS DATE) AS month,
       '2020年普查常住人口' AS record_type, county AS record_id,
       false AS in_numerator, true AS in_denominator, 0 AS num_amount, population AS den_amount,
       population
FROM marts.dim_county
WHERE population IS NOT NULL
