"""k-means inertia against the number of clusters k (elbow search) with MiniBatchKMeans."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import MiniBatchKMeans
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from model.analysis.chunks import require_finite_latents

STUDY_KS = range(2, 81, 2)
BATCH_SIZE = 4096  # rows per MiniBatchKMeans step


@dataclass(frozen=True)
class KMeansCurve:
    """Final MiniBatchKMeans inertia for each k (best of `n_init` initialisations)."""

    ks: np.ndarray  # (m,) int64, in the order given
    inertia: np.ndarray  # (m,) float64, sum over all rows of squared distance to the nearest centre
    seconds: np.ndarray  # (m,) float64, wall time of each fit


def kmeans_inertia(
    latents: np.ndarray,
    ks: Iterable[int] = STUDY_KS,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    n_init: int = 3,
    n_threads: int | None = None,
) -> KMeansCurve:
    """Inertia of MiniBatchKMeans on `latents` (N, d) for every k in `ks` (same seed for each).

    `n_threads` caps BLAS/OpenMP threads (None: all cores); on a busy machine 1 can be faster.
    """
    ks = np.asarray(list(ks), dtype=np.int64)
    require_finite_latents(latents, min_rows=2)
    if ks.ndim != 1 or len(ks) == 0:
        raise ValueError(f"need at least one k, got {ks.tolist()}")
    if ks.min() < 1 or ks.max() > len(latents):
        raise ValueError(
            f"every k must be in 1..{len(latents)} (the number of latents), got {ks.tolist()}"
        )
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if n_init < 1:
        raise ValueError(f"n_init must be >= 1, got {n_init}")
    if n_threads is not None and n_threads < 1:
        raise ValueError(f"n_threads must be None or >= 1, got {n_threads}")
    inertia = np.empty(len(ks))
    seconds = np.empty(len(ks))
    for i, k in enumerate(tqdm(ks, desc="k-means", disable=not progress)):
        started = time.perf_counter()
        model = MiniBatchKMeans(
            n_clusters=int(k),
            batch_size=batch_size,
            n_init=n_init,
            compute_labels=True,  # inertia_ then covers all rows, not a running estimate
            random_state=seed,
        )
        with threadpool_limits(limits=n_threads):
            inertia[i] = model.fit(latents).inertia_
        seconds[i] = time.perf_counter() - started
    return KMeansCurve(ks=ks, inertia=inertia, seconds=seconds)
