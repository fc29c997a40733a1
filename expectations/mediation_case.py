"""人民调解案件: the contract's rules (built in expectations/__init__.py) plus the mart's key check."""

# After the latest-version rule (latest 录入时间, then later file, then later row) a case appears once.
MART = ("marts.cases", ["case_id"])
