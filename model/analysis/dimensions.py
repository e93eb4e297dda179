"""Is every latent dimension used? Per-dimension KL to the prior, variance of mu, mean logvar.

KL_i is the KL divergence of N(mu_i, exp(logvar_i)) from the prior N(0, 1), averaged over the
data: 0.5 * mean(mu_i^2 + exp(logvar_i) - 1 - logvar_i). Summed over i it is the KL term of
the loss per image. A dimension is an active unit when its mu varies across the data:
Var(mu_i) > 0.01 (Burda et al. 2016, "Importance Weighted Autoencoders"); a collapsed one
encodes nothing, whatever the image. An AE has no posterior: its z stands in for mu, and KL
and logvar do not apply (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.analysis.chunks import check_latents, float_chunks
from model.analysis.moments import DEFAULT_CHUNK_ROWS

ACTIVE_THRESHOLD = 0.01  # Var(mu_i) above this: an active unit (Burda et al. 2016)


@dataclass(frozen=True)
class DimensionAnalysis:
    """Per latent dimension, over the `count` encoded images."""

    kl: np.ndarray  # (d,) float64 nats, mean over the data; NaN without a posterior (AE)
    mu_variance: np.ndarray  # (d,) float64 variance of mu across the data (AE: of z), N - 1
    mean_logvar: np.ndarray  # (d,) float64; NaN without a posterior (AE)
    active_threshold: float
    count: int

    @property
    def has_posterior(self) -> bool:
        return bool(np.isfinite(self.kl).all())

    @property
    def active(self) -> np.ndarray:
        """(d,) bool: the active units."""
        return self.mu_variance > self.active_threshold

    @property
    def active_count(self) -> int:
        return int(self.active.sum())

    @property
    def total_kl(self) -> float:
        """The KL term per image (NaN without a posterior)."""
        return float(self.kl.sum())

    def ranking(self, by: str) -> np.ndarray:
        """Dimension indices, largest first by "kl" or "variance" (ties: lower index first)."""
        if by not in ("kl", "variance"):
            raise ValueError(f"rank by 'kl' or 'variance', got {by!r}")
        if by == "kl" and not self.has_posterior:
            raise ValueError("this model has no posterior, so no KL to rank by; use 'variance'")
        values = self.kl if by == "kl" else self.mu_variance
        return np.argsort(-values, kind="stable")


def analyze_dimensions(
    mu: np.ndarray,
    logvar: np.ndarray | None,
    threshold: float = ACTIVE_THRESHOLD,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> DimensionAnalysis:
    """Per-dimension statistics of mu (N, d) and logvar (N, d); logvar None for an AE (mu = z).

    Streams `chunk_rows` rows at a time (memory maps stay on disk); the variance is merged
    chunk by chunk (Chan et al.), so it stays exact for latents far from 0.
    """
    check_latents(mu, "mu", min_rows=2)
    if logvar is not None and np.shape(logvar) != mu.shape:
        raise ValueError(f"logvar has shape {np.shape(logvar)}, mu has {mu.shape}")
    if not threshold >= 0:
        raise ValueError(f"the active-unit threshold must be >= 0, got {threshold}")
    dim = mu.shape[1]
    count, mean, m2 = 0, np.zeros(dim), np.zeros(dim)
    kl_sum, logvar_sum = np.zeros(dim), np.zeros(dim)
    logvar_chunks = float_chunks(logvar, "logvar", chunk_rows) if logvar is not None else None
    for _, chunk in float_chunks(mu, "mu", chunk_rows):
        rows = len(chunk)
        chunk_mean = chunk.mean(axis=0)
        delta = chunk_mean - mean
        total = count + rows
        m2 += np.square(chunk - chunk_mean).sum(axis=0) + np.square(delta) * count * rows / total
        mean += delta * rows / total
        count = total
        if logvar_chunks is not None:
            _, lv = next(logvar_chunks)
            kl_sum += 0.5 * (np.square(chunk) + np.exp(lv) - 1.0 - lv).sum(axis=0)
            logvar_sum += lv.sum(axis=0)
    missing = np.full(dim, np.nan)
    return DimensionAnalysis(
        kl=kl_sum / count if logvar is not None else missing,
        mu_variance=m2 / (count - 1),
        mean_logvar=logvar_sum / count if logvar is not None else missing,
        active_threshold=float(threshold),
        count=count,
    )

