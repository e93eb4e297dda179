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

from model.commands import command, older_format, shell
from model.config import RunConfig
from model.data.sources import first_build_arguments, prepare_arguments
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
from model.links import check_no_links, describe_link, first_link, regular_file_in
from model.locks import lock_beside
from model.names import check_name, is_valid_name

# 1: before every setting and one data set identity; 2: before the data set's source was recorded
# and latents stopped depending on the batch size (model.pipeline.upgrade)
SCHEMA_VERSION = 3
MANIFEST_FILE = "manifest.json"
STAGES = ("train", "encode", "analyze")
TRAIN_DIR, LATENTS_DIR, ANALYSIS_DIR = "train", "latents", "analysis"
STAGE_DIRS = {"train": TRAIN_DIR, "encode": LATENTS_DIR, "analyze": ANALYSIS_DIR}
# A training that has not finished: its epoch checkpoints, until it commits as train/.
TRAINING_DIR = "train.partial"
_LIBRARIES = ("numpy", "tensorflow-cpu", "tensorflow", "keras", "pillow", "tqdm")


class RunError(ValueError):
    """A run's artifacts are missing, damaged or do not match its manifest. The message says
    what is wrong and what to do; `fix` is the one command that mends it, when there is one
    (the dashboard shows it to copy)."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix


class OlderRun(RunError):
    """A run an older zspace wrote, in an older schema: `python -m scripts.upgrade` upgrades it."""


@dataclass(frozen=True)
class ArtifactLayout:
    """Where data sets and runs live under one artifacts root."""

    root: Path

    @property
    def datasets_folder(self) -> Path:
        return self.root / "datasets"

    @property
    def runs_folder(self) -> Path:
        return self.root / "runs"

    def dataset(self, name: str) -> Path:
        return self.datasets_folder / check_name("data set", name)

    def run(self, name: str) -> Path:
        return self.runs_folder / check_name("run", name)

    def runs(self) -> list[Path]:
        """Every directory under runs/ that has a manifest and a valid name, by name."""
        runs_dir = self.runs_folder
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

    def command(self, script: str, *args: object) -> str:
        """`python -m scripts.SCRIPT ARGS` for this artifacts folder (`--artifacts` added when
        it is not the default): the command a message tells a person to run."""
        return command(script, *args, artifacts=self.root)

    def set_aside(self, name: str) -> str:
        """The shell command that moves run `name` out of runs/ (to `<root>/NAME.set-aside`),
        keeping all it holds, so that no zspace command reads it any more."""
        return shell("mv", self.run(name), self.root / f"{name}.set-aside")


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
    def layout(self) -> ArtifactLayout:
        """The artifacts folder the run is in."""
        return ArtifactLayout(self.path.parent.parent)

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
        """Open and validate a run's manifest (not yet its files: see `check`). A run whose
        manifest cannot be read is named with the command that sets it aside."""
        path = Path(path)
        layout, manifest_path = ArtifactLayout(path.parent.parent), path / MANIFEST_FILE
        if not os.path.lexists(manifest_path):
            train = layout.command("train", "--preset", "demo", "--run", path.name)
            raise RunError(
                f"no run {path.name} under {path.parent} ({MANIFEST_FILE} not found); train one "
                f"with `{train}` (or another preset)", fix=train,
            )  # fmt: skip
        aside = layout.set_aside(path.name)
        if (link := first_link(path, MANIFEST_FILE)) is not None:
            raise RunError(f"{describe_link(link)}, which zspace never reads through; set the "
                           f"run aside with `{aside}`", fix=aside)  # fmt: skip
        try:
            manifest = read_json(manifest_path)
            check_manifest(manifest)
        except (ValueError, TypeError, KeyError, OSError) as error:
            problem = str(error) if str(error).startswith(str(manifest_path)) else (
                f"{manifest_path}: {error}")  # fmt: skip
            raise RunError(
                f"{problem}; zspace cannot read run {path.name}: set it aside (all it holds is "
                f"kept) with `{aside}`", fix=aside,
            ) from error  # fmt: skip
        version = manifest["schema_version"]
        if version != SCHEMA_VERSION:
            older = isinstance(version, int) and version < SCHEMA_VERSION
            message = older_format(manifest_path, version, SCHEMA_VERSION, layout.root)
            if older:
                raise OlderRun(message, fix=layout.command("upgrade"))
            raise RunError(message)
        return cls(path, manifest)

    def save(self) -> None:
        write_json(self.path / MANIFEST_FILE, self.manifest)

    def stage(self, name: str) -> dict[str, Any] | None:
        return self.manifest["stages"].get(name)

    def records(self, relative: str) -> bool:
        """Whether a stage records the file `relative` (to the run), e.g. 'train/decoder.onnx'."""
        return any(relative in stage["files"] for stage in self.manifest["stages"].values())

    def set_config(self, config: RunConfig, dataset: Dataset) -> None:
        """A new resolved config (e.g. more epochs) and its data set, recorded at the next
        `commit`."""
        self.manifest["config"] = config.to_dict()
        self.manifest["seed"] = config.train.seed
        self.manifest["dataset"] = _dataset_record(dataset)

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
        dropped, with their folders, as they are now stale; unless the new files are the very
        files the stage held (a damaged file made again), which the later stages were made from.
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
        """What a commit of stage `name` made stale: the folders of the later stages it dropped,
        the old folder and, after a training, any other unfinished training."""
        later = [STAGE_DIRS[stage] for stage in STAGES[STAGES.index(name) + 1 :]
                 if stage not in self.manifest["stages"]]  # fmt: skip
        for folder in [*later, *([TRAINING_DIR] if name == "train" else [])]:
            shutil.rmtree(self.path / folder, ignore_errors=True)
        remove_temporaries(self.path)

    @property
    def imported(self) -> bool:
        """The run's networks were trained elsewhere (scripts.import_model)."""
        return self.config.model.architecture == "imported"

    def stage_command(self, name: str, force: bool = False) -> str:
        """The command that makes stage `name` of this run, or remakes its missing or changed
        files; with `force`, remakes it whatever its manifest says (for files that match their
        record but cannot be used)."""
        if name == "train" and self.imported and self.stage("train") is not None:
            source = self.stage("train")["metrics"]["imported_from"]
            return self.layout.command(
                "import_model", "--encoder", source["encoder"], "--decoder", source["decoder"],
                "--data", self.manifest["dataset"]["name"], "--run", self.name, "--force",
            )  # fmt: skip
        return self.layout.command(name, "--run", self.name, *(["--force"] if force else []))

    def file_problems(self, name: str) -> list[str]:
        """Every missing or mismatched file of a recorded stage, each with its rebuild command."""
        stage = self.stage(name)
        command = self.stage_command(name)
        if stage is None:
            return [f"stage {name!r} has not run for {self.path}; run `{command}`"]
        problems = []
        for relative, record in stage["files"].items():
            path = self.path / relative
            if (link := first_link(self.path, relative)) is not None:
                problems.append(f"{describe_link(link)}, which zspace never reads through; "
                                f"remove it and rebuild it with `{command}`")  # fmt: skip
            elif regular_file_in(self.path, relative) is None:
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
        """Raise RunError listing every problem of the given stages' files, with the command
        that remakes the first stage that has one."""
        problems = {name: self.file_problems(name) for name in stages}
        first = next((name for name in stages if problems[name]), None)
        if first is not None:
            lines = [line for name in stages for line in problems[name]]
            raise RunError("\n".join(lines), fix=self.stage_command(first))


def open_dataset(layout: ArtifactLayout, name: str) -> Dataset:
    """Data set `name`, for a new training; a missing one is named with the command that
    builds it."""
    path = layout.dataset(name)
    if not os.path.lexists(path):
        build = layout.command("prepare_data", *first_build_arguments(name))
        raise RunError(f"data set {path} not found; build it with `{build}`", fix=build)
    return Dataset(path)


def dataset_command(run: Run, force: bool = False) -> str | None:
    """The `prepare_data` command that builds the images run `run` was trained on, as they
    were (with `--force`: over a data set of the same name); None for a source prepare_data
    does not build (a test's own data)."""
    record = run.manifest["dataset"]
    arguments = prepare_arguments(record["name"], record["source"], record["image_size"],
                                  record["split"])  # fmt: skip
    if arguments is None:
        return None
    return run.layout.command("prepare_data", *arguments, *(["--force"] if force else []))


def run_dataset(run: Run) -> Dataset:
    """The data set run `run` was trained on, checked to be the very images it was trained
    and encoded on. Missing, unreadable or rebuilt since, it is one RunError naming the run,
    the data set and the command that mends it."""
    layout, record = run.layout, run.manifest["dataset"]
    path = layout.dataset(record["name"])
    as_it_was = dataset_command(run)
    if not os.path.lexists(path):
        if as_it_was is None:
            raise RunError(f"data set {path}, which run {run.name} was trained on, is missing; "
                           f"it was built from a {record['source'].get('kind')!r} source that "
                           "prepare_data does not build: put it back")  # fmt: skip
        raise RunError(f"data set {path}, which run {run.name} was trained on, is missing; "
                       f"build it as it was with `{as_it_was}`", fix=as_it_was)  # fmt: skip
    try:
        dataset = Dataset(path)
    except (ValueError, OSError) as error:
        again = dataset_command(run, force=True)
        how = "" if again is None else f"; build it again as it was with `{again}`"
        raise RunError(f"data set {record['name']} of run {run.name} cannot be read: "
                       f"{error}{how}", fix=again) from error  # fmt: skip
    if dataset.identity() != record["id"]:
        retrain = run.stage_command("train", force=True)
        again = dataset_command(run, force=True)
        how = "" if again is None else f", or build it again as it was with `{again}`"
        then, now = _images(record), _images(dataset.info)
        now = "other images of the same sizes" if now == then else now
        raise RunError(
            f"data set {path} was rebuilt after run {run.name} was trained on it: run "
            f"{run.name} was trained on {then}, the data set now holds {now}; "
            f"train the run again on the new images with `{retrain}`{how}", fix=retrain,
        )  # fmt: skip
    return dataset


def _images(record: Any) -> str:
    """'96 images of 32 px (80 train, 16 test)' of a run's data set record or a DatasetInfo."""
    get = record.get if isinstance(record, dict) else lambda key: getattr(record, key)
    (a, b), (c, d) = get("split")["train"], get("split")["test"]
    return f"{get('count')} images of {get('image_size')} px ({b - a} train, {d - c} test)"


@contextlib.contextmanager
def open_for_writing(
    layout: ArtifactLayout, name: str, create: bool = False
) -> Iterator[Run | None]:
    """Run `name` (None if it has no manifest yet: only when `create`) under its lock, with any
    commit a killed command left pending finished or undone, and the temporary files of killed
    commands removed. Every command that writes a run does it in this block, and none writes
    through a link (model.links). A run that does not exist is refused before anything is
    written, unless `create`."""
    path = layout.run(name)
    if not create:
        Run.open(path)  # the message that says how to make the run, before the lock's folder
    with layout.run_lock(name):
        check_no_links(path, f"run {name}")
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
    """`manifest` with stage `name` recorded and the stages after it dropped, unless the stage's
    files are byte for byte those it held (then what was made from them still holds)."""
    future = copy.deepcopy({k: v for k, v in manifest.items() if k != "pending"})
    held = future["stages"].get(name, {}).get("files")
    if held != record["files"]:
        for later in STAGES[STAGES.index(name) + 1 :]:
            future["stages"].pop(later, None)
    future["stages"][name] = record
    return future


def as_json(value: Any) -> Any:
    """`value` as it reads back from JSON (tuples become lists), so comparisons hold."""
    return json.loads(json.dumps(value))


def check_manifest(manifest: Any) -> None:
    """ValueError naming what is wrong unless `manifest` has the shape this zspace writes: a
    config it accepts, a data set record with a valid name and sane sizes, stages it knows
    with {sha256, size} records of files inside the run."""
    if not isinstance(manifest, dict):
        raise TypeError("the manifest is not a JSON object")
    missing = {"schema_version", "config", "dataset", "stages", "seed"} - set(manifest)
    if missing:
        raise ValueError(f"lacks {', '.join(sorted(missing))}")
    if manifest["schema_version"] != SCHEMA_VERSION:
        return  # another schema: Run.open names the upgrade (or says it is newer)
    try:
        RunConfig.from_dict(manifest["config"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"invalid config: {error}") from None
    record = manifest["dataset"]
    if not isinstance(record, dict):
        raise TypeError("its data set record is not a JSON object")
    check_name("data set", record.get("name"))
    for key in ("count", "image_size"):
        value = record.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ROWS:
            raise ValueError(f"data set {key} {value!r} is not a whole number from 1 to "
                             f"{MAX_ROWS}")  # fmt: skip
    if not isinstance(record.get("id"), str) or not isinstance(record.get("source"), dict):
        raise TypeError("its data set record lacks the data set's id or source")
    stages = manifest["stages"]
    if not isinstance(stages, dict) or not set(stages) <= set(STAGES):
        raise ValueError(f"its stages are not among {', '.join(STAGES)}")
    for name, stage in stages.items():
        files = stage.get("files") if isinstance(stage, dict) else None
        if not isinstance(files, dict) or not isinstance(stage.get("params"), dict):
            raise TypeError(f"stage {name} lacks its params or files")
        for relative, file in files.items():
            parts = Path(relative).parts
            if Path(relative).is_absolute() or ".." in parts or len(parts) != 2:
                raise ValueError(f"stage {name} records a file outside the run: {relative!r}")
            if not (isinstance(file, dict) and isinstance(file.get("sha256"), str)
                    and isinstance(file.get("size"), int)):  # fmt: skip
                raise TypeError(f"stage {name}'s record of {relative} is not {{sha256, size}}")


MAX_ROWS = 10**9  # images in a data set, pixels on a side: far beyond any real one


def _dataset_record(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.path.name,
        "id": dataset.identity(),
        "source": dataset.info.source,
        "count": dataset.info.count,
        "image_size": dataset.info.image_size,
        "split": dataset.info.split,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
