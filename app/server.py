"""The dashboard's web server: the pages of `streamlit_app.py` behind zspace's host and framing
guard (app.security). `python -m scripts.serve` runs it with `streamlit run app/server.py`."""

import sys
from pathlib import Path

# `streamlit run` puts app/ on the path; the guard and the pages import `app` from the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st
from starlette.middleware import Middleware

from app.security import HostGuard, configured_hosts

app = st.App(
    Path(__file__).with_name("streamlit_app.py"),
    middleware=[Middleware(HostGuard, allowed=configured_hosts())],
)
