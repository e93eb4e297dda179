"""2-D t-SNE maps of latents with openTSNE (FFT-accelerated).

Reproducibility: a fixed seed gives the identical map run after run for a fixed `n_jobs`. The map
does depend on `n_jobs` (with more than one thread openTSNE's Annoy index builds its trees per
thread, so the neighbours, and hence the map, differ slightly from a single-thread run), so
`n_jobs` is part of the parameters, recorded with the map, and defaults to 1. Several maps use
several cores by running side by side in their own processes (`tsne_maps`), each with its own
`n_jobs`: the maps are then the same on every machine, whatever its core count.

It runs with BLAS and OpenMP limited to `n_jobs` threads (scripts.bench.analysis compares it with
sklearn's Barnes-Hut t-SNE, which otherwise uses every core whatever its `n_jobs` says).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from openTSNE import TSNE as OpenTsne
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from model.analysis.chunks import require_finite_latents
from model.analysis.map_input import map_rows, pca_input
from model.analysis.tsne_map import TsneMap, TsneParams
from model.parallel import ordered_map, report_progress

PROGRESS_EVERY = 10  # iterations between progress-bar updates
# Up to this many points the affinities use exact nearest neighbours: at 20,000 points about 10x
# faster than openTSNE's default Annoy index (3 s against 20-27 s here), and the same on every
# machine. Beyond it exact search grows as N^2 and the Annoy index is used.
EXACT_NEIGHBOURS_MAX = 50_000


def tsne_input(latents: np.ndarray, params: TsneParams) -> tuple[np.ndarray, np.ndarray]:
    """The selected row indices and the in-memory (n, d or k) array t-SNE runs on."""
    indices, rows = map_rows(latents, params)
    return indices, _reduced(rows, params)


def _reduced(data: np.ndarray, params: TsneParams) -> np.ndarray:
    """The selected rows, checked, after the map's PCA if it has one."""
    require_finite_latents(data, min_rows=2)
    needed = int(np.ceil(3 * params.perplexity)) + 1  # openTSNE's 3 * perplexity neighbours
    if len(data) < needed:
        raise ValueError(
            f"perplexity {params.perplexity:g} needs at least {needed} points, got {len(data)}"
        )
    return pca_input(data, params.pca_components)


def _map(
    embedding: np.ndarray,
    indices: np.ndarray,
    params: TsneParams,
    backend: str,
    kl_divergence: float,
    started: float,
    **overrides: Any,
) -> TsneMap:
    return TsneMap(
        name=params.name,
        embedding=np.asarray(embedding, dtype=np.float32),
        indices=indices,
        params={**params.to_dict(), **overrides, "backend": backend},
        kl_divergence=float(kl_divergence),
        seconds=time.perf_counter() - started,
    )


def run_tsne(latents: np.ndarray, params: TsneParams, progress: bool = False) -> TsneMap:
    """t-SNE map of `latents` (N, d) with openTSNE's FFT gradients; PCA initialisation."""
    started = time.perf_counter()
    indices, rows = map_rows(latents, params)
    with tqdm(total=_iterations(params), desc=f"t-SNE {params.name}", disable=not progress) as bar:
        return _opentsne_map(rows, indices, params, bar.update if progress else None, started)


def tsne_maps(
    latents: np.ndarray,
    variants: Sequence[TsneParams],
    workers: int = 1,
    progress: bool = False,
) -> list[TsneMap]:
    """`run_tsne` for every variant, up to `workers` at a time in their own processes
    (model.parallel).

    Each map is computed exactly as `run_tsne` computes it alone (same rows, same `n_jobs`), so
    the maps do not depend on `workers`. Slower maps are started first.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers == 1 or len(variants) < 2:
        return [run_tsne(latents, params, progress) for params in variants]
    jobs = [(*map_rows(latents, params), params) for params in variants]
    order = sorted(range(len(jobs)), key=lambda k: jobs[k][2].pca_components or 0, reverse=True)
    total = sum(_iterations(params) for params in variants)
    with tqdm(total=total, desc=f"t-SNE {len(variants)} maps", disable=not progress) as bar:
        made = ordered_map(_worker_map, [jobs[k] for k in order], min(workers, len(jobs)),
                           window=len(jobs), on_progress=bar.update)  # fmt: skip
        maps = dict(zip(order, made))
        bar.update(total - bar.n)
    return [maps[k] for k in range(len(jobs))]


def _worker_map(job: tuple[np.ndarray, np.ndarray, TsneParams]) -> TsneMap:
    indices, rows, params = job
    return _opentsne_map(rows, indices, params, report_progress)


def neighbours_method(points: int) -> str:
    """openTSNE's nearest-neighbour search for a map of this many points."""
    return "exact" if points <= EXACT_NEIGHBOURS_MAX else "annoy"


def _iterations(params: TsneParams) -> int:
    return params.early_exaggeration_iter + params.n_iter


def _opentsne_map(
    rows: np.ndarray,
    indices: np.ndarray,
    params: TsneParams,
    on_iterations: Callable[[int], object] | None,
    started: float | None = None,
) -> TsneMap:
    """The map of the selected `rows` (their PCA first, if the map has one) with openTSNE;
    `on_iterations(n)` hears of every n iterations done."""
    started = time.perf_counter() if started is None else started
    data = _reduced(rows, params)
    embedding, kl = _fit(data, params, on_iterations)
    return _map(
        embedding, indices, params, "openTSNE", kl, started, neighbors=neighbours_method(len(data))
    )


def _fit(
    data: np.ndarray, params: TsneParams, on_iterations: Callable[[int], object] | None
) -> tuple[np.ndarray, float]:
    """openTSNE on the prepared rows: (embedding, final KL divergence)."""
    reported = 0

    def report(iteration: int, error: float, embedding: np.ndarray) -> bool:
        nonlocal reported
        reported += PROGRESS_EVERY
        on_iterations(PROGRESS_EVERY)
        return False  # never stop early

    with threadpool_limits(limits=params.n_jobs):
        tsne = OpenTsne(
            n_components=2,
            perplexity=params.perplexity,
            early_exaggeration=params.early_exaggeration,
            early_exaggeration_iter=params.early_exaggeration_iter,
            n_iter=params.n_iter,
            initialization="pca",
            negative_gradient_method="fft",
            neighbors=neighbours_method(len(data)),
            n_jobs=params.n_jobs,
            random_state=params.seed,
            callbacks=[report] if on_iterations else None,
            callbacks_every_iters=PROGRESS_EVERY,
        )
        embedding = tsne.fit(data)
    if on_iterations:
        on_iterations(max(0, _iterations(params) - reported))
    return np.asarray(embedding), float(embedding.kl_divergence)
