"""Principal components of latents from the chunked covariance: memory flat in the row count."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.analysis.chunks import require_finite_latents
from model.analysis.moments import DEFAULT_CHUNK_ROWS, latent_moments

DEFAULT_PCA_COMPONENTS = 64  # covers the studies' planes (1, 2), (1, 18) and (8, 35)


@dataclass(frozen=True)
class PcaResult:
    """Principal axes of N latents of dimension d and every point's coordinates on the first k."""

    mean: np.ndarray  # (d,) float64
    components: np.ndarray  # (k, d) float64, unit rows, by descending variance
    explained_variance: np.ndarray  # (d,) float64, all d eigenvalues of the covariance (N - 1)
    explained_variance_ratio: np.ndarray  # (d,) float64, sums to 1
    coordinates: np.ndarray  # (N, k) float32, (latents - mean) @ components.T

    @property
    def n_components(self) -> int:
        """k, the number of kept components."""
        return len(self.components)

    def transform(self, latents: np.ndarray, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> np.ndarray:
        """Coordinates (M, k) float32 of other latents (M, d) on the kept components."""
        return project(latents, self.mean, self.components, chunk_rows)


def sign_convention(components: np.ndarray) -> np.ndarray:
    """Flip each row (k, d) so that its entry of largest absolute value is positive."""
    largest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(len(components)), largest])
    return components * np.where(signs == 0, 1.0, signs)[:, None]


def project(
    latents: np.ndarray,
    mean: np.ndarray,
    components: np.ndarray,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> np.ndarray:
    """(latents - mean) @ components.T as float32 (N, k), computed `chunk_rows` rows at a time."""
    if latents.ndim != 2 or latents.shape[1] != components.shape[1]:
        raise ValueError(
            f"latents of shape {latents.shape} do not match components of shape {components.shape}"
        )
    coordinates = np.empty((len(latents), len(components)), dtype=np.float32)
    for start in range(0, len(latents), chunk_rows):
        chunk = np.asarray(latents[start : start + chunk_rows], dtype=np.float64) - mean
        coordinates[start : start + len(chunk)] = chunk @ components.T
    return coordinates


def fit_pca(
    latents: np.ndarray,
    n_components: int = DEFAULT_PCA_COMPONENTS,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> PcaResult:
    """PCA of `latents` (N, d) keeping k = min(n_components, d) components; works on memory maps.

    Components are the eigenvectors of the covariance by descending eigenvalue, each flipped so
    its largest-magnitude entry is positive (the convention of sklearn's PCA).
    """
    if n_components < 1:
        raise ValueError(f"n_components must be >= 1, got {n_components}")
    require_finite_latents(latents, min_rows=2, chunk_rows=chunk_rows)
    moments = latent_moments(latents, chunk_rows)
    eigenvalues, eigenvectors = np.linalg.eigh(moments.covariance)
    order = np.argsort(eigenvalues)[::-1]
    variance = np.clip(eigenvalues[order], 0.0, None)  # round-off can make zeros slightly < 0
    total = variance.sum()
    if total <= 0:
        raise ValueError(f"all {moments.count} latents are identical: no variance to explain")
    k = min(n_components, len(variance))
    components = sign_convention(eigenvectors[:, order[:k]].T)
    return PcaResult(
        mean=moments.mean,
        components=components,
        explained_variance=variance,
        explained_variance_ratio=variance / total,
        coordinates=project(latents, moments.mean, components, chunk_rows),
    )
