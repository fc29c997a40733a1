-- grain: one row per dispute type or sub-type of the statistical catalogue, with its campaign domain.
CREATE OR REPLACE TABLE marts.dim_dispute_type AS
SELECT d.code AS dispute_type_code, d.name AS dispute_type,
       coalesce(p.name, d.name) AS dispute_category,
       coalesce(p.code, d.code) AS dispute_category_code, coalesce(d.campaign_domain, '其他') AS campaign_domain
FROM ref.dispute_type d LEFT JOIN ref.dispute_type p ON p.code = d.parent_code;
