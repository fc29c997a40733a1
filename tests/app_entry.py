"""Entry script for AppTest: runs the app's frame with absolute page paths, logged in.

AppTest skips an entrypoint on reruns when a pages/ folder sits beside it, so the tests
use this script (in tests/, which has no pages/) instead of app.py.

AppTest has no browser and so no cookie: a session of the test account for TEST_ROLE (default 分析员, who sees
every page and list; tests/conftest.py makes one account per role) is opened through the real store, and the app
checks it on every run as it checks a cookie's. TEST_ROLE=none leaves the session logged out (the login form).
"""
import os
from pathlib import Path

import streamlit as st

from dashboard.accounts import Store
from dashboard.frame import main

role = os.environ.get("TEST_ROLE", "analyst")
if role != "none" and "auth_token" not in st.session_state:
    st.session_state["auth_token"] = Store().open_session(f"test-{role}")
main(Path(__file__).resolve().parent.parent / "pages")
