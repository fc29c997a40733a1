"""The dashboard's plain Python: warehouse access, queries, charts, downloads, the shared frame.

Everything but frame.py and pages/ runs without Streamlit, so it is unit-tested directly.
"""
