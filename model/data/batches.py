"""Batches of a stored data set: uint8 rows read ahead in a background thread.

Not tf.data: under `enable_op_determinism()` tf.data drops `prefetch` from a pipeline fed by a
Python generator, so every read then waited for the step before it. A thread reading ahead keeps
the compiled step busy; file reads release the GIL.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from typing import TypeVar

import numpy as np
import tensorflow as tf

from model.data.store import Dataset

T = TypeVar("T")
READ_AHEAD = 2  # batches
_DONE = object()


def epoch_order(rows: range, seed: int, epoch: int) -> np.ndarray:
    """The shuffled row order of one training epoch: a pure function of (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(np.asarray(rows, dtype=np.int64))


def uint8_batches(
    dataset: Dataset, rows: range | np.ndarray, batch_size: int
) -> Iterator[np.ndarray]:
    """Yield uint8 image batches for `rows` in order; a contiguous range is read in one call."""
    if isinstance(rows, range) and rows.step == 1:
        for start in range(rows.start, rows.stop, batch_size):
            yield dataset.read(start, min(start + batch_size, rows.stop))
    else:
        rows = np.asarray(rows)
        for start in range(0, len(rows), batch_size):
            yield dataset.take(rows[start : start + batch_size])


def read_ahead(items: Iterator[T], depth: int = READ_AHEAD) -> Iterator[T]:
    """Yield `items` in order while a background thread produces up to `depth` more.

    An exception in the producer is raised here; closing this iterator early stops the thread.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        """Hand `item` over; False once the consumer has gone."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except Exception as error:  # noqa: BLE001 (handed to the consumer, raised there)
            put(error)

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def image_batches(
    dataset: Dataset, rows: range | np.ndarray, batch_size: int
) -> Iterator[np.ndarray]:
    """uint8 (n, H, W, 3) batches for `rows` in order, read ahead in a background thread."""
    return read_ahead(uint8_batches(dataset, rows, batch_size))


def split_rows(rows: np.ndarray, parts: int) -> list[tuple[int, np.ndarray]]:
    """`rows` cut into `parts` contiguous pieces as equal as can be: (offset, piece) each."""
    bounds = [i * len(rows) // parts for i in range(parts + 1)]
    return [(bounds[i], rows[bounds[i] : bounds[i + 1]]) for i in range(parts)]


def replica_batches(
    dataset: Dataset, rows: np.ndarray, batch_size: int, replicas: int, local: Sequence[int]
) -> Iterator[tuple[int, list[tuple[int, np.ndarray]]]]:
    """The batches of `rows` split over `replicas`, read ahead: (batch size, [(offset, uint8
    images)] for the `local` replica ids only). A worker reads only its own replicas' images."""

    def batches() -> Iterator[tuple[int, list[tuple[int, np.ndarray]]]]:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            parts = split_rows(batch, replicas)
            yield len(batch), [(parts[i][0], dataset.take(parts[i][1])) for i in local]

    return read_ahead(batches())


def unit_float(images: tf.Tensor) -> tf.Tensor:
    """uint8 pixels as float32 in [0, 1], inside a compiled step."""
    return tf.cast(images, tf.float32) / 255.0
