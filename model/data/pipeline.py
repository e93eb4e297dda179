"""tf.data pipelines over a stored data set: uint8 rows streamed from disk, floats per batch."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from model.data.store import Dataset


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


def float_batches(dataset: Dataset, rows: range | np.ndarray, batch_size: int) -> tf.data.Dataset:
    """A tf.data pipeline of float32 [0, 1] batches for `rows`, read ahead in the background."""
    size = dataset.info.image_size
    pipeline = tf.data.Dataset.from_generator(
        lambda: uint8_batches(dataset, rows, batch_size),
        output_signature=tf.TensorSpec((None, size, size, 3), tf.uint8),
    )
    return pipeline.map(lambda x: tf.cast(x, tf.float32) / 255.0).prefetch(2)
