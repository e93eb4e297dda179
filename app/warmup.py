"""Everything a live view needs, loaded before the server answers its first request.

`python -m scripts.serve` calls `warm_up` in the server's own process, before Streamlit starts:
it fills the same shared caches the pages read (st.cache_resource, which lives in the process,
not in a session), so a new session's first view waits for no decoder or index to load. Then it
freezes the garbage collector's view of these long-lived objects: Streamlit runs a full
`gc.collect()` after every script run, and a full collection per slider move is what made faces
lag.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from threadpoolctl import threadpool_limits

from model.analysis.density import GaussianFit, NearestData
from model.analysis.radius import RadiusAnalysis
from model.network_files import ONNX_FILE
from model.pipeline.runs import TRAIN_DIR, ArtifactLayout, Run, RunError

# What the live views (Sample, Interpolate, Attributes, Compare) read on every move.
LIVE_ANALYSIS = {"gaussian": GaussianFit, "nearest": NearestData, "radius": RadiusAnalysis}
# Streamlit warns on every cache call made outside a session ("bare mode"); here that is the point.
BARE_MODE_LOGGERS = (
    "streamlit.runtime.caching.cache_data_api",
    "streamlit.runtime.scriptrunner_utils.script_run_context",
)


def warm_up(root: Path, report: Callable[[str], None] = print) -> None:
    """Load every run's decoder and nearest-data index under `root`; one line each."""
    with _quiet_bare_mode():
        # Imported here, where the bare-mode warnings are quiet. pandas and pyarrow carry
        # st.dataframe; app.figures is plotly and the figure builders.
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401

        from app import figures, loaders

        for run_dir in ArtifactLayout(root).runs():
            started = time.perf_counter()
            try:
                ready = _warm_run(loaders, figures, loaders.open_run(str(run_dir)))
            except (RunError, ValueError, OSError) as error:
                report(f"  {run_dir.name}: not loaded ({error}); its pages will say what to do")
                continue
            report(f"  {run_dir.name}: {', '.join(ready) or 'nothing built yet'} "
                   f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    gc.collect()
    gc.freeze()
    # One BLAS thread: the server's many sessions are its parallelism, and a nearest-data search
    # that took both cores right after the faces went out slowed their painting in a browser on
    # the same machine.
    threadpool_limits(1, user_api="blas")


@contextmanager
def _quiet_bare_mode() -> Iterator[None]:
    import streamlit  # noqa: F401 (creates its loggers, with their levels, on import)

    loggers = [logging.getLogger(name) for name in BARE_MODE_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _warm_run(loaders: ModuleType, figures: ModuleType, run: Run) -> list[str]:
    """What of `run` is now loaded: its decoder and, once analysed, the index and
    one radius overlay (Plotly builds its validators on a process's first figure: ~1 s)."""
    ready = []
    if not loaders.stage_problems(run, "train") and run.records(f"{TRAIN_DIR}/{ONNX_FILE}"):
        loaders.decoder(run).warm_up()
        ready.append("decoder")
    if not loaders.stage_problems(run, "encode") and not loaders.stage_problems(run, "analyze"):
        loaders.latent_index(run)
        dataset = loaders.run_dataset(run)
        loaders.training_index(run, dataset)
        loaded = {name: loaders.analysis(run, name, cls) for name, cls in LIVE_ANALYSIS.items()}
        radii = loaded["radius"].radii_z
        figures.sample_radius(radii, radii[:1]).to_json()
        ready.append("nearest-data indexes")
    return ready
