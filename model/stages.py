"""The offline stages of a run (train, encode, analyze): skip when current, refuse to clobber.

Each stage compares the params it would run with against the manifest: identical params and
intact files mean there is nothing to do (so the quick start is idempotent); different params
over existing outputs are refused unless `force`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.analysis.stage import (
    ANALYSIS_DIR,
    FIRST_STEPS,
    STEPS,
    AnalysisConfig,
    analyze_latents,
    load_latents,
)
from model.config import RunConfig
from model.data.store import Dataset
from model.distribute import Replicas, start_replicas
from model.encoding import encode_dataset
from model.files import atomic_directory
from model.parallel import available_cores
from model.runs import ArtifactLayout, Run, RunError, dataset_id
from model.training import (
    CHECKPOINT_FILE,
    DECODER_FILE,
    ENCODER_FILE,
    HISTORY_FILE,
    load_network,
    train,
)

TRAIN_DIR = "train"
LATENTS_DIR = "latents"


@dataclass(frozen=True)
class StageReport:
    stage: str
    ran: bool  # False: outputs were already current
    message: str


def open_dataset(layout: ArtifactLayout, name: str) -> Dataset:
    path = layout.dataset(name)
    if not path.is_dir():
        raise RunError(
            f"data set {path} not found; build it with `python -m scripts.prepare_data` "
            f"(e.g. `python -m scripts.prepare_data synthetic --name {name}`)"
        )
    return Dataset(path)


def run_dataset(layout: ArtifactLayout, run: Run) -> Dataset:
    """The data set a run was trained on, checked to be the very same build."""
    record = run.manifest["dataset"]
    dataset = open_dataset(layout, record["name"])
    if dataset_id(dataset) != record["id"]:
        raise RunError(
            f"data set {dataset.path} was rebuilt after run {run.name} was trained on it; "
            f"retrain with `python -m scripts.train --run {run.name} --force`"
        )
    return dataset


def train_stage(
    layout: ArtifactLayout,
    run_name: str,
    config: RunConfig,
    force: bool = False,
    progress: bool = True,
    on_epoch_end: Callable[[int], None] | None = None,
    replicas: Replicas | None = None,
) -> StageReport:
    """Train (or resume, or continue to more epochs) the run's model.

    With several workers (`replicas`), every worker calls this with the same arguments; the
    chief decides whether there is anything to do, and only it writes the run.
    """
    if config.model.architecture == "imported":
        raise RunError(
            f"{run_name}: model.architecture 'imported' means networks trained elsewhere "
            "(python -m scripts.import_model), which train cannot build; train a preset "
            "instead (`--preset NAME --force` replaces the run)"
        )
    replicas = replicas or start_replicas()
    dataset = open_dataset(layout, config.dataset)
    run_dir = layout.run(run_name)
    params = {"config": config.to_dict(), "dataset_id": dataset_id(dataset)}
    if not replicas.is_chief:
        if _chiefs_word(replicas, False):  # the chief found the run up to date
            return StageReport("train", False, f"train: {run_name} is up to date on the chief")
        result = train(config, dataset, params["dataset_id"], layout.run(run_name) / TRAIN_DIR,
                       progress, on_epoch_end, replicas)  # fmt: skip
        return StageReport(
            "train", True, f"train: worker {replicas.worker} trained epochs "
            f"{result.resumed_from_epoch + 1}-{config.train.epochs}; the chief wrote the run",
        )  # fmt: skip
    existing = Run.open(run_dir) if (run_dir / "manifest.json").is_file() else None
    if existing is not None and existing.imported and not force:
        raise RunError(
            f"run {run_name} holds an imported model (trained elsewhere), so there is nothing "
            "to train; pass --force to replace it with a model trained here"
        )
    up_to_date = existing is not None and not force and existing.is_current("train", params)
    if _chiefs_word(replicas, up_to_date):
        return StageReport("train", False, f"train: {run_dir} is up to date")
    if force:
        for stage_dir in (TRAIN_DIR, LATENTS_DIR, ANALYSIS_DIR):
            shutil.rmtree(run_dir / stage_dir, ignore_errors=True)
    run = Run.create(run_dir, config, dataset) if existing is None or force else existing
    train_dir = run_dir / TRAIN_DIR
    result = train(
        config, dataset, params["dataset_id"], train_dir, progress, on_epoch_end, replicas
    )
    run.update_config(config, dataset)
    final = result.history[-1]
    metrics = {
        "epochs": len(result.history),
        "resumed_from_epoch": result.resumed_from_epoch,
        **{name: final[name] for name in ("total_loss", "reco_loss", "kl_loss")},
        "parameters": result.parameters,
        "train_seconds_all_epochs": round(sum(e["seconds"] for e in result.history), 2),
        "devices": replicas.describe(),
        "precision": replicas.dtype_policy(config.train.mixed_precision) or "float32",
    }
    files = [train_dir / f for f in (ENCODER_FILE, DECODER_FILE, HISTORY_FILE, CHECKPOINT_FILE)]
    run.record_stage("train", params, metrics, result.seconds, files)
    resumed = (
        f" (resumed from epoch {result.resumed_from_epoch})" if result.resumed_from_epoch else ""
    )
    return StageReport(
        "train", True, f"train: {len(result.history)} epochs{resumed} -> {train_dir}"
    )


def _chiefs_word(replicas: Replicas, flag: bool) -> bool:
    """The chief's `flag`, on every worker."""
    return bool(replicas.broadcast([np.array(flag)])[0])


def encode_stage(
    layout: ArtifactLayout,
    run_name: str,
    force: bool = False,
    batch_size: int = 256,
    progress: bool = True,
) -> StageReport:
    """Encode every image of the run's data set into latents/{z,mu,logvar}.npy."""
    run = Run.open(layout.run(run_name))
    run.check("train")
    config = run.config
    encoder_path = run.path / TRAIN_DIR / ENCODER_FILE
    params: dict[str, Any] = {
        "seed": config.train.seed,
        "batch_size": batch_size,
        "encoder_sha256": run.stage("train")["files"][f"{TRAIN_DIR}/{ENCODER_FILE}"]["sha256"],
    }
    recorded = run.stage("encode")
    if recorded is not None and not force:
        if run.is_current("encode", params):
            return StageReport("encode", False, f"encode: {run.path / LATENTS_DIR} is up to date")
        if not run.ran_with("encode", params):
            raise RunError(
                f"latents in {run.path / LATENTS_DIR} were made with {recorded['params']}; "
                "pass --force to replace them"
            )
    dataset = run_dataset(layout, run)
    started = time.perf_counter()
    paths = encode_dataset(
        load_network(encoder_path),
        config.model,
        dataset,
        run.path / LATENTS_DIR,
        seed=config.train.seed,
        batch_size=batch_size,
        progress=progress,
    )
    seconds = time.perf_counter() - started
    metrics = {
        "rows": len(dataset),
        "z_dim": config.model.z_dim,
        "images_per_second": round(len(dataset) / seconds, 1),
    }
    run.record_stage("encode", params, metrics, seconds, list(paths.values()))
    return StageReport("encode", True, f"encode: {len(dataset)} images -> {run.path / LATENTS_DIR}")


def analysis_config(layout: ArtifactLayout, run_name: str) -> AnalysisConfig | None:
    """The settings the run's analysis was made with (None: the run is not analysed)."""
    run_dir = layout.run(run_name)
    if not (run_dir / "manifest.json").is_file():
        return None
    recorded = Run.open(run_dir).stage("analyze")
    return None if recorded is None else AnalysisConfig.from_dict(recorded["params"]["config"])


def analyze_stage(
    layout: ArtifactLayout,
    run_name: str,
    config: AnalysisConfig | None = None,
    force: bool = False,
    progress: bool = True,
    on_step: Callable[[str, int, int], None] | None = None,
) -> StageReport:
    """Compute every statistic and projection of the run's latents into analysis/; the t-SNE
    maps run side by side on every available core (the maps do not depend on how many).

    An analysis made with the same settings before a step existed gets just the new steps.
    """
    config = config or AnalysisConfig()
    run = Run.open(layout.run(run_name))
    run.check("train", "encode")
    encoded = run.stage("encode")["files"]
    params = {
        "config": config.to_dict(),
        "latents_sha256": {path: record["sha256"] for path, record in encoded.items()},
        "steps": list(STEPS),
    }
    out_dir = run.path / ANALYSIS_DIR
    recorded = run.stage("analyze")
    if recorded is not None and not force:
        if run.is_current("analyze", params):
            return StageReport("analyze", False, f"analyze: {out_dir} is up to date")
        missing = _missing_steps(run, params)
        if missing is None:
            raise RunError(
                f"the analysis in {out_dir} was made with other settings "
                f"({recorded['params']['config']}); pass --force to replace it"
            )
        if missing and not run.file_problems("analyze"):
            return _add_steps(layout, run, params, missing, progress, on_step)
    dataset = run_dataset(layout, run)
    latents = load_latents(run.path / LATENTS_DIR, len(dataset))
    started = time.perf_counter()
    with atomic_directory(out_dir, overwrite=True) as tmp:
        written, metrics = analyze_latents(
            latents, dataset.attributes(), config, tmp, progress, available_cores(), on_step
        )
    files = [out_dir / path.name for path in written]
    run.record_stage("analyze", params, metrics, time.perf_counter() - started, files)
    return StageReport("analyze", True, f"analyze: {len(files)} results -> {out_dir}")


def _missing_steps(run: Run, params: dict[str, Any]) -> list[str] | None:
    """The steps the run's analysis lacks, if it ran with these params but fewer steps; None
    if other params differ."""
    done = run.stage("analyze")["params"].get("steps")
    older = {key: value for key, value in params.items() if key != "steps"}
    if done is not None:
        older["steps"] = done
    if not run.ran_with("analyze", older) or not set(done or FIRST_STEPS) <= set(STEPS):
        return None
    return [name for name in STEPS if name not in (done or FIRST_STEPS)]


def _add_steps(
    layout: ArtifactLayout,
    run: Run,
    params: dict[str, Any],
    steps: list[str],
    progress: bool,
    on_step: Callable[[str, int, int], None] | None,
) -> StageReport:
    """Run `steps` into the run's existing analysis and record it with all its files."""
    recorded = run.stage("analyze")
    dataset = run_dataset(layout, run)
    latents = load_latents(run.path / LATENTS_DIR, len(dataset))
    out_dir = run.path / ANALYSIS_DIR
    started = time.perf_counter()
    written, metrics = analyze_latents(
        latents, dataset.attributes(), AnalysisConfig.from_dict(params["config"]), out_dir,
        progress, available_cores(), on_step, steps,
    )  # fmt: skip
    seconds = {**recorded["metrics"]["step_seconds"], **metrics.pop("step_seconds")}
    metrics = {**recorded["metrics"], **metrics, "step_seconds": seconds}
    files = sorted({*(run.path / name for name in recorded["files"]), *written})
    elapsed = recorded["elapsed_seconds"] + time.perf_counter() - started
    run.record_stage("analyze", params, metrics, elapsed, files)
    return StageReport("analyze", True, f"analyze: added {', '.join(steps)} -> {out_dir}")
