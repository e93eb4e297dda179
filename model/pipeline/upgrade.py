"""Runs and data sets written by an older zspace, brought up to this one's formats.

The one place that reads the older formats: every other reader refuses them, naming
`python -m scripts.upgrade`, which calls `upgrade_artifacts`.

From schema 1 to 2:
- a data set's dataset.json records the sha256 of its image rows (builds from before that was
  recorded get it by hashing images.npy once);
- a run identifies its data set by the images and split (`Dataset.identity`), where it recorded
  the hash of dataset.json, which holds the build time, so a byte-identical rebuild no longer
  makes a run out of date;
- a run's configs record every setting (mixed precision and the architecture were left out at
  their defaults), and its analysis lists its steps (analyses from before the list did
  `FIRST_STEPS`);
- training's reconstruction loss is `reconstruction_loss` (it was `reco_loss`), in the
  manifest, in history.json and in the checkpoints' records.

From schema 2 to 3 (runs only):
- a run records its data set's whole source (the folder or zip and settings it was built from,
  so a missing data set is named with the command that builds it again), where it recorded the
  source's kind: taken from the data set's dataset.json when that is still the very data set;
- the encoding's batch size is no longer a setting of the latents: each image's eps now comes
  from the seed row after row, so latents no longer depend on it. Latents encoded before keep
  their eps (drawn from the same seed, batch after batch) and stay valid;
- every trained run has its decoder as ONNX (`train/decoder.onnx`, what the dashboard decodes
  with): a run trained before zspace kept one gets it, exported from its decoder.keras and
  checked against it, without training again (this alone needs TensorFlow);
- an analysis records every setting (those it left out get their defaults; an analysis from
  before UMAP maps that made no t-SNE maps makes no UMAP maps either).

Older zspace also left temporaries named `.NAME.RANDOM.tmp`, and an unfinished first training
in `train/` (before `train.partial/` existed): both are tidied here (the temporaries removed,
the training moved to `train.partial/`, where `train --run NAME` continues it).

Nothing is lost, and a stop at any moment leaves every run either as it was or upgraded: the
manifest first records the files it is about to replace (old and new records), each file is
replaced atomically, and the new manifest is written last. Upgrading again finishes a stopped
upgrade. A data set is upgraded after every run trained on it. A run whose manifest cannot be
read, or that holds a link, is skipped with a line saying what to do; the others are upgraded.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from model.config import RunConfig
from model.data.store import IMAGES_FILE, INFO_FILE, Dataset, DatasetInfo, info_identity
from model.data.store import SCHEMA_VERSION as DATASET_SCHEMA
from model.files import atomic_path, file_record, read_json, sha256_of, write_json
from model.links import LinkError, check_no_links
from model.names import is_valid_name
from model.network_files import CHECKPOINT_FILE, DECODER_FILE, HISTORY_FILE, ONNX_FILE
from model.pipeline.analysis import AnalysisConfig
from model.pipeline.runs import (
    MANIFEST_FILE,
    SCHEMA_VERSION,
    STAGE_DIRS,
    TRAIN_DIR,
    TRAINING_DIR,
    ArtifactLayout,
    Run,
    RunError,
)

OLDER = 1  # a data set schema, and the oldest run schema, this module reads
RUN_SCHEMAS = (1, 2)  # the older run schemas it upgrades
FIRST_STEPS = ("radius", "components and correlations", "logvar", "pca", "tsne", "kmeans",
               "baselines", "density", "attributes")  # fmt: skip
RENAMED_METRICS = {"reco_loss": "reconstruction_loss"}


def upgrade_artifacts(
    layout: ArtifactLayout, report: Callable[[str], None] = lambda line: None
) -> int:
    """Upgrade every run and data set under `layout` written in an older schema; how many were
    (`report` hears each, and each run skipped because it cannot be read, with what to do).
    Each is upgraded under its lock; one that another command is writing raises `Busy`."""
    datasets = _older_datasets(layout, report)
    upgraded = _tidy_older_leftovers(layout, report)
    for path in layout.runs():
        try:
            check_no_links(path, f"run {path.name}")
            version = read_json(path / MANIFEST_FILE).get("schema_version")
        except (ValueError, AttributeError, OSError) as error:
            aside = layout.set_aside(path.name)
            report(f"skipped run {path.name}: {error}; set it aside with `{aside}`")
            continue
        if version not in RUN_SCHEMAS:
            continue
        with layout.run_lock(path.name):
            _upgrade_run(path, datasets, layout)
        upgraded += 1
        report(f"upgraded run {path.name}")
    for name, (info, _) in datasets.items():
        with layout.dataset_lock(name):
            write_json(layout.dataset(name) / INFO_FILE, info.to_dict())
        upgraded += 1
        report(f"upgraded data set {name}")
    return upgraded


_OLDER_TEMPORARY = re.compile(r"\..+\.(tmp(\.[^.]*)?|old)")  # `.NAME.RANDOM.tmp`, `.NAME.old`


def _tidy_older_leftovers(layout: ArtifactLayout, report: Callable[[str], None]) -> int:
    """What an older zspace left that this one does not read: temporaries of its own naming
    beside and inside runs and data sets (removed), and a run's unfinished first training in
    train/ with no manifest yet (moved to train.partial/, which `train --run NAME` continues).
    How many runs it moved."""
    folders = [layout.runs_folder, layout.datasets_folder]
    for top in list(folders):
        for entry in _entries(top):
            if is_valid_name(entry.name) and entry.is_dir() and not entry.is_symlink():
                folders += [entry, *(entry / name for name in STAGE_DIRS.values())]
    for folder in folders:
        for entry in _entries(folder):
            if "~" in entry.name or not _OLDER_TEMPORARY.fullmatch(entry.name):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    moved = 0
    for path in _entries(layout.runs_folder):
        first = path / TRAIN_DIR / CHECKPOINT_FILE
        if (is_valid_name(path.name) and not path.is_symlink() and first.is_file()
                and not (path / MANIFEST_FILE).exists() and not (path / TRAINING_DIR).exists()):
            with layout.run_lock(path.name):
                os.replace(path / TRAIN_DIR, path / TRAINING_DIR)
            report(f"moved run {path.name}'s unfinished first training to {TRAINING_DIR}/")
            moved += 1
    return moved


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() and not folder.is_symlink() else []


def _older_datasets(
    layout: ArtifactLayout, report: Callable[[str], None]
) -> dict[str, tuple[DatasetInfo, str]]:
    """Every schema-1 data set: its schema-2 info, and the identity runs recorded for it then
    (the sha256 of its dataset.json). One holding a link is skipped (`report` hears why)."""
    found = {}
    folder = layout.datasets_folder
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        info_path = path / INFO_FILE
        if not is_valid_name(path.name) or not info_path.is_file():  # a killed build's temporary
            continue
        try:
            check_no_links(path, f"data set {path.name}")
        except LinkError as error:
            report(f"skipped data set {path.name}: {error}")
            continue
        data = read_json(info_path)
        if data.get("schema_version") != OLDER:
            continue
        if not data.get("images_sha256"):
            offset = np.load(path / IMAGES_FILE, mmap_mode="r").offset
            data["images_sha256"] = sha256_of(path / IMAGES_FILE, start=offset)
        data["schema_version"] = DATASET_SCHEMA
        found[path.name] = (DatasetInfo.from_dict(data, str(info_path)), sha256_of(info_path))
    return found


def _upgrade_run(
    path: Path, datasets: dict[str, tuple[DatasetInfo, str]], layout: ArtifactLayout
) -> None:
    """Upgrade the run at `path`, of schema 1 or 2 (its lock held)."""
    old = read_json(path / MANIFEST_FILE)
    if "pending" in old:  # a commit a killed command left: finish or undo it first
        Run(path, old).recover()
        old = read_json(path / MANIFEST_FILE)
    info, old_id = datasets.get(old["dataset"]["name"], (None, None))
    new_id = info_identity(info) if info is not None else None

    def identity(recorded: str) -> str:
        return new_id if new_id is not None and recorded == old_id else recorded

    journal = old.get("upgrading")
    if journal is None:
        journal = _plan(path, old, identity) if old["schema_version"] == 1 else {
            "manifest": old, "files": {}}  # fmt: skip
        journal["manifest"] = _to_schema_3(path, journal["manifest"], layout, info)
    write_json(path / MANIFEST_FILE, {**old, "upgrading": journal})
    for relative, records in journal["files"].items():
        _replace(path / relative, records, identity)
    write_json(path / MANIFEST_FILE, journal["manifest"])


def _to_schema_3(
    path: Path, manifest: dict[str, Any], layout: ArtifactLayout, upgraded: DatasetInfo | None
) -> dict[str, Any]:
    """A schema-2 manifest in schema 3: the data set's whole source (from its dataset.json,
    upgraded or as it is, when that is still the very data set), no encoding batch size, the
    decoder as ONNX (exported here, before the manifest records it), every analysis setting."""
    manifest = copy.deepcopy(manifest)
    stages = manifest["stages"]
    onnx = f"{TRAIN_DIR}/{ONNX_FILE}"
    if "train" in stages and onnx not in stages["train"]["files"]:
        _export_onnx(path / TRAIN_DIR / DECODER_FILE, path / onnx)
        stages["train"]["files"][onnx] = file_record(path / onnx)
    if "analyze" in stages:
        config = stages["analyze"]["params"]["config"]
        if "umap_variants" not in config and not config.get("tsne_variants", True):
            config["umap_variants"] = []
        defaults = AnalysisConfig().maps_within(RunConfig.from_dict(manifest["config"]).model.z_dim)
        stages["analyze"]["params"]["config"] = {**defaults.to_dict(), **config}
    record = manifest["dataset"]
    source = {"kind": record.get("source")}
    try:
        info = upgraded or Dataset(layout.dataset(record["name"])).info
        if info_identity(info) == record["id"]:
            source = info.source
    except (ValueError, OSError):
        pass  # gone or unreadable: the kind is all that is known
    record["source"] = source
    if "encode" in manifest["stages"]:
        manifest["stages"]["encode"]["params"].pop("batch_size", None)
    manifest["schema_version"] = SCHEMA_VERSION
    return manifest


def _export_onnx(decoder: Path, target: Path) -> None:
    """The ONNX copy of a run's decoder: TensorFlow is imported (quietly) for this alone."""
    from model.quiet_tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly()
    from model.onnx_export import export_decoder_file

    export_decoder_file(decoder, target)


def _plan(path: Path, old: dict[str, Any], identity: Callable[[str], str]) -> dict[str, Any]:
    """The schema-2 manifest and, for each file to rewrite, its old and new records."""
    manifest = copy.deepcopy(old)
    manifest["schema_version"] = 2
    manifest["config"] = _config(manifest["config"])
    manifest["dataset"]["id"] = identity(manifest["dataset"]["id"])
    stages = manifest["stages"]
    files: dict[str, dict[str, Any]] = {}
    if "train" in stages:
        train = stages["train"]
        if "config" in train["params"]:
            train["params"]["config"] = _config(train["params"]["config"])
        if "dataset_id" in train["params"]:
            train["params"]["dataset_id"] = identity(train["params"]["dataset_id"])
        train["metrics"] = _renamed(train["metrics"])
        for name in (HISTORY_FILE, CHECKPOINT_FILE):
            relative = f"{TRAIN_DIR}/{name}"
            if relative in train["files"]:
                new = _converted(path / relative, train["files"][relative], identity)
                files[relative] = {"old": train["files"][relative], "new": new}
                train["files"][relative] = new
    for name in (HISTORY_FILE, CHECKPOINT_FILE):  # an unfinished training's, not recorded
        relative = f"{TRAINING_DIR}/{name}"
        if (path / relative).is_file():
            old = file_record(path / relative)
            files[relative] = {"old": old, "new": _upgraded_record(path / relative, identity)}
    if "analyze" in stages:
        stages["analyze"]["params"].setdefault("steps", list(FIRST_STEPS))
    return {"manifest": manifest, "files": files}


def _converted(path: Path, record: dict[str, Any], identity: Callable[[str], str]) -> dict:
    """The record `path` will have once upgraded; refused if it is not the file recorded."""
    if file_record(path) != record:
        raise RunError(
            f"{path} does not match its run's manifest (changed since it was written), so it "
            "cannot be upgraded; rebuild the run's training with `--force`, or remove the file"
        )
    return _upgraded_record(path, identity)


def _upgraded_record(path: Path, identity: Callable[[str], str]) -> dict[str, Any]:
    """The {sha256, size} record of `path`'s upgraded form (as model.files.file_record)."""
    upgraded = _upgraded_bytes(path, identity)
    return {"sha256": hashlib.sha256(upgraded).hexdigest(), "size": len(upgraded)}


def _replace(path: Path, records: dict[str, Any], identity: Callable[[str], str]) -> None:
    """Replace `path` by its upgraded form, unless an earlier upgrade did."""
    current = file_record(path)
    if current == records["new"]:
        return
    if current != records["old"]:
        raise RunError(f"{path} changed while its run was being upgraded; upgrade it again")
    upgraded = _upgraded_bytes(path, identity)
    with atomic_path(path) as tmp:
        tmp.write_bytes(upgraded)


def _upgraded_bytes(path: Path, identity: Callable[[str], str]) -> bytes:
    """history.json with the metrics renamed, or a checkpoint with its record upgraded."""
    if path.name == HISTORY_FILE:
        history = [_renamed(epoch) for epoch in read_json(path)]
        return (json.dumps(history, indent=2) + "\n").encode()
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    record = json.loads(arrays["record"].tobytes().decode())
    record["history"] = [_renamed(epoch) for epoch in record.get("history", [])]
    if "resume_key" in record:
        key = record["resume_key"]
        config = _config(key["config"])
        config["train"].pop("epochs")  # resume keys leave the epochs out
        record["resume_key"] = {"config": config, "dataset_id": identity(key["dataset_id"])}
    arrays["record"] = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _config(data: dict[str, Any]) -> dict[str, Any]:
    """A recorded config with every setting (those it left out at their defaults filled in)."""
    return json.loads(json.dumps(RunConfig.from_dict(data).to_dict()))


def _renamed(metrics: dict[str, Any]) -> dict[str, Any]:
    return {RENAMED_METRICS.get(key, key): value for key, value in metrics.items()}
