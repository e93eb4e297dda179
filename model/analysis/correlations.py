"""Pearson correlations between latent components over all points; the strongly correlated pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.analysis.chunks import check_finite, check_latents
from model.analysis.moments import DEFAULT_CHUNK_ROWS, latent_moments

THRESHOLD = 0.5  # pairs listed
COUNT_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)  # the studies' table of pair counts


@dataclass(frozen=True)
class CorrelationAnalysis:
    """The correlation matrix, pair counts per |r| threshold, and the pairs above `threshold`.

    Pairs are i < j; a constant component has NaN correlations and is never part of a pair.
    The listed pairs are sorted by |r|, highest first.
    """

    count: int
    matrix: np.ndarray  # (d, d) float64
    count_thresholds: np.ndarray  # (k,)
    pair_counts: np.ndarray  # (k,) int64: pairs with |r| > count_thresholds[k]
    threshold: float
    pair_i: np.ndarray  # (p,) int64
    pair_j: np.ndarray  # (p,) int64
    pair_r: np.ndarray  # (p,) float64


def _check_threshold(value: float) -> None:
    if not 0 <= value < 1:
        raise ValueError(f"correlation thresholds must lie in [0, 1), got {value}")


def pairs_above(matrix: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, r) of the pairs i < j with |r| > threshold, sorted by |r| descending, then i, j."""
    _check_threshold(threshold)
    i, j = np.triu_indices(len(matrix), k=1)
    r = matrix[i, j]
    keep = np.abs(np.nan_to_num(r)) > threshold
    i, j, r = i[keep], j[keep], r[keep]
    order = np.lexsort((j, i, -np.abs(r)))
    return i[order].astype(np.int64), j[order].astype(np.int64), r[order]


def count_pairs(matrix: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Number of pairs i < j with |r| > t for each t in `thresholds`."""
    for value in thresholds:
        _check_threshold(value)
    upper = np.abs(np.nan_to_num(matrix[np.triu_indices(len(matrix), k=1)]))
    return np.array([np.count_nonzero(upper > t) for t in thresholds], dtype=np.int64)


def analyze_correlations(
    latents: np.ndarray,
    threshold: float = THRESHOLD,
    count_thresholds: Sequence[float] = COUNT_THRESHOLDS,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> CorrelationAnalysis:
    """Pearson correlations of the components of `latents` (N >= 2, d) over every row."""
    latents = check_latents(latents, min_rows=2)
    _check_threshold(threshold)
    for value in count_thresholds:
        _check_threshold(value)
    check_finite(latents, chunk_rows=chunk_rows)
    matrix = latent_moments(latents, chunk_rows).correlation()
    pair_i, pair_j, pair_r = pairs_above(matrix, threshold)
    return CorrelationAnalysis(
        count=len(latents),
        matrix=matrix,
        count_thresholds=np.asarray(count_thresholds, dtype=np.float64),
        pair_counts=count_pairs(matrix, count_thresholds),
        threshold=float(threshold),
        pair_i=pair_i,
        pair_j=pair_j,
        pair_r=pair_r,
    )
