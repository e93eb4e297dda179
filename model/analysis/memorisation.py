"""Is a generated face a copy of a training face? Its nearest training image, by exact search.

In latent space the search runs over the training rows' latents; in pixel space over the
training images themselves, flattened to rows of H*W*3 uint8 values (brute force: every query
reads every training image, about 0.25 GB at 20,000 images of 64 px and 4.7 GB at 170,000 of
96 px).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from model.analysis.density import LatentIndex

Space = Literal["latent", "pixel"]
PIXEL_CHUNK_VALUES = 1 << 22  # values per float32 chunk of a pixel search (16 MiB)


@dataclass(frozen=True)
class NearestTraining:
    """Each query's nearest training image."""

    rows: np.ndarray  # (m,) int64 data set rows
    distances: np.ndarray  # (m,) latent: Euclidean; pixel: root mean square difference (0-255)
    space: Space


def training_index(latents: np.ndarray, train_rows: range) -> LatentIndex:
    """An exact search over the training rows of a data set's latents (N, d)."""
    _check_rows(train_rows, len(latents))
    return LatentIndex(latents[train_rows.start : train_rows.stop], first_row=train_rows.start)


def training_pixel_index(images: np.ndarray, train_rows: range) -> LatentIndex:
    """An exact search over the training images (N, H, W, 3) uint8, each one flattened; a
    memory map stays on disk and is read in 16 MiB chunks."""
    _check_rows(train_rows, len(images))
    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, H, W, C), got {images.dtype} {images.shape}")
    rows = images[train_rows.start : train_rows.stop].reshape(len(train_rows), -1)
    chunk_rows = max(1, PIXEL_CHUNK_VALUES // rows.shape[1])
    return LatentIndex(rows, chunk_rows=chunk_rows, first_row=train_rows.start)


def nearest_training(
    queries: np.ndarray,
    index: LatentIndex,
    space: Space,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
) -> NearestTraining:
    """The nearest training image of each query: z-points (m, d) for "latent", uint8 images
    (m, H, W, 3) for "pixel".

    `candidates`, (distances, rows) each (m, k), are the k nearest of all rows (training and
    test) from a search in the same space, nearest first: the first training row among them is
    exactly the nearest training row, so only queries without one are searched in `index`.
    """
    if space not in ("latent", "pixel"):
        raise ValueError(f"space must be 'latent' or 'pixel', got {space!r}")
    flat = np.asarray(queries, np.float32).reshape(len(queries), -1)
    rows, distances = np.zeros(len(flat), np.int64), np.zeros(len(flat))
    missing = np.ones(len(flat), bool)
    if candidates is not None:
        near, near_rows = candidates
        training = (near_rows >= index.first_row) & (near_rows < index.first_row + len(index))
        found = training.any(axis=1)
        first = training.argmax(axis=1)
        rows[found] = near_rows[found, first[found]]
        distances[found] = near[found, first[found]]
        missing = ~found
    if missing.any():
        searched, searched_rows = index.query(flat[missing], k=1)
        rows[missing], distances[missing] = searched_rows[:, 0], searched[:, 0]
    if space == "pixel":
        distances = distances / np.sqrt(flat.shape[1])
    return NearestTraining(rows, distances, space)


def _check_rows(rows: range, count: int) -> None:
    if len(rows) == 0 or rows.step != 1 or rows.start < 0 or rows.stop > count:
        raise ValueError(f"training rows {rows} must be a non-empty run of rows in 0..{count - 1}")
