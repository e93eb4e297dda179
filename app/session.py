"""Which run the dashboard shows, and the message a page gives when its artifacts are missing."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app import loaders
from model.runs import STAGE_COMMANDS, ArtifactLayout, Run, RunError

ARTIFACTS_ENV = "ZSPACE_ARTIFACTS"  # where the runs are; default ./artifacts
RUN_KEY = "run"


def artifacts_root() -> Path:
    return Path(os.environ.get(ARTIFACTS_ENV, "artifacts"))


def layout() -> ArtifactLayout:
    return ArtifactLayout(artifacts_root())


def run_picker() -> None:
    """The sidebar's run selector; the choice lives in the session and in the URL (?run=)."""
    names = loaders.run_names(str(artifacts_root()))
    if not names:
        return
    wanted = st.query_params.get(RUN_KEY) or st.session_state.get(RUN_KEY)
    if wanted not in names:
        wanted = "demo" if "demo" in names else names[0]
    choice = st.sidebar.selectbox("Run", names, index=names.index(wanted), key="run_picker")
    st.session_state[RUN_KEY] = choice
    st.query_params[RUN_KEY] = choice


def show_missing(message: str, command: str) -> None:
    """Say what is missing and the command that makes it, then stop the page (no traceback)."""
    st.warning(message)
    st.markdown("Make it with:")
    st.code(command, language="bash")
    st.stop()


def current_run() -> Run:
    """The selected run, or a message naming what is missing and how to make it."""
    root = artifacts_root()
    name = st.session_state.get(RUN_KEY)
    if name is None:
        show_missing(f"No runs under `{root}/runs/` yet.", "python -m scripts.quickstart")
    try:
        return loaders.open_run(str(layout().run(name)))
    except (RunError, ValueError) as error:
        show_missing(str(error), STAGE_COMMANDS["train"].format(run=name))
    raise AssertionError("unreachable: show_missing stops the page")


def require(run: Run, *stages: str) -> None:
    """Stop the page with a message when a stage the page needs is missing or damaged."""
    for stage in stages:
        problems = loaders.stage_problems(run, stage)
        if problems:
            show_missing(
                "This page needs the run's "
                f"{stage} output:\n\n" + "\n".join(f"- {p}" for p in problems),
                STAGE_COMMANDS[stage].format(run=run.name),
            )
