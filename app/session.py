"""Which run the dashboard shows, and the message a page gives when its artifacts are missing
or damaged: one line naming the file and the command that mends it (`stop_with`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import streamlit as st

from app import loaders
from app.build_progress import runs_being_built, show_build_progress
from model.latent_files import latent_names
from model.pipeline.runs import ANALYSIS_DIR, ArtifactLayout, Run, RunError

ARTIFACTS_ENV = "ZSPACE_ARTIFACTS"  # where the runs are; default ./artifacts
RUN_KEY = "run"


def artifacts_root() -> Path:
    return Path(os.environ.get(ARTIFACTS_ENV, "artifacts"))


def layout() -> ArtifactLayout:
    return ArtifactLayout(artifacts_root())


def run_names() -> list[str]:
    """The runs a person can pick: all but those a background build has not yet analysed."""
    root = artifacts_root()
    building = runs_being_built(root)
    return [
        name
        for name in loaders.run_names(str(root))
        if name not in building or _analysed(root, name)
    ]


def _analysed(root: Path, name: str) -> bool:
    """The run's analysis is recorded (a build may be checking it again, or adding maps)."""
    try:
        return loaders.open_run(str(ArtifactLayout(root).run(name))).stage("analyze") is not None
    except (RunError, ValueError, OSError):
        return False


def run_picker() -> None:
    """The sidebar's run selector and the progress of runs still being built (they join the
    picker when ready); the choice lives in the session and in the URL (?run=)."""
    names = run_names()
    show_build_progress(artifacts_root())
    if not names:
        return
    wanted = st.query_params.get(RUN_KEY) or st.session_state.get(RUN_KEY)
    if wanted not in names:
        wanted = "demo" if "demo" in names else names[0]
    choice = st.sidebar.selectbox("Run", names, index=names.index(wanted), key="run_picker")
    st.session_state[RUN_KEY] = choice
    st.query_params[RUN_KEY] = choice


def stop_with(error: RunError) -> NoReturn:
    """Say what is wrong and the command that fixes it, then stop the page (no traceback)."""
    st.warning(str(error))
    if error.fix is not None:
        st.markdown("Fix it with:")
        st.code(error.fix, language="bash")
    st.stop()
    raise AssertionError("unreachable: st.stop ends the script run")


def current_run() -> Run:
    """The selected run, its manifest and data set checked; or a message naming what is wrong
    and how to mend it."""
    root = artifacts_root()
    name = st.session_state.get(RUN_KEY)
    if name is None and runs_being_built(root):
        st.info("The first run is still being built (its progress is in the sidebar).")
        st.stop()
    if name is None:
        quickstart = layout().command("quickstart")
        stop_with(RunError(f"No runs under `{root}/runs/` yet.", fix=quickstart))
    run = loaders.open_run(str(layout().run(name)))
    loaders.run_dataset(run)
    return run


def require_result(run: Run, name: str) -> None:
    """Stop the page with a message when the run's analysis predates result `name`."""
    if f"{ANALYSIS_DIR}/{name}.npz" not in run.stage("analyze")["files"]:
        stop_with(RunError(
            f"The analysis of `{run.name}` was made before zspace computed `{name}`; "
            "analysing it again adds just that (the rest is kept).",
            fix=run.stage_command("analyze"),
        ))  # fmt: skip


def require(run: Run, *stages: str) -> None:
    """Stop the page with a message when a stage the page needs is missing or damaged: its
    files against the manifest, then what the page reads of them (the decoder, the latents)
    against the run (loaders)."""
    for stage in stages:
        problems = loaders.stage_problems(run, stage)
        if problems:
            stop_with(RunError(
                f"This page needs the run's {stage} output:\n\n"
                + "\n".join(f"- {p}" for p in problems),
                fix=run.stage_command(stage),
            ))  # fmt: skip
        if stage == "train":
            loaders.decoder(run)
        if stage == "encode":
            for name in latent_names(run.config.model.kind):
                loaders.latents(run, name)
