"""The built-in synthetic face data set: seeded, parametric faces, rendered in parallel.

Image i is a pure function of (seed, i) (see face_factors), so any image can be re-rendered on
its own and a data set is byte-identical however the rendering is split across processes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from model.budget import check_dataset_fits
from model.config import check_seed
from model.data.face_drawing import render_face
from model.data.face_factors import BINARY_ATTRIBUTES, FACTOR_NAMES, sample_factors
from model.data.store import AttributeTable, DatasetInfo, create_dataset, make_split
from model.parallel import ordered_map

GENERATOR_VERSION = 1
CHUNK_SIZE = 128  # images per worker task
MIN_IMAGE_SIZE = 16

__all__ = [
    "BINARY_ATTRIBUTES",
    "FACTOR_NAMES",
    "build_synthetic",
    "render_batch",
    "render_face",
    "sample_factors",
]


def render_batch(
    indices: range | Sequence[int], seed: int, image_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, S, S, 3) uint8 and factor rows (n, len(FACTOR_NAMES)) float32 of `indices`."""
    images = np.empty((len(indices), image_size, image_size, 3), dtype=np.uint8)
    rows = np.empty((len(indices), len(FACTOR_NAMES)), dtype=np.float32)
    for i, index in enumerate(indices):
        factors = sample_factors(int(index), seed)
        images[i] = render_face(factors, image_size)
        rows[i] = [factors[name] for name in FACTOR_NAMES]
    return images, rows


def _render_chunk(task: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    start, stop, seed, image_size = task
    return render_batch(range(start, stop), seed, image_size)


def build_synthetic(
    path: Path,
    *,
    count: int = 20_000,
    test_count: int = 2_000,
    image_size: int = 64,
    seed: int = 0,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> DatasetInfo:
    """Render `count` faces into a data set at `path`: train first, the last `test_count` test."""
    if count <= 0:
        raise ValueError(f"count must be positive, got {count}")
    if not 0 <= test_count < count:
        raise ValueError(f"test_count must be in [0, count={count}), got {test_count}")
    if image_size < MIN_IMAGE_SIZE:
        raise ValueError(f"image_size must be at least {MIN_IMAGE_SIZE} px, got {image_size}")
    check_seed("seed", seed)
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    # In flight: a window of 2 chunks per worker in this process, one being rendered in each
    # worker, and a rendering's own arrays (about 16 images' worth).
    check_dataset_fits(Path(path), count, image_size, workers * (3 * CHUNK_SIZE + 16))
    tasks = [
        (start, min(start + CHUNK_SIZE, count), seed, image_size)
        for start in range(0, count, CHUNK_SIZE)
    ]
    factor_rows = np.empty((count, len(FACTOR_NAMES)), dtype=np.float32)
    with create_dataset(path, image_size, overwrite=overwrite) as writer:
        with tqdm(total=count, desc="synthetic faces", unit="img", disable=not progress) as bar:
            for (start, stop, _, _), (images, rows) in zip(
                tasks, ordered_map(_render_chunk, tasks, workers)
            ):
                writer.add_images(images)
                factor_rows[start:stop] = rows
                bar.update(len(images))
        attributes = AttributeTable(FACTOR_NAMES, factor_rows, binary=BINARY_ATTRIBUTES)
        source = {"kind": "synthetic", "seed": seed, "generator_version": GENERATOR_VERSION}
        return writer.finish(source, make_split(count, count - test_count, test_count), attributes)
