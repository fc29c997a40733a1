-- grain: one row per monthly risk-warning report row loaded from any 矛盾纠纷风险预警月报 export file (every version).
CREATE OR REPLACE TABLE staging.risk_report AS
SELECT
    "所属区县_code"                    AS county_code,
    "所属乡镇(街道)_code"              AS township_code,
    CAST("统计月份" AS DATE)           AS report_month,        -- first day of the month
    CAST("排查次数" AS INTEGER)        AS screenings,
    CAST("排查发现纠纷数" AS INTEGER)  AS disputes_found,
    CAST("高风险隐患数" AS INTEGER)    AS high_risk_hazards,
    CAST("中风险隐患数" AS INTEGER)    AS medium_risk_hazards,
    CAST("低风险隐患数" AS INTEGER)    AS low_risk_hazards,
    CAST("已化解数" AS INTEGER)        AS resolved,
    CAST("稳控中数" AS INTEGER)        AS under_control,
    CAST("移交公安数" AS INTEGER)      AS referred_to_police,
    CAST("上报党委政府数" AS INTEGER)  AS reported_to_party_government,
    CAST("报送日期" AS DATE)           AS submitted_date,
    _run_id                            AS run_id,
    _file_seq                          AS file_seq,
    _row                               AS file_row
FROM landing.risk_report;
