"""Accounts, sessions and the audit trail of the dashboard (SQLite beside the warehouse; see store.py)."""
from dashboard.accounts.settings import Settings, settings  # noqa: F401
from dashboard.accounts.store import (EVENTS, Account, AccountError, LoginResult, Store,  # noqa: F401
                                      accounts_path)
