"""Training with per-epoch checkpoints, exact resume, and a stop on non-finite losses."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from model.autoencoder import METRIC_NAMES, LatentAutoencoder, build_autoencoder
from model.checkpoint import (
    checkpoint_values,
    read_checkpoint_record,
    restore_checkpoint,
    save_checkpoint,
    training_variables,
)
from model.config import RunConfig
from model.data.batches import epoch_order, image_batches, replica_batches, unit_float
from model.data.store import Dataset
from model.distribute import ClusterError, Replicas, start_replicas
from model.files import write_json
from model.network_files import CHECKPOINT_FILE, HISTORY_FILE, save_networks

LOSS_CHECK_SECONDS = 0.5  # how often the running losses are read back during an epoch


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
    out_dir: Path,
    progress: bool = True,
    on_epoch_end: Callable[[int], None] | None = None,
    replicas: Replicas | None = None,
    note: dict[str, Any] | None = None,
) -> TrainResult:
    """Train `config` on the data set's train split, resuming from `out_dir`'s checkpoint.

    The checkpoint is written when training starts and after every epoch, with `note` (what
    the caller wants to know about this training later) in its record.

    Epoch e's shuffling and sampled eps depend only on the seed and the saved state, so an
    interrupted run that resumes ends with the same weights as an uninterrupted one, and a run
    of 18 epochs continued to 24 equals a run of 24.

    `replicas` (default: one device) spreads each batch over several devices or workers: the
    batch stays `train.batch_size` in all, every image gets the eps it gets on one device, and
    only the chief reads and writes `out_dir`; the other workers get its state at the start.
    """
    replicas = replicas or start_replicas()
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
    if replicas.is_chief:
        out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = out_dir / CHECKPOINT_FILE
    key = resume_key(config, dataset.identity())
    policy = replicas.dtype_policy(config.train.mixed_precision)
    with replicas.scope():
        model = build_autoencoder(
            config.model, config.train.learning_rate, config.train.seed, policy, replicas.count > 1
        )
    history: list[dict[str, float]] = []
    saved: list[np.ndarray] | None = None
    if replicas.is_chief and checkpoint.exists():
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
        if replicas.workers == 1:
            history = restore_checkpoint(model, checkpoint)["history"]
        else:  # every worker assigns the chief's values at once, below
            saved, record = checkpoint_values(model, checkpoint)
            history = record["history"]
    resumed_from = _start_together(replicas, model, key, dataset, len(history), saved)
    note = {**(note or {}), "target_epochs": config.train.epochs}

    def save(epochs: int) -> None:
        if replicas.is_chief:
            record = {"epoch": epochs, "resume_key": key, "history": history, **note}
            save_checkpoint(model, checkpoint, record)

    if not checkpoint.exists():
        save(0)  # the folder says from the start what it is training
    step = _step(model, replicas)
    for epoch in range(resumed_from, config.train.epochs):
        with _lost_workers(replicas, epoch, checkpoint):
            epoch_logs = _run_epoch(
                model, step, dataset, rows, config, epoch, progress, checkpoint, replicas
            )
        history.append(epoch_logs)
        save(epoch + 1)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1)
    if replicas.is_chief:
        write_json(out_dir / HISTORY_FILE, history)
        save_networks(model, out_dir)
    parameters = {"encoder": model.encoder.count_params(), "decoder": model.decoder.count_params()}
    return TrainResult(history, resumed_from, time.perf_counter() - started, parameters)


def _start_together(
    replicas: Replicas,
    model: LatentAutoencoder,
    key: dict[str, Any],
    dataset: Dataset,
    epochs_done: int,
    saved: list[np.ndarray] | None,
) -> int:
    """Every worker takes the chief's state (`saved` from its checkpoint, or its fresh weights)
    and epoch, after checking that all were started with the same settings on the same images
    (each worker may have built its own copy of the data set); the epoch to start from.
    Mirrored variables are assigned by all workers together, never by the chief alone."""
    if replicas.workers == 1:
        return epochs_done
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).digest()
    mine = np.frombuffer(digest[:16], dtype=np.uint8)
    [chiefs] = replicas.broadcast([mine])
    if not replicas.all_agree(bool(np.array_equal(chiefs, mine))):
        raise ClusterError(
            "the workers were started with different settings or data sets (their "
            "configurations and data set builds must be identical); start each with the same "
            "command on the same data set"
        )
    variables = training_variables(model)
    values = saved if saved is not None else [v.numpy() for v in variables]
    shared = replicas.broadcast([*values, np.array(epochs_done)])
    for variable, value in zip(variables, shared):
        variable.assign(value)
    return int(shared[-1])


def _step(model: LatentAutoencoder, replicas: Replicas) -> Callable:
    """step(batch) -> the running mean losses; a batch is uint8 images on one device, or
    (size, [(offset, images) of each local replica]) when split over replicas."""
    if replicas.strategy is None:
        return tf.function(
            lambda images: model.train_step(unit_float(images)), reduce_retracing=True
        )
    strategy = replicas.strategy
    local = replicas.local_replica_ids()

    @tf.function(reduce_retracing=True)
    def split_step(images, offsets, total):
        def replica(images, offset):
            return model.replica_train_step(unit_float(images), offset, total)

        shares = strategy.run(replica, (images, offsets))
        return model.track({k: strategy.reduce("sum", v, axis=None) for k, v in shares.items()})

    def step(batch: tuple[int, list[tuple[int, np.ndarray]]]):
        total, parts = batch

        def part(index: int, context: tf.distribute.InputContext) -> Any:
            return parts[local.index(context.replica_id_in_sync_group)][index]

        images = strategy.experimental_distribute_values_from_function(lambda c: part(1, c))
        offsets = strategy.experimental_distribute_values_from_function(
            lambda c: tf.constant(part(0, c), tf.int32)
        )
        return split_step(images, offsets, tf.constant(total, tf.int32))

    return step


def _run_epoch(
    model: LatentAutoencoder,
    step: Callable,
    dataset: Dataset,
    rows: range,
    config: RunConfig,
    epoch: int,
    progress: bool,
    checkpoint: Path,
    replicas: Replicas,
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
    if replicas.strategy is None:
        batches = image_batches(dataset, order, config.train.batch_size)
    else:
        local = replicas.local_replica_ids()
        batches = replica_batches(dataset, order, config.train.batch_size, replicas.count, local)
    with bar:
        for batch_index, batch in enumerate(batches, start=1):
            running = step(batch)
            if time.perf_counter() - checked >= LOSS_CHECK_SECONDS:
                logs = _checked_losses(running, epoch, batch_index, checkpoint)
                postfix = {name: f"{logs[name]:.1f}" for name in METRIC_NAMES}
                bar.set_postfix(postfix, refresh=False)
                checked = time.perf_counter()
            bar.update()
        logs = _checked_losses(running, epoch, batch_index, checkpoint)
    return {"epoch": epoch + 1, **logs, "seconds": round(time.perf_counter() - started, 2)}


@contextlib.contextmanager
def _lost_workers(replicas: Replicas, epoch: int, checkpoint: Path) -> Iterator[None]:
    """A collective that fails (a worker died, or stopped answering) as a ClusterError that says
    what is kept and how to go on."""
    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
            tf.errors.CancelledError, tf.errors.AbortedError) as error:  # fmt: skip
        kept = (
            f"the last checkpoint ({checkpoint}) is kept"
            if replicas.is_chief
            else "the chief keeps the last checkpoint"
        )
        raise ClusterError(
            f"worker {replicas.worker} lost the other workers in epoch {epoch + 1} "
            f"({type(error).__name__}); {kept}: start every worker again with the same command "
            "to resume"
        ) from error


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
