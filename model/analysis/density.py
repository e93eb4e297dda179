"""Where data lives: a full-covariance Gaussian fitted to latents, and exact nearest-data search.

Every function reads latents (N, d) `chunk_rows` rows at a time, so memory stays flat in N and
memory maps work. float32 latents are the fast path; other dtypes are converted chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from model.analysis.chunks import check_chunk_rows, check_finite, check_latents
from model.analysis.moments import DEFAULT_CHUNK_ROWS, latent_moments

JITTER_STEPS = tuple(10.0**power for power in range(-10, -3))  # times the mean variance
RERANK_MARGIN = 8  # extra candidates found in float32, then re-ranked exactly in float64
BLOCK_ELEMENTS = 1 << 22  # queries x data rows in one float32 score block (16 MiB)


# --- Gaussian with the full covariance --------------------------------------------------------


@dataclass(frozen=True)
class GaussianFit:
    """N(mean, covariance) fitted to N latents; `cholesky` is the lower factor used to sample.

    `cholesky @ cholesky.T == covariance + jitter * I`. `jitter` is 0.0 when the covariance is
    positive definite; otherwise it is the smallest of 1e-10, 1e-9, ..., 1e-4 times the mean
    variance that makes it so (a rank-deficient or collapsed-dimension covariance).
    """

    mean: np.ndarray  # (d,) float64
    covariance: np.ndarray  # (d, d) float64, normalised by N - 1, without jitter
    cholesky: np.ndarray  # (d, d) float64, lower triangular
    jitter: float
    count: int  # N


def fit_gaussian(latents: np.ndarray, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> GaussianFit:
    """Mean and full covariance of `latents` (N, d) with the Cholesky factor for sampling."""
    check_latents(latents, min_rows=2)
    check_chunk_rows(chunk_rows)
    moments = latent_moments(latents, chunk_rows)
    if not (np.isfinite(moments.mean).all() and np.isfinite(moments.covariance).all()):
        check_finite(latents, "latents", chunk_rows)  # names the row with NaN/Inf
        raise ValueError("latent moments overflow float64; the latents are far too large")
    cholesky, jitter = _cholesky_with_jitter(moments.covariance)
    return GaussianFit(moments.mean, moments.covariance, cholesky, jitter, moments.count)


def _cholesky_with_jitter(covariance: np.ndarray) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor, with the smallest JITTER_STEPS jitter that makes it exist."""
    mean_variance = float(np.mean(np.diag(covariance)))
    if mean_variance <= 0.0:
        raise ValueError("every latent component is constant: there is no Gaussian to fit")
    for jitter in (0.0, *(step * mean_variance for step in JITTER_STEPS)):
        try:
            shifted = covariance + jitter * np.eye(len(covariance))
            return np.linalg.cholesky(shifted), jitter
        except np.linalg.LinAlgError:
            continue
    raise ValueError(
        f"covariance is not positive definite even with jitter {JITTER_STEPS[-1]:g} x mean variance"
    )


# --- exact nearest data -----------------------------------------------------------------------


class LatentIndex:
    """Latents (N, d) with their squared norms, for exact brute-force nearest-data queries.

    Scores |x|^2 - 2 q.x are ranked in float32 (one matrix product per chunk); the best
    k + RERANK_MARGIN candidates are then re-ranked with exact float64 distances. Any real
    (N, d) array works, uint8 images flattened to rows among them; `first_row` is the row
    number of `latents[0]` in the data set (an index over one split reports data set rows).
    """

    def __init__(
        self, latents: np.ndarray, chunk_rows: int = DEFAULT_CHUNK_ROWS, first_row: int = 0
    ) -> None:
        self.latents = check_latents(latents)
        check_chunk_rows(chunk_rows)
        self.chunk_rows = chunk_rows
        self.first_row = first_row
        norms = np.empty(len(latents), dtype=np.float32)
        for start, chunk in self._chunks():
            norms[start : start + len(chunk)] = np.einsum("ij,ij->i", chunk, chunk)
        if not np.isfinite(norms).all():
            check_finite(latents, "latents", chunk_rows)  # names the row with NaN/Inf
            raise ValueError("latents are too large: their squared norms overflow float32")
        self.norms = norms

    def __len__(self) -> int:
        return len(self.latents)

    @property
    def dim(self) -> int:
        return self.latents.shape[1]

    def _chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        for start in range(0, len(self.latents), self.chunk_rows):
            yield start, np.asarray(self.latents[start : start + self.chunk_rows], np.float32)

    def query(
        self, queries: np.ndarray, k: int = 1, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances (m, k) float64 and data set rows (m, k) int64 of each query's k nearest.

        `exclude[i]`, if given, is a row query i must not match (its own row). Ties go to the
        lower row.
        """
        queries = np.asarray(queries)
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise ValueError(f"queries must have shape (m, {self.dim}), got {queries.shape}")
        check_finite(queries, "queries")
        available = len(self) - int(exclude is not None)
        if not 1 <= k <= available:
            raise ValueError(f"k must be between 1 and {available}, got {k}")
        if exclude is not None:
            exclude = np.asarray(exclude, dtype=np.int64) - self.first_row
            in_range = np.all((exclude >= 0) & (exclude < len(self)))
            if exclude.shape != (len(queries),) or not in_range:
                last = self.first_row + len(self) - 1
                raise ValueError(
                    f"exclude must hold {len(queries)} rows in {self.first_row}..{last}"
                )
        scores, candidates = self._candidates(queries, min(k + RERANK_MARGIN, len(self)), exclude)
        distances, rows = self._rerank(queries, scores, candidates, k)
        return distances, rows + self.first_row

    def _candidates(
        self, queries: np.ndarray, width: int, exclude: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Float32 scores (m, width) and rows of each query's `width` best rows (inf = none)."""
        m = len(queries)
        best_scores = np.full((m, width), np.inf, dtype=np.float32)
        best_rows = np.zeros((m, width), dtype=np.int64)
        scaled = (-2.0 * queries).astype(np.float32)
        block = max(1, BLOCK_ELEMENTS // self.chunk_rows)
        for start, chunk in self._chunks():
            norms = self.norms[start : start + len(chunk)]
            for lo in range(0, m, block):
                rows = slice(lo, lo + block)
                scores = scaled[rows] @ chunk.T
                scores += norms
                if exclude is not None:
                    own = exclude[rows] - start
                    hit = np.flatnonzero((own >= 0) & (own < len(chunk)))
                    scores[hit, own[hit]] = np.inf
                top = _smallest(scores, width)
                merged_scores = np.hstack([best_scores[rows], np.take_along_axis(scores, top, 1)])
                merged_rows = np.hstack([best_rows[rows], top + start])
                keep = _smallest(merged_scores, width)
                best_scores[rows] = np.take_along_axis(merged_scores, keep, 1)
                best_rows[rows] = np.take_along_axis(merged_rows, keep, 1)
        return best_scores, best_rows

    def _rerank(
        self, queries: np.ndarray, scores: np.ndarray, candidates: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact float64 distances of the candidates; the k nearest, lower row first on ties."""
        distances = np.empty((len(queries), k))
        indices = np.empty((len(queries), k), dtype=np.int64)
        block = max(1, BLOCK_ELEMENTS // (candidates.shape[1] * self.dim))
        for lo in range(0, len(queries), block):
            rows = slice(lo, lo + block)
            order = np.argsort(candidates[rows], axis=1)  # so a stable sort breaks ties by row
            cand = np.take_along_axis(candidates[rows], order, 1)
            found = np.isfinite(np.take_along_axis(scores[rows], order, 1))
            points = np.asarray(self.latents[cand.ravel()], np.float64).reshape(*cand.shape, -1)
            exact = np.sqrt(np.square(points - queries[rows, None, :].astype(np.float64)).sum(-1))
            exact[~found] = np.inf
            nearest = np.argsort(exact, axis=1, kind="stable")[:, :k]
            distances[rows] = np.take_along_axis(exact, nearest, 1)
            indices[rows] = np.take_along_axis(cand, nearest, 1)
        return distances, indices


def _smallest(scores: np.ndarray, count: int) -> np.ndarray:
    """Column positions of the `count` smallest scores of each row, in no particular order."""
    if count >= scores.shape[1]:
        return np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    return np.argpartition(scores, count - 1, axis=1)[:, :count]


@dataclass(frozen=True)
class NearestData:
    """How far data points sit from their nearest other data point: the yardstick for a query.

    Measured for a seeded sample of rows against all `count` rows (the row itself excluded).
    """

    distances: np.ndarray  # (s,) float32, ascending
    indices: np.ndarray  # (s,) int64, the sampled row whose distance is distances[i]
    count: int  # N, rows searched
    dim: int  # d
    seed: int


def build_nearest_data(
    latents: np.ndarray,
    sample_size: int = 5000,
    seed: int = 0,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> NearestData:
    """Nearest-other-point distances of up to `sample_size` rows drawn with `seed`."""
    check_latents(latents, min_rows=2)
    if sample_size < 1:
        raise ValueError(f"sample_size must be >= 1, got {sample_size}")
    index = LatentIndex(latents, chunk_rows)
    count = len(latents)
    sample = np.sort(np.random.default_rng(seed).choice(count, min(sample_size, count), False))
    distances, _ = index.query(np.asarray(latents[sample]), k=1, exclude=sample)
    order = np.argsort(distances[:, 0], kind="stable")
    return NearestData(
        distances[order, 0].astype(np.float32),
        sample[order].astype(np.int64),
        count,
        latents.shape[1],
        seed,
    )


def distance_percentile(distances: np.ndarray, reference: NearestData) -> np.ndarray:
    """Percent (0..100) of the reference's nearest-data distances strictly below each distance."""
    distances = np.asarray(distances, dtype=np.float64)
    if len(reference.distances) == 0:
        raise ValueError("reference holds no nearest-data distances")
    if not np.all(np.isfinite(distances) & (distances >= 0)):
        raise ValueError("distances must be finite and >= 0")
    below = np.searchsorted(reference.distances, distances, side="left")
    return 100.0 * below / len(reference.distances)


@dataclass(frozen=True)
class Landing:
    """Where z-points land relative to the encoded data ("does this z land where data lives?")."""

    radius: np.ndarray  # (m,) |z|
    nearest_distance: np.ndarray  # (m,) distance to the nearest encoded point
    nearest_index: np.ndarray  # (m,) its row
    percentile: np.ndarray  # (m,) that distance's percentile among the data's own NN distances
    neighbour_distances: np.ndarray  # (m, k) the k nearest encoded points, nearest first
    neighbour_rows: np.ndarray  # (m, k) their rows


def landing(
    z: np.ndarray, index: LatentIndex, reference: NearestData, neighbours: int = 1
) -> Landing:
    """Radius, nearest data point and nearest-data percentile of each z-point, with its
    `neighbours` nearest data points (one search serves later questions about them)."""
    k = min(neighbours, len(index))
    distances, rows = index.query(np.asarray(z, dtype=np.float32), k=k)
    return Landing(
        radius=np.linalg.norm(np.asarray(z, dtype=np.float64), axis=1),
        nearest_distance=distances[:, 0],
        nearest_index=rows[:, 0],
        percentile=distance_percentile(distances[:, 0], reference),
        neighbour_distances=distances,
        neighbour_rows=rows,
    )
