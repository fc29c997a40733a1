"""人民调解统计月报: the contract's rules plus the mart's key check."""

# One report per county × township × month after the later file wins.
MART = ("marts.monthly_reports", ["county_code", "township_code", "report_month"])
