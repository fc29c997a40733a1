"""铁岭市矛盾纠纷预防化解专项行动 dashboard: `streamlit run app.py` (the README's `make demo` does it)."""
from pathlib import Path

from dashboard.frame import main

main(Path(__file__).resolve().parent / "pages")
