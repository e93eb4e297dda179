"""Training with per-epoch checkpoints, exact resume, and a stop on non-finite losses."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf
from tqdm import tqdm

from model.autoencoder import METRIC_NAMES, LatentAutoencoder, build_autoencoder
from model.checkpoint import read_checkpoint_record, restore_checkpoint, save_checkpoint
from model.config import RunConfig
from model.data.pipeline import epoch_order, image_batches, unit_float
from model.data.store import Dataset
from model.files import atomic_path, write_json

CHECKPOINT_FILE = "checkpoint.npz"
HISTORY_FILE = "history.json"
LOSS_CHECK_SECONDS = 0.5  # how often the running losses are read back during an epoch
ENCODER_FILE = "encoder.keras"
DECODER_FILE = "decoder.keras"


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or Inf; the last good checkpoint is kept."""


class CheckpointMismatch(ValueError):
    """A checkpoint exists but was made with another configuration or data set."""


@dataclass(frozen=True)
class TrainResult:
    history: list[dict[str, float]]
    resumed_from_epoch: int  # 0 for a fresh start
    seconds: float
    parameters: dict[str, int]  # parameter count of the encoder and of the decoder


def resume_key(config: RunConfig, dataset_id: str) -> dict[str, Any]:
    """What must match for a checkpoint to be continued: everything but the epoch count."""
    data = config.to_dict()
    data["train"].pop("epochs")
    return json.loads(json.dumps({"config": data, "dataset_id": dataset_id}))  # as stored


def train(
    config: RunConfig,
    dataset: Dataset,
    dataset_id: str,
    out_dir: Path,
    progress: bool = True,
    on_epoch_end: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train `config` on the data set's train split, resuming from `out_dir`'s checkpoint.

    Epoch e's shuffling and sampled eps depend only on the seed and the saved state, so an
    interrupted run that resumes ends with the same weights as an uninterrupted one, and a run
    of 18 epochs continued to 24 equals a run of 24.
    """
    if dataset.info.image_size != config.model.image_size:
        raise ValueError(
            f"data set {dataset.path} has {dataset.info.image_size} px images, "
            f"model.image_size is {config.model.image_size}"
        )
    rows = dataset.info.split_range("train")
    if len(rows) == 0:
        raise ValueError(f"data set {dataset.path} has no training images")
    tf.config.experimental.enable_op_determinism()
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = out_dir / CHECKPOINT_FILE
    key = resume_key(config, dataset_id)
    model = build_autoencoder(config.model, config.train.learning_rate, config.train.seed)
    history: list[dict[str, float]] = []
    if checkpoint.exists():
        record = read_checkpoint_record(checkpoint)
        if record.get("resume_key") != key:
            raise CheckpointMismatch(
                f"{checkpoint} was written for another configuration or data set; "
                "use --force to start this run again from scratch"
            )
        if record["epoch"] > config.train.epochs:
            raise CheckpointMismatch(
                f"{checkpoint} is at epoch {record['epoch']}, beyond the {config.train.epochs} "
                "epochs asked for; use --force to start again from scratch"
            )
        history = restore_checkpoint(model, checkpoint)["history"]
    resumed_from = len(history)
    step = tf.function(lambda images: model.train_step(unit_float(images)), reduce_retracing=True)
    for epoch in range(resumed_from, config.train.epochs):
        history.append(_run_epoch(model, step, dataset, rows, config, epoch, progress, checkpoint))
        save_checkpoint(
            model, checkpoint, {"epoch": epoch + 1, "resume_key": key, "history": history}
        )
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1)
    write_json(out_dir / HISTORY_FILE, history)
    save_networks(model, out_dir)
    parameters = {"encoder": model.encoder.count_params(), "decoder": model.decoder.count_params()}
    return TrainResult(history, resumed_from, time.perf_counter() - started, parameters)


def _run_epoch(
    model: LatentAutoencoder,
    step: Callable,
    dataset: Dataset,
    rows: range,
    config: RunConfig,
    epoch: int,
    progress: bool,
    checkpoint: Path,
) -> dict[str, float]:
    """One epoch; the running losses are read back only every LOSS_CHECK_SECONDS and at the end.

    A non-finite loss makes its running mean non-finite for the rest of the epoch, so the
    periodic check still catches it, within LOSS_CHECK_SECONDS.
    """
    started = time.perf_counter()
    for tracker in model.metrics:
        tracker.reset_state()
    order = epoch_order(rows, config.train.seed, epoch)
    bar = tqdm(
        total=math.ceil(len(rows) / config.train.batch_size),
        desc=f"epoch {epoch + 1}/{config.train.epochs}",
        unit="batch",
        disable=not progress,
        leave=True,
    )
    checked = -math.inf
    batch_index = 0
    with bar:
        for batch_index, images in enumerate(
            image_batches(dataset, order, config.train.batch_size), start=1
        ):
            running = step(images)
            if time.perf_counter() - checked >= LOSS_CHECK_SECONDS:
                logs = _checked_losses(running, epoch, batch_index, checkpoint)
                bar.set_postfix({name: f"{logs[name]:.1f}" for name in METRIC_NAMES}, refresh=False)
                checked = time.perf_counter()
            bar.update()
        logs = _checked_losses(running, epoch, batch_index, checkpoint)
    return {"epoch": epoch + 1, **logs, "seconds": round(time.perf_counter() - started, 2)}


def _checked_losses(
    running: dict[str, tf.Tensor], epoch: int, batch: int, checkpoint: Path
) -> dict[str, float]:
    """The running mean losses as floats; TrainingDiverged if any is NaN or Inf."""
    logs = {name: float(value) for name, value in running.items()}
    if all(math.isfinite(value) for value in logs.values()):
        return logs
    kept = (
        f"the last good checkpoint ({checkpoint}) is kept"
        if checkpoint.exists()
        else "no checkpoint was written yet"
    )
    raise TrainingDiverged(
        f"loss became non-finite by epoch {epoch + 1}, batch {batch} "
        f"({', '.join(f'{k}={v}' for k, v in logs.items())}); training stopped and {kept}. "
        "Try a lower learning rate or kl_factor."
    )


def save_networks(model: LatentAutoencoder, out_dir: Path) -> None:
    """Save encoder and decoder as separate .keras files."""
    for network, name in ((model.encoder, ENCODER_FILE), (model.decoder, DECODER_FILE)):
        with atomic_path(out_dir / name) as tmp:
            network.save(tmp)


def load_network(path: Path) -> keras.Model:
    """Load a saved encoder or decoder, naming the file if it is missing or unreadable."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run `python -m scripts.train` to make it")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for a damaged archive
        raise ValueError(f"{path} could not be loaded as a Keras model: {error}") from error
