"""The z under a point of a PCA plane or of a plane of two latent axes: affine in (x, y).

Both are `SliderLatents` with the plane's two axes as directions, so `at(x, y)` on the server and
app/live_faces.js in the browser compute the same z = base + x * u + y * v.
"""

from __future__ import annotations

import numpy as np

from model.analysis.pca import PcaResult
from model.generation import SliderLatents


def pca_plane(pca: PcaResult, i: int, j: int, point: np.ndarray | None = None) -> SliderLatents:
    """PCA plane of components i and j (0-based): z = mean + x v_i + y v_j + sum_{k != i, j}
    c_k v_k, where c_k are `point`'s own PCA coordinates over all d components, or 0 (the
    mean) when `point` is None. Over the full basis that sum is point - mean - c_i v_i - c_j v_j,
    so only v_i and v_j are needed."""
    _check_pair(i, j, pca.n_components, "principal component")
    u, v = pca.components[i], pca.components[j]
    if point is None:
        base = pca.mean.copy()
    else:
        point = _vector(point, len(pca.mean))
        offset = point - pca.mean
        base = point - (offset @ u) * u - (offset @ v) * v
    return SliderLatents(base[None, :], (u[None, :], v[None, :]))


def axes_plane(point: np.ndarray, i: int, j: int) -> SliderLatents:
    """Plane of latent components i and j through `point`: its z with z_i = x and z_j = y."""
    point = _vector(point, None)
    _check_pair(i, j, len(point), "latent component")
    base = point.copy()
    base[[i, j]] = 0.0
    u, v = np.zeros_like(base), np.zeros_like(base)
    u[i], v[j] = 1.0, 1.0
    return SliderLatents(base[None, :], (u[None, :], v[None, :]))


def _vector(point: np.ndarray, dim: int | None) -> np.ndarray:
    vector = np.asarray(point, dtype=np.float64).ravel()
    if dim is not None and len(vector) != dim:
        raise ValueError(f"the point has {len(vector)} components, the latents {dim}")
    return vector


def _check_pair(i: int, j: int, count: int, what: str) -> None:
    for index in (i, j):
        if not 0 <= index < count:
            raise ValueError(f"{what} {index} is outside 0..{count - 1}")
    if i == j:
        raise ValueError(f"a plane needs two different axes, got {what} {i} twice")
