-- grain: one row per personal extreme incident (事件编号) in its latest version (the file received later wins, then the later row), with county and township names.
CREATE OR REPLACE TABLE marts.extreme_incidents AS
WITH ranked AS (
    SELECT *, count(*) OVER (PARTITION BY incident_id) AS versions_loaded,
           row_number() OVER (PARTITION BY incident_id ORDER BY file_seq DESC, file_row DESC) AS rn
    FROM staging.extreme_incident
)
SELECT r.incident_id, r.county_code, c.county, r.township_code, t.township, r.occurred_date,
       r.is_due_to_poor_dispute_work, r.is_by_released_person_in_assistance, r.summary,
       r.versions_loaded, r.file_seq, r.file_row
FROM ranked r
LEFT JOIN marts.dim_county c USING (county_code)
LEFT JOIN marts.dim_township t USING (township_code)
WHERE r.rn = 1;
