"""Heavy libraries the pages use, imported once when the app's first session starts, before any page runs.

Streamlit runs each browser session's script on its own thread. Left to the pages, pandas (which Streamlit and
plotly import lazily, on the first table or chart) was imported by two sessions at once on a fresh server and one
of them got "partially initialized module 'pandas'" (benchmarks/browser.py, 20 sessions: 2 of 140 page loads).
Importing this module is serialised by Python's import lock: the second session waits until the first has
imported everything here, whole.
"""
import numpy  # noqa: F401
import pandas  # noqa: F401
import plotly.express  # noqa: F401
import plotly.graph_objects  # noqa: F401
import pyarrow  # noqa: F401
import streamlit.dataframe_util  # noqa: F401
import xlsxwriter  # noqa: F401
