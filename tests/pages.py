"""Opening a dashboard page headless with Streamlit's AppTest, for the page tests."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")


def open_page(monkeypatch, root, page: str, run: str | None = None) -> AppTest:
    """`views/<page>.py` of the dashboard over the runs under `root` (the picker's first run,
    or `run`), checked to have run without an exception."""
    monkeypatch.setenv("ZSPACE_ARTIFACTS", str(root))
    at = AppTest.from_file(ENTRY, default_timeout=120)
    if run is not None:
        at.query_params["run"] = run
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception
    return at
