"""Run directories and their manifest: what was made, from what, with which code, how long.

A run lives at `<artifacts>/runs/<name>/` with `manifest.json`:
schema version, created time, code version, seed, library versions, the resolved config, the
data set, and per stage (train, encode, ...) its params, metrics, elapsed seconds and files
(path relative to the run, sha256, size).
"""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from model.config import RunConfig
from model.data.store import INFO_FILE, Dataset
from model.files import file_record, read_json, sha256_of, write_json

SCHEMA_VERSION = 1
MANIFEST_FILE = "manifest.json"
STAGES = ("train", "encode", "analyze")
# How each stage's outputs are rebuilt; `{run}` is the run's name.
STAGE_COMMANDS = {
    "train": "python -m scripts.train --run {run}",
    "encode": "python -m scripts.encode --run {run}",
    "analyze": "python -m scripts.analyze --run {run}",
}
_LIBRARIES = ("numpy", "tensorflow-cpu", "tensorflow", "keras", "pillow", "tqdm")


class RunError(ValueError):
    """A run's artifacts are missing or do not match its manifest; the message says the fix."""


@dataclass(frozen=True)
class ArtifactLayout:
    """Where data sets and runs live under one artifacts root."""

    root: Path

    def dataset(self, name: str) -> Path:
        return self.root / "datasets" / name

    def run(self, name: str) -> Path:
        return self.root / "runs" / name

    def runs(self) -> list[Path]:
        """Every directory under runs/ that has a manifest, by name."""
        runs_dir = self.root / "runs"
        if not runs_dir.is_dir():
            return []
        return sorted(p for p in runs_dir.iterdir() if (p / MANIFEST_FILE).is_file())


def dataset_id(dataset: Dataset) -> str:
    """Identity of a data set build: the sha256 of its dataset.json (it holds the build time)."""
    return sha256_of(dataset.path / INFO_FILE)


def code_version() -> str:
    """The git commit of this code, with '-dirty' for uncommitted changes; 'unknown' outside git."""
    try:
        commit = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def _git(*args: str) -> str:
    repo = Path(__file__).resolve().parents[1]
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
    def create(cls, path: Path, config: RunConfig, dataset: Dataset) -> Run:
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
        run = cls(path, manifest)
        run.save()
        return run

    @classmethod
    def open(cls, path: Path) -> Run:
        """Open and validate a run's manifest (not yet its files: see `check`)."""
        manifest_path = Path(path) / MANIFEST_FILE
        if not manifest_path.is_file():
            raise RunError(
                f"{manifest_path} not found: no run at {path}; make one with "
                f"`{STAGE_COMMANDS['train'].format(run=Path(path).name)}`"
            )
        manifest = read_json(manifest_path)
        missing = {"schema_version", "config", "dataset", "stages", "seed"} - set(manifest)
        if missing:
            raise RunError(f"{manifest_path} lacks {', '.join(sorted(missing))}")
        if manifest["schema_version"] != SCHEMA_VERSION:
            raise RunError(
                f"{manifest_path} has schema_version {manifest['schema_version']}; "
                f"this zspace reads {SCHEMA_VERSION}"
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

    def update_config(self, config: RunConfig, dataset: Dataset) -> None:
        """Record a new resolved config (e.g. more epochs) and the data set it uses."""
        self.manifest["config"] = config.to_dict()
        self.manifest["seed"] = config.train.seed
        self.manifest["dataset"] = _dataset_record(dataset)
        self.save()

    def record_stage(
        self,
        name: str,
        params: dict[str, Any],
        metrics: dict[str, Any],
        seconds: float,
        files: list[Path],
    ) -> None:
        """Record a finished stage; the stages after it are dropped, as they are now stale."""
        stages = self.manifest["stages"]
        for later in STAGES[STAGES.index(name) + 1 :]:
            stages.pop(later, None)
        stages[name] = {
            "params": _as_json(params),
            "metrics": metrics,
            "elapsed_seconds": round(seconds, 3),
            "completed": _now(),
            "code_version": code_version(),
            "files": {str(p.relative_to(self.path)): file_record(p) for p in files},
        }
        self.save()

    @property
    def imported(self) -> bool:
        """The run's networks were trained elsewhere (scripts.import_model)."""
        return self.config.model.architecture == "imported"

    def stage_command(self, name: str) -> str:
        """The command that makes (or remakes) stage `name` of this run."""
        if name == "train" and self.imported and self.stage("train") is not None:
            source = self.stage("train")["metrics"]["imported_from"]
            return (
                f"python -m scripts.import_model --encoder {source['encoder']} "
                f"--decoder {source['decoder']} --data {self.manifest['dataset']['name']} "
                f"--run {self.name} --force"
            )
        return STAGE_COMMANDS[name].format(run=self.name)

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
        return stage is not None and stage["params"] == _as_json(params)

    def is_current(self, name: str, params: dict[str, Any]) -> bool:
        """True when `name` ran with these params and all its files are intact."""
        return self.ran_with(name, params) and not self.file_problems(name)

    def check(self, *stages: str) -> None:
        """Raise RunError listing every problem of the given stages' files."""
        problems = [p for name in stages for p in self.file_problems(name)]
        if problems:
            raise RunError("\n".join(problems))


def _as_json(value: Any) -> Any:
    """`value` as it reads back from JSON (tuples become lists), so comparisons hold."""
    return json.loads(json.dumps(value))


def _dataset_record(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.path.name,
        "id": dataset_id(dataset),
        "source": dataset.info.source.get("kind"),
        "count": dataset.info.count,
        "image_size": dataset.info.image_size,
        "split": dataset.info.split,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
