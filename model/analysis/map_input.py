"""What every 2-D map (t-SNE, UMAP) starts from: its settings' checks, the seeded subset of rows
it maps, and its input, the rows or their first principal components. Shared, so a t-SNE and a
UMAP map of one cap and seed map the same rows."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from model.analysis.pca import fit_pca


class MapRows(Protocol):
    """The settings that choose a map's rows (TsneParams and UmapParams have them)."""

    cap: int | None
    seed: int


class MapInput(Protocol):
    """A map's input setting (TsneParams and UmapParams have it)."""

    pca_components: int | None


def fits(params: MapInput, z_dim: int) -> bool:
    """A map's PCA input needs no more components than `z_dim` latent dimensions have."""
    return (params.pca_components or 0) <= z_dim


def check_map_input(pca_components: int | None, cap: int | None, seed: int) -> None:
    """ValueError unless a map's input settings (t-SNE's or UMAP's) are valid."""
    if pca_components is not None and pca_components < 1:
        raise ValueError(f"pca_components must be None or >= 1, got {pca_components}")
    if cap is not None and cap < 2:
        raise ValueError(f"cap must be None or >= 2, got {cap}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")


def select_rows(count: int, cap: int | None, seed: int) -> np.ndarray:
    """Sorted int64 indices: all `count` rows when cap is None or equal, else `cap` seeded ones."""
    if cap is None or cap == count:
        return np.arange(count, dtype=np.int64)
    if cap > count:
        raise ValueError(f"cap {cap} is larger than the {count} latents available")
    chosen = np.random.default_rng(seed).choice(count, size=cap, replace=False)
    return np.sort(chosen).astype(np.int64)


def map_rows(latents: np.ndarray, params: MapRows) -> tuple[np.ndarray, np.ndarray]:
    """The row indices a map uses and those rows as float32 (N, d), before any PCA: the same
    rows for a t-SNE and a UMAP map of one cap and seed."""
    if latents.ndim != 2:
        raise ValueError(f"need latents of shape (N, d), got {latents.shape}")
    indices = select_rows(len(latents), params.cap, params.seed)
    rows = latents if len(indices) == len(latents) else latents[indices]
    return indices, np.asarray(rows, dtype=np.float32)


def pca_input(data: np.ndarray, pca_components: int | None) -> np.ndarray:
    """A map's input: the rows themselves, or their first `pca_components` PCA coordinates."""
    if pca_components is None:
        return data
    if pca_components > data.shape[1]:
        raise ValueError(
            f"pca_components {pca_components} exceeds the latent dimension {data.shape[1]}"
        )
    return fit_pca(data, n_components=pca_components).coordinates
