"""The offline stages of a run (train, encode, analyze): skip when current, refuse to clobber.

Each stage compares the params it would run with against the manifest: identical params and
intact files mean there is nothing to do (so the quick start is idempotent); different params
over existing outputs are refused unless `force`. Every stage holds the run's lock while it
works and builds its outputs aside (`Run.commit`), so a failed, stopped or forced command leaves
the run as it was until the new outputs are complete.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from model.budget import check_analysis_fits, check_encoding_fits, check_training_fits
from model.checkpoint import read_checkpoint_record
from model.commands import shell
from model.config import RunConfig
from model.data.store import Dataset
from model.distribute import Replicas, start_replicas
from model.encoding import encode_dataset
from model.files import atomic_path, link_or_copy
from model.latent_files import latent_names
from model.network_files import (
    CHECKPOINT_FILE,
    DECODER_FILE,
    ENCODER_FILE,
    HISTORY_FILE,
    ONNX_FILE,
    load_network,
)
from model.onnx_export import export_decoder_file
from model.parallel import available_cores
from model.pipeline.analysis import (
    STEPS,
    AnalysisConfig,
    AnalysisUpdate,
    Latents,
    analyze_latents,
    load_latents,
    merged_metrics,
    plan_update,
)
from model.pipeline.runs import (
    ANALYSIS_DIR,
    LATENTS_DIR,
    MANIFEST_FILE,
    TRAIN_DIR,
    TRAINING_DIR,
    ArtifactLayout,
    Run,
    RunError,
    as_json,
    open_dataset,
    open_for_writing,
    run_dataset,
)
from model.training import resume_key, train


@dataclass(frozen=True)
class StageReport:
    stage: str
    ran: bool  # False: outputs were already current
    message: str


class Interrupted(KeyboardInterrupt):
    """Ctrl+C or SIGTERM stopped a stage; the message says what is kept and how to go on."""


def training_config(layout: ArtifactLayout, run_name: str, force: bool = False) -> RunConfig:
    """What `train --run NAME` continues: the run's unfinished training if it has one (a
    continuation that was stopped), else the run's own config; with `force` (training again
    from scratch, which drops any unfinished training), the run's own config."""
    partial = layout.run(run_name) / TRAINING_DIR / CHECKPOINT_FILE
    record = None if force else _checkpoint_record(partial)
    if record is not None and "target_epochs" in record:
        config = record["resume_key"]["config"]
        config["train"]["epochs"] = record["target_epochs"]
        return RunConfig.from_dict(config)
    return Run.open(layout.run(run_name)).config


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

    The epochs go to `train.partial/`; the run's train/ folder and manifest change only when
    the training is complete, so the finished run stays readable (and the dashboard shows it)
    while it is continued, and a stopped continuation leaves it as it was. With `force` the
    run is trained again from scratch, and replaced only when that succeeds.

    With several workers (`replicas`), every worker calls this with the same arguments; the
    chief decides whether there is anything to do, and only it writes the run.
    """
    if config.model.architecture == "imported":
        _refuse_imported(layout, run_name)
    replicas = replicas or start_replicas()
    dataset = open_dataset(layout, config.dataset)
    run_dir = layout.run(run_name)
    params = {"config": config.to_dict(), "dataset_id": dataset.identity()}
    if not replicas.is_chief:
        if _chiefs_word(replicas, False):  # the chief found the run up to date
            return StageReport("train", False, f"train: {run_name} is up to date on the chief")
        result = train(
            config, dataset, run_dir / TRAINING_DIR, progress, on_epoch_end, replicas
        )
        return StageReport(
            "train", True, f"train: worker {replicas.worker} trained epochs "
            f"{result.resumed_from_epoch + 1}-{config.train.epochs}; the chief wrote the run",
        )  # fmt: skip
    with open_for_writing(layout, run_name, create=True) as existing:
        return _train_as_chief(
            layout, run_name, config, dataset, params, existing, force, progress, on_epoch_end,
            replicas,
        )  # fmt: skip


def _train_as_chief(
    layout: ArtifactLayout,
    run_name: str,
    config: RunConfig,
    dataset: Dataset,
    params: dict[str, Any],
    existing: Run | None,
    force: bool,
    progress: bool,
    on_epoch_end: Callable[[int], None] | None,
    replicas: Replicas,
) -> StageReport:
    run_dir = layout.run(run_name)
    partial = run_dir / TRAINING_DIR
    key = resume_key(config, params["dataset_id"])
    if existing is not None and existing.imported and not force:
        raise RunError(
            f"run {run_name} holds an imported model (trained elsewhere), so there is nothing "
            "to train; pass --force to replace it with a model trained here"
        )
    if force:
        shutil.rmtree(partial, ignore_errors=True)
    unfinished = _checkpoint_record(partial / CHECKPOINT_FILE)
    # The new training replaces the run (a new manifest) rather than continuing it: a new run,
    # --force, or an unfinished training that was started with --force.
    replacing = (
        force
        or existing is None
        or (
            unfinished is not None
            and unfinished.get("replaces_run", False)
            and unfinished.get("resume_key") == key
        )
    )
    up_to_date = not replacing and existing.is_current("train", params)
    if _chiefs_word(replicas, up_to_date):
        note = _unfinished_note(partial, unfinished, config.train.epochs)
        return StageReport("train", False, f"train: {run_dir} is up to date{note}")
    check_training_fits(config)
    if unfinished is not None:
        _check_resumable(config, key, partial / CHECKPOINT_FILE, unfinished)
    elif not force:
        _check_continuable(run_name, config, key, existing, run_dir / TRAIN_DIR)
    note = {"target_epochs": config.train.epochs, "replaces_run": replacing}
    try:
        result = train(config, dataset, partial, progress, on_epoch_end, replicas, note)
    except KeyboardInterrupt as stop:
        raise Interrupted(_stopped(config, existing, partial)) from stop
    export_decoder_file(partial / DECODER_FILE, partial / ONNX_FILE)
    run = Run.new(run_dir, config, dataset) if replacing else existing
    run.set_config(config, dataset)
    final = result.history[-1]
    metrics = {
        "epochs": len(result.history),
        "resumed_from_epoch": result.resumed_from_epoch,
        **{name: final[name] for name in ("total_loss", "reconstruction_loss", "kl_loss")},
        "parameters": result.parameters,
        "train_seconds_all_epochs": round(sum(e["seconds"] for e in result.history), 2),
        "devices": replicas.describe(),
        "precision": replicas.dtype_policy(config.train.mixed_precision) or "float32",
    }
    files = [ENCODER_FILE, DECODER_FILE, ONNX_FILE, HISTORY_FILE, CHECKPOINT_FILE]
    run.commit("train", partial, params, metrics, result.seconds, files)
    resumed = (
        f" (resumed from epoch {result.resumed_from_epoch})" if result.resumed_from_epoch else ""
    )
    return StageReport(
        "train", True, f"train: {len(result.history)} epochs{resumed} -> {run_dir / TRAIN_DIR}"
    )


def _refuse_imported(layout: ArtifactLayout, run_name: str) -> NoReturn:
    """What `train` says of a config whose networks were trained elsewhere."""
    raise RunError(
        f"{run_name}: model.architecture 'imported' means networks trained elsewhere "
        f"({layout.command('import_model')}), which train cannot build; train a preset "
        "instead (`--preset NAME --force` replaces the run)"
    )


def _train_command(run_dir: Path, *args: object) -> str:
    """`train --run NAME ARGS` for the run at `run_dir`, as a message names it."""
    return ArtifactLayout(run_dir.parents[1]).command("train", "--run", run_dir.name, *args)


def _check_resumable(
    config: RunConfig, key: dict[str, Any], checkpoint: Path, record: dict[str, Any]
) -> None:
    """RunError unless the unfinished training in `checkpoint` can go on to `config`."""
    run_dir = checkpoint.parents[1]
    if record.get("resume_key") != key:
        drop = shell("rm", "-r", checkpoint.parent)
        raise RunError(
            f"{checkpoint.parent} holds an unfinished training of {run_dir.name} with other "
            f"settings ({_differences(record.get('resume_key') or {}, key)}); continue it with "
            f"`{_train_command(run_dir)}`, pass --force to start again from scratch, "
            f"or drop it with `{drop}`"
        )
    if record["epoch"] > config.train.epochs:
        raise RunError(
            f"{checkpoint} is at epoch {record['epoch']}, beyond the {config.train.epochs} "
            f"epochs asked for; continue it with "
            f"`{_train_command(run_dir, '--epochs', record['epoch'])}` (or more), or "
            "pass --force to start again from scratch"
        )


def _check_continuable(
    run_name: str, config: RunConfig, key: dict[str, Any], existing: Run | None, train_dir: Path
) -> None:
    """RunError unless training `config` can continue the run's committed epochs; then their
    checkpoint is where the new training starts (a copy, so the run keeps its own)."""
    committed = existing.stage("train") if existing is not None else None
    if committed is None:
        return
    recorded = committed["params"]
    theirs = resume_key(RunConfig.from_dict(recorded["config"]), recorded["dataset_id"])
    if theirs != key:
        raise RunError(
            f"run {run_name} was trained with other settings ({_differences(theirs, key)}); "
            "pass --force to train it again from scratch (the run stays as it is until "
            "the new training has finished)"
        )
    checkpoint = train_dir / CHECKPOINT_FILE
    record = _checkpoint_record(checkpoint)
    if record is None:
        return
    _check_resumable(config, key, checkpoint, record)
    with atomic_path(train_dir.parent / TRAINING_DIR / CHECKPOINT_FILE) as tmp:
        shutil.copyfile(checkpoint, tmp)


def _checkpoint_record(path: Path) -> dict[str, Any] | None:
    """The record of the checkpoint at `path`; None if there is none. One that cannot be read
    is a RunError naming what to do: drop an unfinished training, or train again."""
    if not path.is_file():
        return None
    try:
        return read_checkpoint_record(path)
    except (OSError, ValueError, KeyError) as error:
        if path.parent.name != TRAINING_DIR:
            raise RunError(
                f"{path} cannot be read ({error}), so the run cannot be continued; train it "
                f"again from scratch with `{_train_command(path.parents[1], '--force')}`",
                fix=_train_command(path.parents[1], "--force"),
            ) from error  # fmt: skip
        drop = shell("rm", "-r", path.parent)
        raise RunError(
            f"{path} cannot be read ({error}): drop that unfinished training with `{drop}` (a "
            "finished training of the run is kept), or pass --force to train the run again "
            "from scratch", fix=drop,
        ) from error  # fmt: skip


def _differences(theirs: dict[str, Any], ours: dict[str, Any]) -> str:
    """'model.z_dim 8 -> 4, the data set was rebuilt' between two sets of params (a
    resume key, a stage's params): only the settings that differ."""
    a, b = _flat(as_json(theirs)), _flat(as_json(ours))
    ids = {k for k in {*a, *b} if k == "dataset_id" or k.endswith("_sha256") or ".sha256" in k}
    changed = [f"{k.removeprefix('config.')} {a.get(k)} -> {b.get(k)}"
               for k in sorted({*a, *b} - ids) if a.get(k) != b.get(k)]  # fmt: skip
    if a.get("dataset_id") != b.get("dataset_id"):
        changed.append("the data set was rebuilt")
    if any(a.get(k) != b.get(k) for k in ids - {"dataset_id"}):
        changed.append("the files they were made from changed")
    return ", ".join(changed) or "unknown differences"


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix: data}
    return {
        key: value
        for name, inner in data.items()
        for key, value in _flat(inner, f"{prefix}.{name}" if prefix else name).items()
    }


def _unfinished_note(partial: Path, record: dict[str, Any] | None, epochs: int) -> str:
    """What a person should know about an unfinished training beside an up-to-date run."""
    target = (record or {}).get("target_epochs")
    if target is None or target == epochs:
        return ""
    again = _train_command(partial.parent, "--epochs", target)
    return (
        f"; an unfinished training to {target} epochs (at epoch {record['epoch']}) is kept in "
        f"{partial}: `{again}` continues it"
    )


def _stopped(config: RunConfig, existing: Run | None, partial: Path) -> str:
    """What a stopped training kept, and the command that goes on."""
    run_name = partial.parent.name
    record = _checkpoint_record(partial / CHECKPOINT_FILE)
    done = record["epoch"] if record is not None else 0
    committed = existing.stage("train") if existing is not None else None
    kept = (
        f"run {run_name} is unchanged ({committed['metrics']['epochs']} epochs)"
        if committed is not None
        else f"run {run_name} has no finished training yet"
    )
    again = _train_command(partial.parent, "--epochs", config.train.epochs)
    return (
        f"stopped: {kept}; the training to {config.train.epochs} epochs is saved at epoch "
        f"{done} in {partial}: `{again}` continues it"
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
    """Encode every image of the run's data set into latents/{z,mu,logvar}.npy. The latents do
    not depend on `batch_size` (each image's eps is its own, from the run's seed), so it is a
    matter of speed and memory only, not a setting of the latents."""
    with open_for_writing(layout, run_name) as run:
        return _encode(layout, run, force, batch_size, progress)


def _encode(
    layout: ArtifactLayout, run: Run, force: bool, batch_size: int, progress: bool
) -> StageReport:
    run.check("train")
    dataset = run_dataset(run)
    config = run.config
    encoder_path = run.path / TRAIN_DIR / ENCODER_FILE
    params: dict[str, Any] = {
        "seed": config.train.seed,
        "encoder_sha256": run.stage("train")["files"][f"{TRAIN_DIR}/{ENCODER_FILE}"]["sha256"],
    }
    recorded = run.stage("encode")
    if recorded is not None and not force:
        if run.is_current("encode", params):
            return StageReport("encode", False, f"encode: {run.path / LATENTS_DIR} is up to date")
        if not run.ran_with("encode", params):
            raise RunError(
                f"the latents in {run.path / LATENTS_DIR} were made with other settings "
                f"({_differences(recorded['params'], params)}); replace them with "
                f"`{run.stage_command('encode', force=True)}`"
            )
    check_encoding_fits(config.model, batch_size, len(dataset), run.path)
    started = time.perf_counter()
    with run.staging("encode") as staged:
        encode_dataset(
            load_network(encoder_path),
            config.model,
            dataset,
            staged,
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
        files = [f"{name}.npy" for name in latent_names(config.model.kind)]
        run.commit("encode", staged, params, metrics, seconds, files)
    return StageReport("encode", True, f"encode: {len(dataset)} images -> {run.path / LATENTS_DIR}")


def analysis_config(layout: ArtifactLayout, run_name: str) -> AnalysisConfig | None:
    """The settings the run's analysis was made with (None: the run is not analysed)."""
    run_dir = layout.run(run_name)
    if not (run_dir / MANIFEST_FILE).is_file():
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
    with open_for_writing(layout, run_name) as run:
        return _analyze(layout, run, config or AnalysisConfig(), force, progress, on_step)


def _analyze(
    layout: ArtifactLayout,
    run: Run,
    config: AnalysisConfig,
    force: bool,
    progress: bool,
    on_step: Callable[[str, int, int], None] | None,
) -> StageReport:
    run.check("train", "encode")
    dataset = run_dataset(run)
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
        then = recorded["params"]
        update = None
        if then["latents_sha256"] == params["latents_sha256"]:
            update = plan_update(AnalysisConfig.from_dict(then["config"]), then["steps"], config)
        if update is None:
            raise RunError(
                f"the analysis in {out_dir} was made with other settings "
                f"({_differences(_settings(then), _settings(params))}); pass --force to "
                f"compute all its {len(recorded['files'])} results again with these"
            )
        if not run.file_problems("analyze"):  # damaged files: the analysis is made again
            if update.empty:  # it holds all that is asked for, and more maps
                return StageReport("analyze", False, f"analyze: {out_dir} is up to date")
            return _update_analysis(run, dataset, update, progress, on_step)
    latents = encoded_latents(run, len(dataset))
    check_analysis_fits(config, latents.chosen(config.latent).shape)
    started = time.perf_counter()
    with run.staging("analyze") as staged:
        written, metrics = analyze_latents(
            latents, dataset.attributes(), config, staged, progress, available_cores(), on_step
        )
        files = [path.name for path in written]
        run.commit("analyze", staged, params, metrics, time.perf_counter() - started, files)
    return StageReport("analyze", True, f"analyze: {len(files)} results -> {out_dir}")


def _update_analysis(
    run: Run,
    dataset: Dataset,
    update: AnalysisUpdate,
    progress: bool,
    on_step: Callable[[str, int, int], None] | None,
) -> StageReport:
    """The run's analysis with what `update` adds computed alone, built aside and committed as
    any stage is: the results it keeps are linked into the new folder, not copied."""
    recorded = run.stage("analyze")
    started = time.perf_counter()
    latents = encoded_latents(run, len(dataset))
    check_analysis_fits(update.config, latents.chosen(update.config.latent).shape)
    with run.staging("analyze") as staged:
        files = [Path(relative).name for relative in recorded["files"]]
        for name in files:
            link_or_copy(run.path / ANALYSIS_DIR / name, staged / name)
        metrics = recorded["metrics"]
        for config, steps in ((update.config, update.steps),
                              (update.map_config(), update.map_steps)):  # fmt: skip
            if steps:
                written, added = analyze_latents(
                    latents, dataset.attributes(), config, staged, progress,
                    available_cores(), on_step, steps,
                )  # fmt: skip
                files += [path.name for path in written]
                metrics = merged_metrics(metrics, added)
        params = {**recorded["params"], "config": update.config.to_dict(), "steps": list(STEPS)}
        seconds = recorded["elapsed_seconds"] + time.perf_counter() - started
        run.commit("analyze", staged, params, metrics, seconds, sorted(set(files)))
    added = [", ".join(update.steps)] if update.steps else []
    added += [f"{kind} maps {', '.join(names)}" for kind, names in update.added_maps.items()
              if names and kind not in update.steps]  # fmt: skip
    return StageReport("analyze", True, f"analyze: added {'; '.join(added)} -> "
                                        f"{run.path / ANALYSIS_DIR}")  # fmt: skip


def encoded_latents(run: Run, rows: int) -> Latents:
    """The run's latents, checked (float32, one row per image, z_dim wide, finite); RunError
    naming the file and the command that encodes the run again otherwise."""
    try:
        return load_latents(run.path / LATENTS_DIR, rows, run.config.model.z_dim)
    except (ValueError, OSError) as error:
        again = run.stage_command("encode", force=True)
        raise RunError(f"{error}; encode the run again with `{again}`", fix=again) from error


def _settings(params: dict[str, Any]) -> dict[str, Any]:
    """An analysis' params without the list of its steps (steps added later are no conflict)."""
    return {key: value for key, value in params.items() if key != "steps"}
