"""个人极端案事件: the contract's rules (built in expectations/__init__.py) plus the mart's key check."""

# After the latest-version rule (the file received later wins, then the later row) each key appears once.
MART = ("marts.extreme_incidents", ["incident_id"])
