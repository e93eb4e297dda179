"""Random-vector baselines: how long uniform and normal random vectors of dimension d are, drawn
by the samplers the dashboard decodes (model.generation).

Uniform vectors in [-b, b]^d have radius ~ b * sqrt(d / 3); normal vectors N(0, s^2 I_d) have
radius ~ s * sqrt(d). Both are root-mean-square radii, which the mean radius approaches for large d.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.analysis.radius import radii, radius_edges, radius_histogram
from model.generation import R_LIMITS, sample_latents

NORMAL_SCALES = (0.5, 1.0, 1.5, 2.0)


def _check_shape(n: int, d: int) -> None:
    if int(n) != n or n < 1 or int(d) != d or d < 1:
        raise ValueError(f"n and d must be positive integers, got n={n}, d={d}")


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
    uniform_limits: Sequence[float] = R_LIMITS,
    normal_scales: Sequence[float] = NORMAL_SCALES,
    bin_width: float = 0.5,
) -> RadiusBaselines:
    """Radii of `n` uniform vectors per limit b and `n` normal vectors per scale s, dimension d."""
    _check_shape(n, d)
    uniform = [radii(sample_latents("uniform", n, d, seed + k, limit=b))
               for k, b in enumerate(uniform_limits)]  # fmt: skip
    offset = len(uniform)
    normal = [radii(sample_latents("normal", n, d, seed + offset + k, scale=s))
              for k, s in enumerate(normal_scales)]  # fmt: skip
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
