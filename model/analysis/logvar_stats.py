"""The tiny-KL check: how far sampled z strays from mu, and how little that moves the radius.

A VAE whose logvar is very negative samples z almost exactly at mu, so it behaves like an AE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.analysis.chunks import check_latents, float_chunks, row_norms
from model.analysis.moments import DEFAULT_CHUNK_ROWS

DIFF_LOW, DIFF_HIGH = 0.05, 2.0  # the studies' band of |z - mu|


@dataclass(frozen=True)
class LogvarAnalysis:
    """logvar range, |z - mu| extremes, and radius from z vs radius from mu.

    Relative radius differences |R_z - R_mu| / R_mu skip rows with R_mu = 0 (NaN if all are).
    """

    count: int  # N
    entries: int  # N * d
    logvar_min: float
    logvar_max: float
    logvar_mean: float
    max_abs_diff: float  # max |z - mu| over all entries
    diff_low: float
    diff_high: float
    band_count: int  # entries with diff_low < |z - mu| < diff_high
    radius_z_min: float
    radius_z_max: float
    radius_z_mean: float
    radius_mu_min: float
    radius_mu_max: float
    radius_mu_mean: float
    radius_abs_diff_mean: float  # |R_z - R_mu|
    radius_abs_diff_max: float
    radius_rel_diff_mean: float  # |R_z - R_mu| / R_mu
    radius_rel_diff_max: float


def analyze_logvar(
    z: np.ndarray,
    mu: np.ndarray,
    logvar: np.ndarray,
    diff_low: float = DIFF_LOW,
    diff_high: float = DIFF_HIGH,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> LogvarAnalysis:
    """Compare sampled `z` with `mu` given `logvar`, all (N, d) with the same shape."""
    arrays = {
        name: check_latents(a, name) for name, a in (("z", z), ("mu", mu), ("logvar", logvar))
    }
    shapes = {name: a.shape for name, a in arrays.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"z, mu and logvar must have the same shape, got {shapes}")
    if not 0 <= diff_low < diff_high:
        raise ValueError(f"need 0 <= diff_low < diff_high, got {diff_low}, {diff_high}")
    z, mu, logvar = arrays.values()
    logvar_min, logvar_max, logvar_sum = np.inf, -np.inf, 0.0
    for _, chunk in float_chunks(logvar, "logvar", chunk_rows):
        logvar_min, logvar_max = min(logvar_min, chunk.min()), max(logvar_max, chunk.max())
        logvar_sum += chunk.sum()
    max_diff, band = 0.0, 0
    radius_z, radius_mu = np.empty(len(z)), np.empty(len(z))
    for (start, z_chunk), (_, mu_chunk) in zip(
        float_chunks(z, "z", chunk_rows), float_chunks(mu, "mu", chunk_rows)
    ):
        diff = np.abs(z_chunk - mu_chunk)
        max_diff = max(max_diff, diff.max())
        band += int(np.count_nonzero((diff > diff_low) & (diff < diff_high)))
        radius_z[start : start + len(z_chunk)] = row_norms(z_chunk)
        radius_mu[start : start + len(mu_chunk)] = row_norms(mu_chunk)
    abs_diff = np.abs(radius_z - radius_mu)
    nonzero = radius_mu > 0
    rel_diff = abs_diff[nonzero] / radius_mu[nonzero]
    return LogvarAnalysis(
        count=len(z),
        entries=int(z.size),
        logvar_min=float(logvar_min),
        logvar_max=float(logvar_max),
        logvar_mean=float(logvar_sum / logvar.size),
        max_abs_diff=float(max_diff),
        diff_low=float(diff_low),
        diff_high=float(diff_high),
        band_count=band,
        radius_z_min=float(radius_z.min()),
        radius_z_max=float(radius_z.max()),
        radius_z_mean=float(radius_z.mean()),
        radius_mu_min=float(radius_mu.min()),
        radius_mu_max=float(radius_mu.max()),
        radius_mu_mean=float(radius_mu.mean()),
        radius_abs_diff_mean=float(abs_diff.mean()),
        radius_abs_diff_max=float(abs_diff.max()),
        radius_rel_diff_mean=float(rel_diff.mean()) if rel_diff.size else float("nan"),
        radius_rel_diff_max=float(rel_diff.max()) if rel_diff.size else float("nan"),
    )
