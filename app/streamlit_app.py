"""zspace dashboard pages: `python -m scripts.serve` serves them through app/server.py (the
quick start starts it for you).

Reads runs under $ZSPACE_ARTIFACTS (default ./artifacts); never trains, never runs t-SNE or UMAP.
"""

import streamlit as st

from app.session import run_picker, stop_with
from model.pipeline.runs import RunError

# (file under app/views, title, icon)
PAGES = [
    ("overview", "Overview", ":material/dashboard:"),
    ("radius", "Radius", ":material/radio_button_checked:"),
    ("components", "Components", ":material/stacked_line_chart:"),
    ("dimensions", "Dimensions", ":material/view_week:"),
    ("correlations", "Correlations", ":material/grid_on:"),
    ("projections", "Projections", ":material/scatter_plot:"),
    ("attributes", "Attributes", ":material/tune:"),
    ("compare", "Compare", ":material/compare:"),
    ("sample", "Sample", ":material/casino:"),
    ("interpolate", "Interpolate", ":material/timeline:"),
]

st.set_page_config(page_title="zspace", page_icon="🧑", layout="wide")
page = st.navigation(
    [st.Page(f"views/{slug}.py", title=title, icon=icon) for slug, title, icon in PAGES]
)
run_picker()
try:
    page.run()
except RunError as error:  # a damaged or tampered artifact: what it is and its fix, no traceback
    stop_with(error)
