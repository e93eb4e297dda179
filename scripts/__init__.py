"""Thin command-line entry points: `python -m scripts.NAME --help`."""
