"""2-D UMAP maps of latents with umap-learn, seeded.

Reproducibility: with a seed, umap-learn runs its layout on one thread and gives the identical
map run after run on one machine. Across machines the map can differ: its nearest-neighbour
descent and layout are compiled by numba for the CPU at hand, and float rounding differs with
the instruction set. The maps of one run of the analysis are recorded with umap-learn's version.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from model.analysis.chunks import require_finite_latents
from model.analysis.map_input import map_rows, pca_input
from model.analysis.umap_map import UmapMap, UmapParams
from model.parallel import ordered_map


def run_umap(latents: np.ndarray, params: UmapParams, progress: bool = False) -> UmapMap:
    """UMAP map of `latents` (N, d): the selected rows (t-SNE's, for the same cap and seed),
    their first `pca_components` principal components if asked; a bar over the epochs."""
    started = time.perf_counter()
    indices, data = map_rows(latents, params)
    require_finite_latents(data, min_rows=2)
    if len(data) <= params.n_neighbors:
        raise ValueError(
            f"UMAP with n_neighbors {params.n_neighbors} needs more than {params.n_neighbors} "
            f"points, got {len(data)}"
        )
    data = pca_input(data, params.pca_components)
    umap = umap_class()
    reducer = umap(
        n_components=2,
        n_neighbors=params.n_neighbors,
        min_dist=params.min_dist,
        n_epochs=params.n_epochs,
        random_state=params.seed,
        n_jobs=1,  # a seed makes umap-learn single-threaded anyway; said, not warned
        tqdm_kwds={"desc": f"UMAP {params.name}", "disable": not progress},
    )
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "n_jobs overridden", "disconnected"
        embedding = reducer.fit_transform(data)
    return UmapMap(
        name=params.name,
        embedding=np.asarray(embedding, dtype=np.float32),
        indices=indices,
        params={**params.to_dict(), "umap_version": _umap_version()},
        seconds=time.perf_counter() - started,
    )


def umap_maps(
    latents: np.ndarray, variants: Sequence[UmapParams], workers: int = 1, progress: bool = False
) -> list[UmapMap]:
    """`run_umap` for every variant, up to `workers` at a time in their own processes, each on
    one thread. Each map is made exactly as `run_umap` makes it alone (the same rows and seed),
    so the maps do not depend on `workers`."""
    if workers == 1 or len(variants) < 2:
        return [run_umap(latents, params, progress) for params in variants]
    selected = [map_rows(latents, params) for params in variants]
    jobs = [(rows, dataclasses.replace(params, cap=None)) for (_, rows), params in
            zip(selected, variants)]  # fmt: skip
    maps = []
    done = ordered_map(_map_of_rows, jobs, workers=min(workers, len(jobs)), window=len(jobs))
    with tqdm(total=len(jobs), desc=f"UMAP {len(jobs)} maps", unit="map",
              disable=not progress) as bar:  # fmt: skip
        for made in done:
            maps.append(made)
            bar.update(1)
    return [
        dataclasses.replace(made, indices=indices, params={**made.params, "cap": params.cap})
        for made, (indices, _), params in zip(maps, selected, variants)
    ]


def _map_of_rows(job: tuple[np.ndarray, UmapParams]) -> UmapMap:
    rows, params = job
    return run_umap(rows, params)


def umap_class() -> Any:
    """umap.UMAP, imported without its ParametricUMAP: that module imports TensorFlow (20 s
    here), which a map does not need."""
    sys.modules.setdefault("umap.parametric_umap", None)  # an ImportError, which umap skips
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Tensorflow not installed"
        import umap
    return umap.UMAP


def _umap_version() -> str:
    from importlib.metadata import version

    return version("umap-learn")
