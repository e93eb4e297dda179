"""Where a build of runs stands, as `build_runs` records it in `builds.json` at the artifacts
root; the dashboard's sidebar reads it. Plain data: the dashboard imports it without the
stages (and TensorFlow) that write it."""

from __future__ import annotations

import dataclasses
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.files import read_json
from model.pipeline.runs import STAGES

BUILDS_FILE = "builds.json"
MAPS = "maps"  # the state of a run whose maps are being added (it can be shown already)


@dataclass(frozen=True)
class RunProgress:
    """Where one run's build stands: "queued", a stage, "maps", "ready" or "failed"."""

    run: str
    state: str = "queued"
    done: int = 0  # units of the current stage done (epochs, analysis steps)
    total: int = 0
    detail: str = ""  # e.g. "epoch 3 of 8"

    @property
    def finished(self) -> bool:
        return self.state in ("ready", "failed")

    @property
    def viewable(self) -> bool:
        """Trained, encoded and analysed (its maps may still be on their way)."""
        return self.state not in ("queued", *STAGES)

    @property
    def fraction(self) -> float:
        """Of the stages up to a viewable run, each a third; of the maps once viewable."""
        within = self.done / self.total if self.total else 0.0
        if self.state == MAPS:
            return within
        if self.state not in STAGES:
            return 1.0 if self.finished else 0.0
        return (STAGES.index(self.state) + within) / len(STAGES)

    def describe(self) -> str:
        words = {
            "queued": "waiting",
            "train": "training",
            "encode": "encoding",
            "analyze": "analysing",
            MAPS: "adding its t-SNE and UMAP maps",
            "ready": "ready",
            "failed": "failed",
        }
        if self.state == MAPS and not self.total:
            return "ready to look at; its maps come last"
        text = words.get(self.state, self.state)
        return f"{text}, {self.detail}" if self.detail else text


@dataclass(frozen=True)
class BuildStatus:
    """What `build_runs` last wrote: its process, and every run it was asked for."""

    pid: int
    host: str
    started: float  # seconds since the epoch
    runs: tuple[RunProgress, ...]

    @property
    def alive(self) -> bool:
        """The builder is still running (on this machine; another host's builder is trusted)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def unfinished(self) -> list[RunProgress]:
        return [progress for progress in self.runs if not progress.finished]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildStatus:
        return cls(
            pid=int(data["pid"]),
            host=str(data["host"]),
            started=float(data["started"]),
            runs=tuple(RunProgress(**entry) for entry in data["runs"]),
        )


def read_build_status(root: Path) -> BuildStatus | None:
    """The last build's status, or None if there is none or it cannot be read."""
    path = root / BUILDS_FILE
    try:
        return BuildStatus.from_dict(read_json(path))
    except (OSError, ValueError, KeyError, TypeError):
        return None
