"""The sidebar's word on runs still being built in the background (`python -m scripts.build`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import loaders
from model.pipeline.build_status import BuildStatus, read_build_status
from model.pipeline.runs import ArtifactLayout

POLL_SECONDS = 3
SHOWN_KEY = "build_milestones"  # what the page was last drawn with


def runs_being_built(root: Path) -> set[str]:
    """Runs a live build has not made viewable yet (trained, encoded and analysed)."""
    status = read_build_status(root)
    if status is None or not status.alive:
        return set()
    return {progress.run for progress in status.runs if not progress.viewable}


def show_build_progress(root: Path) -> None:
    """Progress bars for a live build (polled); a note on what a stopped build left unfinished."""
    status = read_build_status(root)
    if status is None or not status.unfinished():
        return
    if not status.alive:
        layout = ArtifactLayout(root)
        names = ", ".join(f"`{progress.run}`" for progress in status.unfinished())
        st.sidebar.caption(
            f"Not finished: {names}; the build stopped. `{layout.command('quickstart')}` (or "
            f"`{layout.command('build')}`) continues it."
        )
        return
    st.session_state[SHOWN_KEY] = _milestones(status)
    with st.sidebar:
        _live_progress(str(root))


def _milestones(status: BuildStatus | None) -> tuple[tuple[str, bool, bool], ...]:
    """Which runs are viewable and which finished: a change redraws the page (run picker)."""
    if status is None or not status.alive:
        return ()
    return tuple((p.run, p.viewable, p.finished) for p in status.runs)


@st.fragment(run_every=POLL_SECONDS)
def _live_progress(root: str) -> None:
    status = read_build_status(Path(root))
    if _milestones(status) != st.session_state.get(SHOWN_KEY):
        loaders.run_names.clear()  # a finished run joins the picker now, not at the cache's TTL
        st.rerun(scope="app")
    st.caption("Being built in the background:")
    for progress in status.unfinished():
        st.progress(progress.fraction, text=f"`{progress.run}`: {progress.describe()}")
