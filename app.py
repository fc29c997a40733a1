"""铁岭市矛盾纠纷预防化解专项行动 dashboard: `streamlit run app.py` (the README's `make demo` does it)."""
from pathlib import Path

import dashboard.preload  # noqa: F401 - first: heavy libraries imported whole before two sessions race for them
from dashboard import access
from dashboard.frame import main

access.in_app()   # in this process, code that runs as nobody (no login) is refused, never run as the system
main(Path(__file__).resolve().parent / "pages")
