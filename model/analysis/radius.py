"""Radius (L2 norm) of latents: histograms, peaks and the N(0, I) prior's chi distribution."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from model.analysis.chunks import check_latents, float_chunks, row_norms
from model.analysis.moments import DEFAULT_CHUNK_ROWS

COARSE_BIN_WIDTH = 0.5  # the studies' radius histogram
FINE_BIN_WIDTH = 0.05  # the studies' detail histogram
PRIOR_TAIL = 1e-6  # default histogram range covers the prior up to this upper-tail probability


def radii(
    latents: np.ndarray,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    name: str = "latents",
) -> np.ndarray:
    """L2 norm of every row of `latents` (N, d): float32 (N,), summed in float64."""
    latents = check_latents(latents, name)
    out = np.empty(len(latents), dtype=np.float32)
    for start, chunk in float_chunks(latents, name, chunk_rows):
        out[start : start + len(chunk)] = row_norms(chunk)
    return out


@dataclass(frozen=True)
class RadiusHistogram:
    """Counts of radii per bin; bins start at 0 and are `bin_width` wide."""

    edges: np.ndarray  # (bins + 1,) float64, edges[0] == 0
    counts: np.ndarray  # (bins,) int64
    bin_width: float
    peak: float  # centre of the fullest bin (the first one on ties)
    above: int  # radii beyond the last edge, not counted in any bin


def radius_edges(max_radius: float, bin_width: float) -> np.ndarray:
    """Edges 0, w, 2w, ... of the fewest `bin_width` bins reaching `max_radius` (at least one)."""
    if not bin_width > 0:
        raise ValueError(f"bin_width must be positive, got {bin_width}")
    if not max_radius >= 0:
        raise ValueError(f"max_radius must be >= 0, got {max_radius}")
    bins = max(1, math.ceil(max_radius / bin_width - 1e-9))  # n * w itself needs n bins, not n + 1
    if bins * bin_width < max_radius:
        bins += 1
    return np.arange(bins + 1) * float(bin_width)


def radius_histogram(
    radii: np.ndarray, bin_width: float, max_radius: float | None = None
) -> RadiusHistogram:
    """Histogram of `radii` on bins [0, w), [w, 2w), ... up to `max_radius`.

    By default `max_radius` is the largest radius rounded up to a whole bin.
    """
    radii = np.asarray(radii)
    if radii.ndim != 1 or radii.size == 0:
        raise ValueError(f"radii must be a non-empty 1-D array, got shape {radii.shape}")
    if not np.isfinite(radii).all():
        raise ValueError("radii hold NaN or Inf")
    edges = radius_edges(float(radii.max()) if max_radius is None else max_radius, bin_width)
    counts, _ = np.histogram(radii, bins=edges)
    fullest = int(np.argmax(counts))
    return RadiusHistogram(
        edges=edges,
        counts=counts.astype(np.int64),
        bin_width=float(bin_width),
        peak=float(edges[fullest] + bin_width / 2),
        above=int(np.count_nonzero(radii > edges[-1])),
    )


def _check_dim(d: int) -> None:
    if int(d) != d or d < 1:
        raise ValueError(f"dimension d must be a positive integer, got {d}")


def chi_mode(d: int) -> float:
    """Most likely radius of z ~ N(0, I_d): sqrt(d - 1) (the mean is close to sqrt(d))."""
    _check_dim(d)
    return math.sqrt(d - 1)


def prior_radius_counts(edges: np.ndarray, d: int, n: int) -> np.ndarray:
    """Expected counts per bin for `n` radii of z ~ N(0, I_d), a chi distribution with d dof."""
    _check_dim(d)
    edges = np.asarray(edges, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"edges must be increasing with at least 2 entries, got {edges}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return n * np.diff(stats.chi.cdf(edges, d))


@dataclass(frozen=True)
class RadiusAnalysis:
    """Radii of z and mu with coarse and fine histograms on common edges, and the prior's counts.

    An AE has no mu: then `has_mu` is False and every mu field repeats z.
    """

    dim: int
    count: int
    has_mu: bool
    radii_z: np.ndarray  # (N,) float32
    radii_mu: np.ndarray  # (N,) float32
    coarse_width: float
    coarse_edges: np.ndarray  # (bins + 1,)
    coarse_counts_z: np.ndarray  # (bins,)
    coarse_counts_mu: np.ndarray
    prior_counts: np.ndarray  # (bins,) expected counts of N points from N(0, I_d), coarse bins
    peak_z: float  # centre of the fullest coarse bin
    peak_mu: float
    fine_width: float
    fine_edges: np.ndarray
    fine_counts_z: np.ndarray
    fine_counts_mu: np.ndarray
    fine_peak_z: float
    fine_peak_mu: float
    prior_mode: float  # sqrt(d - 1)


def analyze_radius(
    z: np.ndarray,
    mu: np.ndarray | None = None,
    coarse_width: float = COARSE_BIN_WIDTH,
    fine_width: float = FINE_BIN_WIDTH,
    max_radius: float | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> RadiusAnalysis:
    """Radius statistics of `z` and `mu` (N, d); without `mu` (an AE) z stands in for it.

    By default the histograms reach the largest radius or the prior's 1 - 1e-6 quantile, whichever
    is further, rounded up to a whole coarse bin.
    """
    z = check_latents(z, "z")
    radii_z = radii(z, chunk_rows, name="z")
    if mu is None:
        radii_mu = radii_z
    else:
        mu = check_latents(mu, "mu")
        if mu.shape != z.shape:
            raise ValueError(f"mu has shape {mu.shape}, z has {z.shape}; they must match")
        radii_mu = radii(mu, chunk_rows, name="mu")
    count, dim = z.shape
    if max_radius is None:
        furthest = max(float(radii_z.max()), float(radii_mu.max()), stats.chi.isf(PRIOR_TAIL, dim))
        max_radius = float(radius_edges(furthest, coarse_width)[-1])
    coarse_z, coarse_mu = (
        radius_histogram(r, coarse_width, max_radius) for r in (radii_z, radii_mu)
    )
    fine_z, fine_mu = (radius_histogram(r, fine_width, max_radius) for r in (radii_z, radii_mu))
    return RadiusAnalysis(
        dim=dim,
        count=count,
        has_mu=mu is not None,
        radii_z=radii_z,
        radii_mu=radii_mu,
        coarse_width=coarse_z.bin_width,
        coarse_edges=coarse_z.edges,
        coarse_counts_z=coarse_z.counts,
        coarse_counts_mu=coarse_mu.counts,
        prior_counts=prior_radius_counts(coarse_z.edges, dim, count),
        peak_z=coarse_z.peak,
        peak_mu=coarse_mu.peak,
        fine_width=fine_z.bin_width,
        fine_edges=fine_z.edges,
        fine_counts_z=fine_z.counts,
        fine_counts_mu=fine_mu.counts,
        fine_peak_z=fine_z.peak,
        fine_peak_mu=fine_mu.peak,
        prior_mode=chi_mode(dim),
    )
