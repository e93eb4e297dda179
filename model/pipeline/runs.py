"""Run directories and their manifest: what was made, from what, with which code, how long.

A run lives at `<artifacts>/runs/<name>/` with `manifest.json`:
schema version, created time, code version, seed, library versions, the resolved config, the
data set, and per stage (train, encode, ...) its params, metrics, elapsed seconds and files
(path relative to the run, sha256, size).

Each stage's outputs are one folder (train/, latents/, analysis/), built aside and swapped in
with the manifest by `Run.commit`, so a run is never worse off after a command fails or is
stopped: until the commit, the run is exactly what it was.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import platform
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from model.commands import command, older_format
from model.config import RunConfig
from model.data.store import Dataset
from model.files import (
    file_record,
    finish_swap,
    read_json,
    remove_temporaries,
    sha256_of,
    signals_deferred,
    swap_in,
    temporary_directory,
    write_json,
)
from model.locks import lock_beside
from model.names import check_name, is_valid_name

SCHEMA_VERSION = 2  # 1: before every setting and one data set identity (model.pipeline.upgrade)
MANIFEST_FILE = "manifest.json"
STAGES = ("train", "encode", "analyze")
TRAIN_DIR, LATENTS_DIR, ANALYSIS_DIR = "train", "latents", "analysis"
STAGE_DIRS = {"train": TRAIN_DIR, "encode": LATENTS_DIR, "analyze": ANALYSIS_DIR}
# A training that has not finished: its epoch checkpoints, until it commits as train/.
TRAINING_DIR = "train.partial"
_LIBRARIES = ("numpy", "tensorflow-cpu", "tensorflow", "keras", "pillow", "tqdm")


class RunError(ValueError):
    """A run's artifacts are missing or do not match its manifest; the message says the fix."""


class OlderRun(RunError):
    """A run an older zspace wrote, in an older schema: `python -m scripts.upgrade` upgrades it."""


@dataclass(frozen=True)
class ArtifactLayout:
    """Where data sets and runs live under one artifacts root."""

    root: Path

    def dataset(self, name: str) -> Path:
        return self.root / "datasets" / check_name("data set", name)

    def run(self, name: str) -> Path:
        return self.root / "runs" / check_name("run", name)

    def runs(self) -> list[Path]:
        """Every directory under runs/ that has a manifest and a valid name, by name."""
        runs_dir = self.root / "runs"
        if not runs_dir.is_dir():
            return []
        return sorted(
            p for p in runs_dir.iterdir()
            if is_valid_name(p.name) and (p / MANIFEST_FILE).is_file()
        )  # fmt: skip

    def run_lock(self, name: str) -> contextlib.AbstractContextManager[None]:
        """The lock every command holds while it writes run `name` (model.locks)."""
        return lock_beside(self.run(name), f"run {name}")

    def dataset_lock(self, name: str) -> contextlib.AbstractContextManager[None]:
        """The lock every command holds while it writes data set `name`."""
        return lock_beside(self.dataset(name), f"data set {name}")


def code_version() -> str:
    """The git commit of this code, with '-dirty' for uncommitted changes; 'unknown' outside git."""
    try:
        commit = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def _git(*args: str) -> str:
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=10
    )
    return done.stdout.strip()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


class Run:
    """A run directory and its manifest. Every change to the manifest is written atomically."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = Path(path)
        self.manifest = manifest

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config(self) -> RunConfig:
        return RunConfig.from_dict(self.manifest["config"])

    @classmethod
    def new(cls, path: Path, config: RunConfig, dataset: Dataset) -> Run:
        """A run with no stages yet; nothing is written until its first `commit`."""
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "created": _now(),
            "code_version": code_version(),
            "seed": config.train.seed,
            "libraries": library_versions(),
            "config": config.to_dict(),
            "dataset": _dataset_record(dataset),
            "stages": {},
        }
        return cls(path, manifest)

    @classmethod
    def open(cls, path: Path) -> Run:
        """Open and validate a run's manifest (not yet its files: see `check`)."""
        manifest_path = Path(path) / MANIFEST_FILE
        if not manifest_path.is_file():
            raise RunError(
                f"{manifest_path} not found: no run at {path}; make one with "
                f"`{command('train', '--preset', 'NAME', '--run', Path(path).name)}`"
            )
        manifest = read_json(manifest_path)
        missing = {"schema_version", "config", "dataset", "stages", "seed"} - set(manifest)
        if missing:
            raise RunError(f"{manifest_path} lacks {', '.join(sorted(missing))}")
        version = manifest["schema_version"]
        if version != SCHEMA_VERSION:
            older = isinstance(version, int) and version < SCHEMA_VERSION
            raise (OlderRun if older else RunError)(
                older_format(manifest_path, version, SCHEMA_VERSION)
            )
        try:
            RunConfig.from_dict(manifest["config"])
        except (TypeError, ValueError) as error:
            raise RunError(f"{manifest_path}: invalid config: {error}") from error
        return cls(Path(path), manifest)

    def save(self) -> None:
        write_json(self.path / MANIFEST_FILE, self.manifest)

    def stage(self, name: str) -> dict[str, Any] | None:
        return self.manifest["stages"].get(name)

    def records(self, relative: str) -> bool:
        """Whether a stage records the file `relative` (to the run), e.g. 'train/decoder.onnx'."""
        return any(relative in stage["files"] for stage in self.manifest["stages"].values())

    def add_files(self, name: str, files: list[Path]) -> None:
        """Record files newly written into stage `name`'s folder (what a later zspace makes of
        what the stage made, such as the decoder's ONNX copy); the later stages stay."""
        self.manifest = copy.deepcopy(self.manifest)
        recorded = self.manifest["stages"][name]["files"]
        recorded.update({str(p.relative_to(self.path)): file_record(p) for p in files})
        self.save()

    def set_config(self, config: RunConfig, dataset: Dataset) -> None:
        """A new resolved config (e.g. more epochs) and its data set, recorded at the next
        `commit`."""
        self.manifest["config"] = config.to_dict()
        self.manifest["seed"] = config.train.seed
        self.manifest["dataset"] = _dataset_record(dataset)

    def record_stage(
        self,
        name: str,
        params: dict[str, Any],
        metrics: dict[str, Any],
        seconds: float,
        files: list[Path],
    ) -> None:
        """Record a stage whose files are already in place (analysis steps added to an
        analysis); the stages after it are dropped, as they are now stale."""
        self.manifest = _with_stage(self.manifest, name, _stage_record(
            params, metrics, seconds, {str(p.relative_to(self.path)): p for p in files}
        ))  # fmt: skip
        self.save()

    @contextlib.contextmanager
    def staging(self, name: str) -> Iterator[Path]:
        """A new hidden folder in the run to build stage `name`'s outputs in, for `commit`."""
        with temporary_directory(self.path / STAGE_DIRS[name]) as folder:
            yield folder

    def commit(
        self,
        name: str,
        staged: Path,
        params: dict[str, Any],
        metrics: dict[str, Any],
        seconds: float,
        files: Sequence[str],
    ) -> None:
        """Make the folder `staged` (inside the run) stage `name`'s folder and record it with
        its `files` (names inside it), together with any change made to this Run's manifest
        since it was read (`set_config`, or all of it for a run made by `new`).

        The old folder is kept until the new manifest is written, and the manifest first
        records the commit as pending, so a kill at any point leaves either the old run or the
        new one (`recover` finishes or undoes a pending commit). The stages after `name` are
        dropped, with their folders, as they are now stale.
        """
        final = STAGE_DIRS[name]
        record = _stage_record(
            params, metrics, seconds, {f"{final}/{f}": Path(staged) / f for f in files}
        )
        future = _with_stage(self.manifest, name, record)
        manifest_path = self.path / MANIFEST_FILE
        on_disk = read_json(manifest_path) if manifest_path.is_file() else {**future, "stages": {}}
        final_dir = self.path / final
        with signals_deferred():
            write_json(manifest_path, {**on_disk, "pending": {"stage": name, "manifest": future}})
            try:
                old = swap_in(Path(staged), final_dir)
                write_json(manifest_path, future)
            except BaseException:  # the disk failed mid-commit: back to the old run at once
                if not Path(staged).exists() and final_dir.exists():
                    os.replace(final_dir, staged)  # the new folder back where it was built
                finish_swap(final_dir)
                write_json(manifest_path, on_disk)
                raise
            self.manifest = future
        shutil.rmtree(old, ignore_errors=True)
        self._remove_stale(name)

    def recover(self) -> None:
        """Finish a commit that was stopped after its folder was swapped in, or undo one that
        was stopped before; call it under the run's lock, before writing."""
        pending = self.manifest.get("pending")
        if pending is None:
            return
        name = pending["stage"]
        if _holds(self.path, pending["manifest"]["stages"][name]):  # swapped in: the new run
            self.manifest = pending["manifest"]
            self.save()
            self._remove_stale(name)
        else:  # not swapped in: the old run, with its folder back in place
            finish_swap(self.path / STAGE_DIRS[name])
            self.manifest = {k: v for k, v in self.manifest.items() if k != "pending"}
            self.save()

    def _remove_stale(self, name: str) -> None:
        """What a commit of stage `name` made stale: the later stages' folders, the old folder
        and, after a training, any other unfinished training."""
        later = [STAGE_DIRS[stage] for stage in STAGES[STAGES.index(name) + 1 :]]
        for folder in [*later, *([TRAINING_DIR] if name == "train" else [])]:
            shutil.rmtree(self.path / folder, ignore_errors=True)
        remove_temporaries(self.path)

    @property
    def imported(self) -> bool:
        """The run's networks were trained elsewhere (scripts.import_model)."""
        return self.config.model.architecture == "imported"

    def stage_command(self, name: str) -> str:
        """The command that makes (or remakes) stage `name` of this run."""
        if name == "train" and self.imported and self.stage("train") is not None:
            source = self.stage("train")["metrics"]["imported_from"]
            return command(
                "import_model", "--encoder", source["encoder"], "--decoder", source["decoder"],
                "--data", self.manifest["dataset"]["name"], "--run", self.name, "--force",
            )  # fmt: skip
        return stage_command(name, self.name)

    def file_problems(self, name: str) -> list[str]:
        """Every missing or mismatched file of a recorded stage, each with its rebuild command."""
        stage = self.stage(name)
        command = self.stage_command(name)
        if stage is None:
            return [f"stage {name!r} has not run for {self.path}; run `{command}`"]
        problems = []
        for relative, record in stage["files"].items():
            path = self.path / relative
            if not path.is_file():
                problems.append(f"{path} is missing; rebuild it with `{command}`")
            elif path.stat().st_size != record["size"] or sha256_of(path) != record["sha256"]:
                problems.append(
                    f"{path} does not match the manifest (changed since {name} wrote it); "
                    f"rebuild it with `{command}`"
                )
        return problems

    def ran_with(self, name: str, params: dict[str, Any]) -> bool:
        """True when stage `name` is recorded with exactly these params."""
        stage = self.stage(name)
        return stage is not None and stage["params"] == as_json(params)

    def is_current(self, name: str, params: dict[str, Any]) -> bool:
        """True when `name` ran with these params and all its files are intact."""
        return self.ran_with(name, params) and not self.file_problems(name)

    def check(self, *stages: str) -> None:
        """Raise RunError listing every problem of the given stages' files."""
        problems = [p for name in stages for p in self.file_problems(name)]
        if problems:
            raise RunError("\n".join(problems))


def stage_command(stage: str, run: str) -> str:
    """The command that makes stage `stage` of the run named `run`."""
    return command(stage, "--run", run)


@contextlib.contextmanager
def open_for_writing(layout: ArtifactLayout, name: str) -> Iterator[Run | None]:
    """Run `name` (None if it has no manifest yet) under its lock, with any commit a killed
    command left pending finished or undone, and the temporary files of killed commands
    removed. Every command that writes a run does it in this block."""
    with layout.run_lock(name):
        path = layout.run(name)
        run = Run.open(path) if (path / MANIFEST_FILE).is_file() else None
        if run is not None:
            run.recover()
        for folder in (path, *(path / d for d in (*STAGE_DIRS.values(), TRAINING_DIR))):
            remove_temporaries(folder)
        yield run


def _holds(run_dir: Path, record: dict[str, Any]) -> bool:
    """True when the run's folder holds exactly the files of a stage `record`."""
    for relative, expected in record["files"].items():
        path = run_dir / relative
        if not path.is_file() or file_record(path) != expected:
            return False
    return True


def _stage_record(
    params: dict[str, Any], metrics: dict[str, Any], seconds: float, files: dict[str, Path]
) -> dict[str, Any]:
    return {
        "params": as_json(params),
        "metrics": metrics,
        "elapsed_seconds": round(seconds, 3),
        "completed": _now(),
        "code_version": code_version(),
        "files": {relative: file_record(path) for relative, path in files.items()},
    }


def _with_stage(manifest: dict[str, Any], name: str, record: dict[str, Any]) -> dict[str, Any]:
    """`manifest` with stage `name` recorded and the stages after it dropped."""
    future = copy.deepcopy({k: v for k, v in manifest.items() if k != "pending"})
    for later in STAGES[STAGES.index(name) + 1 :]:
        future["stages"].pop(later, None)
    future["stages"][name] = record
    return future


def as_json(value: Any) -> Any:
    """`value` as it reads back from JSON (tuples become lists), so comparisons hold."""
    return json.loads(json.dumps(value))


def _dataset_record(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.path.name,
        "id": dataset.identity(),
        "source": dataset.info.source.get("kind"),
        "count": dataset.info.count,
        "image_size": dataset.info.image_size,
        "split": dataset.info.split,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
