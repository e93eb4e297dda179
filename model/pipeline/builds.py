"""Runs built one after another (train, encode, analyze), with their progress in a JSON file.

`build_runs` writes `builds.json` at the artifacts root as it goes; the dashboard reads it to
say which runs are still being built and how far along they are. Every stage skips when its
outputs are current and training resumes from its last epoch, so building again after a stop
continues where it left off.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from model.config import RunConfig
from model.files import write_json
from model.locks import exclusive
from model.pipeline.analysis import AnalysisConfig
from model.pipeline.build_status import BUILDS_FILE, MAPS, BuildStatus, RunProgress
from model.pipeline.runs import STAGES, ArtifactLayout
from model.pipeline.stages import (
    StageReport,
    analyze_stage,
    encode_stage,
    train_stage,
)

BUILD_LOCK = ".builds.lock"  # one build at a time writes builds.json
MapsWhen = Literal["with", "last", "skip"]


class _StatusFile:
    """The status of this process's build, rewritten atomically on every change."""

    def __init__(self, root: Path, runs: Sequence[str]) -> None:
        self.path = root / BUILDS_FILE
        self.status = BuildStatus(
            os.getpid(), socket.gethostname(), time.time(), tuple(RunProgress(r) for r in runs)
        )
        self._write()

    def set(self, run: str, state: str, done: int = 0, total: int = 0, detail: str = "") -> None:
        runs = tuple(
            RunProgress(run, state, done, total, detail) if progress.run == run else progress
            for progress in self.status.runs
        )
        self.status = dataclasses.replace(self.status, runs=runs)
        self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json(self.path, self.status.to_dict())


def build_runs(
    layout: ArtifactLayout,
    runs: Mapping[str, RunConfig],
    maps: MapsWhen = "with",
    analysis: AnalysisConfig | None = None,
    progress: bool = True,
    on_stage: Callable[[StageReport], None] | None = None,
) -> None:
    """Train, encode and analyze each run of `runs` (name: config) in order; `on_stage` hears
    what each stage did.

    `maps`: "with" analyses each run with its t-SNE and UMAP maps; "skip" without them; "last"
    without them first, then adds the maps of every run at the end, so every run can be looked at
    sooner. A failure marks the run failed and is raised; a Ctrl+C leaves the status as it was,
    which the dashboard shows as stopped. `analysis`: the settings with maps (default: the
    defaults of `analyze`). A second build under the same root is refused while one runs.
    """
    analysis = analysis or AnalysisConfig()
    with exclusive(layout.root / BUILD_LOCK, f"the build under {layout.root}"):
        status = _StatusFile(layout.root, list(runs))
        without_maps = dataclasses.replace(analysis, tsne_variants=(), umap_variants=())
        plan = _Plan(layout, status, progress, analysis, without_maps, on_stage or _ignore)
        for run, config in runs.items():
            first = analysis if maps == "with" else without_maps
            plan.build(run, config, STAGES, first, "ready" if maps != "last" else MAPS)
        if maps == "last":
            for run, config in runs.items():
                plan.build(run, config, ("analyze",), analysis, "ready")


def _ignore(report: StageReport) -> None:
    pass


@dataclass(frozen=True)
class _Plan:
    layout: ArtifactLayout
    status: _StatusFile
    progress: bool
    with_maps: AnalysisConfig
    without_maps: AnalysisConfig
    on_stage: Callable[[StageReport], None]

    def build(
        self,
        run: str,
        config: RunConfig,
        stages: Sequence[str],
        analysis: AnalysisConfig,
        last_state: str,
    ) -> None:
        adding_maps = stages == ("analyze",)
        stage = stages[0]
        try:
            for stage in stages:
                state = MAPS if adding_maps else stage
                self.status.set(run, state)
                self.on_stage(self._run(run, config, stage, state, analysis))
        except Exception:
            self.status.set(run, "failed", detail=f"the {stage} stage failed")
            raise
        self.status.set(run, last_state)

    def _run(
        self, run: str, config: RunConfig, stage: str, state: str, analysis: AnalysisConfig
    ) -> StageReport:
        if stage == "train":
            epochs = config.train.epochs

            def epoch_done(epoch: int) -> None:
                self.status.set(run, state, epoch, epochs, f"epoch {epoch} of {epochs} done")

            return train_stage(
                self.layout, run, config, progress=self.progress, on_epoch_end=epoch_done
            )
        if stage == "encode":
            return encode_stage(self.layout, run, progress=self.progress)
        def step_started(name: str, index: int, steps: int) -> None:
            self.status.set(run, state, index, steps, f"{name} (step {index + 1} of {steps})")

        # An analysis without maps (as this builder makes first) gets just its maps; one with
        # other settings is the user's, refused as `analyze` refuses it.
        return analyze_stage(self.layout, run, analysis, progress=self.progress,
                             on_step=step_started)  # fmt: skip
