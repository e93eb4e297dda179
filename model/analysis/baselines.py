"""Random-vector baselines: how long uniform and normal random vectors of dimension d are.

Uniform vectors in [-b, b]^d have radius ~ b * sqrt(d / 3); normal vectors N(0, s^2 I_d) have
radius ~ s * sqrt(d). Both are root-mean-square radii, which the mean radius approaches for large d.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.analysis.radius import radii, radius_edges, radius_histogram

UNIFORM_LIMITS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 5.0, 8.0)
NORMAL_SCALES = (0.5, 1.0, 1.5, 2.0)


def _check_shape(n: int, d: int) -> None:
    if int(n) != n or n < 1 or int(d) != d or d < 1:
        raise ValueError(f"n and d must be positive integers, got n={n}, d={d}")


def uniform_samples(n: int, d: int, limit: float, seed: int) -> np.ndarray:
    """`n` float32 vectors uniform in [-limit, limit]^d."""
    _check_shape(n, d)
    if not limit > 0:
        raise ValueError(f"uniform limit must be positive, got {limit}")
    rng = np.random.default_rng(seed)
    return rng.uniform(-limit, limit, size=(n, d)).astype(np.float32)


def normal_samples(n: int, d: int, scale: float, seed: int) -> np.ndarray:
    """`n` float32 vectors from N(0, scale^2 I_d)."""
    _check_shape(n, d)
    if not scale > 0:
        raise ValueError(f"normal scale must be positive, got {scale}")
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, scale, size=(n, d)).astype(np.float32)


@dataclass(frozen=True)
class RadiusBaselines:
    """Radius histograms (common edges) and mean radii of uniform and normal random vectors.

    Set k draws with seed `seed + k`, counting the uniform sets first, then the normal ones.
    """

    dim: int
    n: int
    seed: int
    bin_width: float
    edges: np.ndarray  # (bins + 1,) from 0
    uniform_limits: np.ndarray  # (u,) b
    uniform_counts: np.ndarray  # (u, bins)
    uniform_mean_radius: np.ndarray  # (u,) sample mean
    uniform_expected_radius: np.ndarray  # (u,) b * sqrt(d / 3)
    normal_scales: np.ndarray  # (m,) s
    normal_counts: np.ndarray  # (m, bins)
    normal_mean_radius: np.ndarray  # (m,) sample mean
    normal_expected_radius: np.ndarray  # (m,) s * sqrt(d)


def radius_baselines(
    d: int,
    n: int = 5000,
    seed: int = 0,
    uniform_limits: Sequence[float] = UNIFORM_LIMITS,
    normal_scales: Sequence[float] = NORMAL_SCALES,
    bin_width: float = 0.5,
) -> RadiusBaselines:
    """Radii of `n` uniform vectors per limit b and `n` normal vectors per scale s, dimension d."""
    _check_shape(n, d)
    uniform = [radii(uniform_samples(n, d, b, seed + k)) for k, b in enumerate(uniform_limits)]
    offset = len(uniform)
    normal = [
        radii(normal_samples(n, d, s, seed + offset + k)) for k, s in enumerate(normal_scales)
    ]
    edges = radius_edges(max((float(r.max()) for r in uniform + normal), default=0.0), bin_width)

    def counts(sets: list[np.ndarray]) -> np.ndarray:
        rows = [radius_histogram(r, bin_width, edges[-1]).counts for r in sets]
        return np.array(rows, dtype=np.int64).reshape(len(sets), len(edges) - 1)

    def means(sets: list[np.ndarray]) -> np.ndarray:
        return np.array([r.mean(dtype=np.float64) for r in sets], dtype=np.float64)

    return RadiusBaselines(
        dim=int(d),
        n=int(n),
        seed=int(seed),
        bin_width=float(bin_width),
        edges=edges,
        uniform_limits=np.asarray(uniform_limits, dtype=np.float64),
        uniform_counts=counts(uniform),
        uniform_mean_radius=means(uniform),
        uniform_expected_radius=np.asarray(uniform_limits, dtype=np.float64) * math.sqrt(d / 3),
        normal_scales=np.asarray(normal_scales, dtype=np.float64),
        normal_counts=counts(normal),
        normal_mean_radius=means(normal),
        normal_expected_radius=np.asarray(normal_scales, dtype=np.float64) * math.sqrt(d),
    )
