"""Demo exports for the whole campaign, following the export contract (python -m etl.simulate).

A world is built first (places from the reference data, organisations, mediators, people,
cases as they really happened), then each dataset's export files are derived from it, so
a new dataset is a new writer over the same world.
"""
from etl.simulate.generate import generate

__all__ = ["generate"]
