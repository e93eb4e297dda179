"""Mean and covariance of latents accumulated chunk by chunk: memory flat in the number of rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_CHUNK_ROWS = 16_384


@dataclass(frozen=True)
class Moments:
    """First and second moments of N latent vectors of dimension d (float64)."""

    count: int
    mean: np.ndarray  # (d,)
    covariance: np.ndarray  # (d, d), normalised by N - 1

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    def correlation(self) -> np.ndarray:
        """Pearson correlation matrix; a constant component gets NaN rows/columns."""
        std = self.std
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = self.covariance / np.outer(std, std)
        np.fill_diagonal(corr, np.where(std > 0, 1.0, np.nan))
        return np.clip(corr, -1.0, 1.0)


def latent_moments(latents: np.ndarray, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Moments:
    """Moments of `latents` (N, d), read `chunk_rows` rows at a time (works on memory maps).

    Sums are taken around a shift (the first row) so float64 accumulation stays accurate.
    """
    if latents.ndim != 2 or len(latents) < 2:
        raise ValueError(f"need latents of shape (N >= 2, d), got {latents.shape}")
    count, dim = latents.shape
    shift = np.asarray(latents[0], dtype=np.float64)
    total = np.zeros(dim)
    outer = np.zeros((dim, dim))
    for start in range(0, count, chunk_rows):
        chunk = np.asarray(latents[start : start + chunk_rows], dtype=np.float64) - shift
        total += chunk.sum(axis=0)
        outer += chunk.T @ chunk
    mean_shifted = total / count
    covariance = (outer - count * np.outer(mean_shifted, mean_shifted)) / (count - 1)
    return Moments(count, mean_shifted + shift, covariance)
