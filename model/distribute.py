"""Where training runs: one device; all local GPUs or N logical CPU devices (MirroredStrategy);
or several processes or machines (MultiWorkerMirroredStrategy, the cluster from TF_CONFIG).

`start_replicas` must come before TensorFlow runs any op: logical devices and the collectives
between workers are configured when its runtime starts.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from model.config import DISTRIBUTE_MODES, DistributeMode

# How long a worker waits for the others to finish. A worker that dies is noticed at once (its
# connections are reset) or by the coordination service's missed heartbeats. Collectives get no
# timeout of their own: TensorFlow keeps a sleeping thread per timed collective for the whole
# timeout, thousands within minutes.
BARRIER_TIMEOUT_SECONDS = 600.0


class ClusterError(ConnectionError):
    """The workers cannot train together: one was lost, or they disagree on the run."""


@dataclass(frozen=True)
class Replicas:
    """The devices one training process drives, and the processes it trains with."""

    mode: DistributeMode
    strategy: tf.distribute.Strategy | None  # None: one device, no strategy
    devices: tuple[str, ...]  # this process's devices, e.g. ("CPU:0", "CPU:1")
    worker: int = 0  # this process's index among the workers
    workers: int = 1

    @property
    def count(self) -> int:
        """Replicas in sync across all workers."""
        return self.strategy.num_replicas_in_sync if self.strategy is not None else 1

    @property
    def is_chief(self) -> bool:
        """The one process that writes checkpoints, the manifest and the saved networks."""
        return self.strategy is None or bool(self.strategy.extended.should_checkpoint)

    @property
    def on_gpu(self) -> bool:
        return any(device.startswith("GPU") for device in self.devices)

    def dtype_policy(self, mixed_precision: bool) -> str | None:
        """The Keras dtype policy: float16 compute on GPUs, bfloat16 on CPUs; None: float32."""
        if not mixed_precision:
            return None
        return "mixed_float16" if self.on_gpu else "mixed_bfloat16"

    def describe(self) -> str:
        devices = ", ".join(self.devices)
        if self.mode == "none":
            return f"one device: {devices}"
        if self.mode == "mirrored":
            return f"{self.count} replicas (MirroredStrategy): {devices}"
        role = "the chief" if self.is_chief else "not the chief"
        return (
            f"worker {self.worker} of {self.workers} ({role}; MultiWorkerMirroredStrategy), "
            f"{self.count} replicas in all, here: {devices}"
        )

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Variables made here are mirrored on every replica."""
        if self.strategy is None:
            yield
        else:
            with self.strategy.scope():
                yield

    def local_replica_ids(self) -> list[int]:
        """The ids (in 0 .. count-1) of the replicas this process drives."""
        if self.strategy is None:
            return [0]
        ids = self.strategy.experimental_distribute_values_from_function(
            lambda context: tf.constant(context.replica_id_in_sync_group)
        )
        return [int(i) for i in self.strategy.experimental_local_results(ids)]

    def broadcast(self, values: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The chief's `values` on every worker (each worker passes arrays of the same shapes)."""
        if self.workers == 1:
            return [np.asarray(value) for value in values]
        first_local = self.local_replica_ids()[0]
        masks = self.strategy.experimental_distribute_values_from_function(
            lambda context: tf.constant(
                float(self.is_chief and context.replica_id_in_sync_group == first_local),
                tf.float64,
            )
        )
        tensors = [tf.constant(np.asarray(value), tf.float64) for value in values]

        def share(mask: tf.Tensor) -> list[tf.Tensor]:
            context = tf.distribute.get_replica_context()
            return context.all_reduce("sum", [tensor * mask for tensor in tensors])

        shared = self.strategy.experimental_local_results(self.strategy.run(share, (masks,)))[0]
        return [
            np.asarray(result).astype(np.asarray(value).dtype)
            for result, value in zip(shared, values)
        ]

    def meet(self, name: str) -> None:
        """Wait until every worker is here. Call it before a worker exits: a worker that left
        right after the last collective could take data another still had to fetch from it."""
        if self.workers == 1:
            return
        from tensorflow.python.eager import context  # the coordination service's barrier

        try:
            context.context().wait_at_barrier(name, int(BARRIER_TIMEOUT_SECONDS * 1000))
        except tf.errors.OpError as error:
            raise ClusterError(
                f"worker {self.worker} waited for the other workers at {name!r} in vain "
                f"({type(error).__name__})"
            ) from error

    def all_agree(self, agree: bool) -> bool:
        """True when every worker passes True."""
        if self.workers == 1:
            return agree
        votes = self.strategy.experimental_distribute_values_from_function(
            lambda context: tf.constant(0.0 if agree else 1.0)
        )
        dissent = self.strategy.run(
            lambda vote: tf.distribute.get_replica_context().all_reduce("sum", vote), (votes,)
        )
        return float(self.strategy.experimental_local_results(dissent)[0]) == 0.0


def start_replicas(mode: DistributeMode = "none", cpu_devices: int = 2) -> Replicas:
    """Set up the devices for `mode`. "mirrored": every local GPU, or without one the CPU split
    into `cpu_devices` logical devices; "multi-worker": this process as one worker of the cluster
    TF_CONFIG describes (each worker then uses its own GPUs, or its CPU)."""
    if mode not in DISTRIBUTE_MODES:
        raise ValueError(f"distribute must be one of {DISTRIBUTE_MODES}, got {mode!r}")
    gpus = [f"GPU:{i}" for i, _ in enumerate(tf.config.list_physical_devices("GPU"))]
    if mode == "none":
        return Replicas(mode, None, (gpus[0] if gpus else "CPU:0",))
    if mode == "mirrored":
        if not gpus:
            _split_cpu(cpu_devices)
        devices = gpus or [f"CPU:{i}" for i in range(cpu_devices)]
        strategy = tf.distribute.MirroredStrategy([f"/{device}" for device in devices])
        return Replicas(mode, strategy, tuple(devices))
    worker, workers = _cluster_task()
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return Replicas(mode, strategy, tuple(gpus or ["CPU:0"]), worker, workers)


def _split_cpu(count: int) -> None:
    if count < 1:
        raise ValueError(f"cpu_devices must be at least 1, got {count}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError as error:
        raise RuntimeError(
            "the CPU can only be split into logical devices before TensorFlow runs its first "
            f"op: call start_replicas first ({error})"
        ) from error


def _cluster_task() -> tuple[int, int]:
    """(this worker's index, the number of workers) from TF_CONFIG, checked."""
    text = os.environ.get("TF_CONFIG")
    example = (
        'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
        '"task": {"type": "worker", "index": 0}}\''
    )
    if not text:
        raise ValueError(f"multi-worker training needs TF_CONFIG, e.g. {example}")
    try:
        config = json.loads(text)
        hosts = list(config["cluster"].get("chief", [])) + list(config["cluster"]["worker"])
        task = config["task"]
        chiefs = len(config["cluster"].get("chief", []))
        index = int(task["index"]) + (chiefs if task["type"] == "worker" else 0)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"TF_CONFIG is not a cluster description ({error}); e.g. {example}"
        ) from error
    if task["type"] not in ("chief", "worker") or not 0 <= index < len(hosts):
        raise ValueError(f"TF_CONFIG's task {task} is not one of its {len(hosts)} workers")
    return index, len(hosts)

