"""The dashboard's web server: the pages of `streamlit_app.py`, and the files browsers decode
faces with (app.assets), behind zspace's host and framing guard (app.security), cross-origin
isolated so those browsers may decode on several threads (app.isolation).
`python -m scripts.serve` runs it with `streamlit run app/server.py`."""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from app.assets import routes
from app.isolation import CrossOriginIsolation
from app.security import HostGuard, configured_hosts
from app.session import artifacts_root

app = st.App(
    Path(__file__).with_name("streamlit_app.py"),
    routes=routes(artifacts_root()),
    middleware=[
        Middleware(HostGuard, allowed=configured_hosts()),
        Middleware(CrossOriginIsolation),
    ],
)
