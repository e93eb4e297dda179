"""Small key-value tables (model card, data set card)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st


def card(rows: Mapping[str, object]) -> None:
    """A two-column table of names and values, every value shown as text."""
    st.table(pd.DataFrame({"value": [str(v) for v in rows.values()]}, index=list(rows)))
