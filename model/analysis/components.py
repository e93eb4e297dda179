"""Per-component distributions of latents: histograms on one common range, centres, half-widths.

Most components of a trained (V)AE are Gaussians around 0 with similar half-widths; a few
"dominant" components sit off 0 or are much wider, and they shape the data cloud.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.analysis.chunks import check_chunk_rows, check_latents, float_chunks
from model.analysis.moments import DEFAULT_CHUNK_ROWS, Moments, latent_moments

BIN_WIDTH = 0.25  # the studies' per-component histogram
CENTRE_LIMIT = 0.5  # |centre| beyond this makes a component dominant
WIDTH_FACTOR = 1.5  # a half-width beyond this times the median makes a component dominant


def half_width(counts: np.ndarray, bin_width: float) -> float:
    """Full width at half maximum of a 1-D histogram, in value units.

    From the fullest bin, the first bin on each side whose count is at most half the peak count
    marks the crossing, linearly interpolated between bin centres; a side that never falls to half
    reaches the histogram's outer edge. A single full bin has half-width `bin_width`.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or not counts.max(initial=0) > 0:
        raise ValueError(f"half_width needs a 1-D histogram with a positive count, got {counts}")
    peak = int(np.argmax(counts))
    half = counts[peak] / 2
    left = _bins_to_half(counts[peak::-1], half)
    right = _bins_to_half(counts[peak:], half)
    return float((left + right) * bin_width)


def _bins_to_half(side: np.ndarray, half: float) -> float:
    """Distance in bins from side[0] (the peak's centre) to where the counts fall to `half`."""
    below = np.flatnonzero(side <= half)
    if below.size == 0:
        return len(side) - 0.5
    k = int(below[0])  # k >= 1 because side[0] > half
    return k - 1 + (side[k - 1] - half) / (side[k - 1] - side[k])


def dominance_score(
    centre: np.ndarray,
    half_widths: np.ndarray,
    centre_limit: float = CENTRE_LIMIT,
    width_factor: float = WIDTH_FACTOR,
) -> np.ndarray:
    """max(|centre| / centre_limit, half_width / (width_factor * median half_width)) per component.

    A component is dominant when its score exceeds 1: its centre lies more than `centre_limit`
    from 0, or its half-width is more than `width_factor` times the median half-width.
    """
    _check_rule(centre_limit, width_factor)
    width_limit = width_factor * float(np.median(half_widths))
    return np.maximum(np.abs(centre) / centre_limit, np.asarray(half_widths) / width_limit)


def _check_rule(centre_limit: float, width_factor: float) -> None:
    if not centre_limit > 0 or not width_factor > 0:
        raise ValueError(
            f"centre_limit and width_factor must be positive, got {centre_limit}, {width_factor}"
        )


@dataclass(frozen=True)
class ComponentAnalysis:
    """Histograms and shape of every latent component, and the dominant ones.

    The dominant table (`dominant_*`, one row per dominant component) is sorted by `score`,
    highest first; see `dominance_score` for the rule.
    """

    count: int
    bin_width: float
    edges: np.ndarray  # (bins + 1,) common to all components; bin centres are multiples of width
    counts: np.ndarray  # (d, bins) int64
    mean: np.ndarray  # (d,)
    std: np.ndarray  # (d,) normalised by N - 1
    centre: np.ndarray  # (d,) centre of each component's fullest bin
    half_width: np.ndarray  # (d,) full width at half maximum of each histogram
    score: np.ndarray  # (d,) dominance score; > 1 means dominant
    centre_limit: float
    width_factor: float
    median_half_width: float
    dominant_index: np.ndarray  # (k,) int64
    dominant_centre: np.ndarray  # (k,)
    dominant_half_width: np.ndarray  # (k,)
    dominant_score: np.ndarray  # (k,)


def component_histograms(
    latents: np.ndarray,
    bin_width: float = BIN_WIDTH,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    name: str = "latents",
) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts (d, bins)): every component of `latents` (N, d) counted on the same bins.

    Bins are [(k - 1/2) w, (k + 1/2) w) for whole k, so bin centres are multiples of the width w,
    and they span the smallest to the largest value over all components.
    """
    latents = check_latents(latents, name)
    check_chunk_rows(chunk_rows)
    if not bin_width > 0:
        raise ValueError(f"bin_width must be positive, got {bin_width}")
    low, high = np.inf, -np.inf
    for _, chunk in float_chunks(latents, name, chunk_rows):
        low, high = min(low, chunk.min()), max(high, chunk.max())
    first, last = (int(np.floor(value / bin_width + 0.5)) for value in (low, high))
    bins, dim = last - first + 1, latents.shape[1]
    offsets = np.arange(dim) * bins
    counts = np.zeros(dim * bins, dtype=np.int64)
    for _, chunk in float_chunks(latents, name, chunk_rows):
        index = np.floor(chunk / bin_width + 0.5).astype(np.intp) - first
        np.clip(index, 0, bins - 1, out=index)
        counts += np.bincount((index + offsets).ravel(), minlength=dim * bins)
    return (np.arange(first, last + 2) - 0.5) * bin_width, counts.reshape(dim, bins)


def analyze_components(
    latents: np.ndarray,
    bin_width: float = BIN_WIDTH,
    centre_limit: float = CENTRE_LIMIT,
    width_factor: float = WIDTH_FACTOR,
    moments: Moments | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> ComponentAnalysis:
    """Histograms, mean, std, centre, half-width and dominant components of `latents` (N, d).

    Pass `moments` of the same latents if already computed (e.g. for correlations) to skip a pass.
    """
    latents = check_latents(latents, min_rows=2)
    _check_rule(centre_limit, width_factor)
    edges, counts = component_histograms(latents, bin_width, chunk_rows)
    if moments is None:
        moments = latent_moments(latents, chunk_rows)
    elif moments.mean.shape != (latents.shape[1],) or moments.count != len(latents):
        raise ValueError(
            f"moments of {moments.count} rows x {len(moments.mean)} components do not match "
            f"latents {latents.shape}"
        )
    centres = (edges[:-1] + edges[1:]) / 2
    centre = centres[np.argmax(counts, axis=1)]
    widths = np.array([half_width(row, bin_width) for row in counts])
    score = dominance_score(centre, widths, centre_limit, width_factor)
    dominant = np.flatnonzero(score > 1)
    dominant = dominant[np.argsort(-score[dominant], kind="stable")]
    return ComponentAnalysis(
        count=len(latents),
        bin_width=float(bin_width),
        edges=edges,
        counts=counts,
        mean=moments.mean,
        std=moments.std,
        centre=centre,
        half_width=widths,
        score=score,
        centre_limit=float(centre_limit),
        width_factor=float(width_factor),
        median_half_width=float(np.median(widths)),
        dominant_index=dominant.astype(np.int64),
        dominant_centre=centre[dominant],
        dominant_half_width=widths[dominant],
        dominant_score=score[dominant],
    )
