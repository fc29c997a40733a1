"""Entry script for AppTest: runs the app's frame with absolute page paths.

AppTest skips an entrypoint on reruns when a pages/ folder sits beside it, so the tests
use this script (in tests/, which has no pages/) instead of app.py.
"""
from pathlib import Path

from dashboard.frame import main

main(Path(__file__).resolve().parent.parent / "pages")
