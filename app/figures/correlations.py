"""Correlations between latent components: the full matrix and scatter plots of chosen pairs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.theme import PALETTE, check_indices, sample_rows, themed
from model.analysis.correlations import pairs_above

GRID_COLUMNS = 4
MAX_PAIRS = 16  # the studies' 4 x 4 grid
DEFAULT_MAX_POINTS = 5000  # the studies' sample size
MARKER_STYLES = {
    "data": {"size": 2, "color": PALETTE[0], "opacity": 0.35},
    "random vectors": {"size": 6, "color": "red", "opacity": 0.9},
    "chosen point": {"size": 10, "color": "orange", "line": {"color": "black", "width": 1.5}},
    "origin": {"size": 11, "color": "yellow", "line": {"color": "black", "width": 1.5}},
}


def correlation_heatmap(matrix: np.ndarray) -> go.Figure:
    """The d x d correlation matrix on a symmetric red-blue scale from -1 to 1."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(f"matrix must be square (d, d), got shape {matrix.shape}")
    index = np.arange(len(matrix))
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=index,
            y=index,
            colorscale="RdBu",
            zmin=-1,
            zmax=1,
            zmid=0,
            colorbar={"title": {"text": "r"}},
            hovertemplate="components %{y} and %{x}<br>r = %{z:.3f}<extra></extra>",
        )
    )
    themed(fig, f"Correlations of {len(matrix)} latent components", "component", "component")
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_xaxes(constrain="domain")
    return fig.update_layout(height=max(420, min(760, 200 + 2 * len(matrix))))


def strongest_pairs(
    matrix: np.ndarray, count: int = MAX_PAIRS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, r) of the `count` pairs i < j with the largest |r|, strongest first (fewer if
    there are fewer pairs); pairs with a constant component (r is NaN) or r = 0 are left out."""
    pair_i, pair_j, pair_r = pairs_above(matrix, 0.0)
    return pair_i[:count], pair_j[:count], pair_r[:count]


def pair_scatter_grid(
    latents: np.ndarray,
    pairs: Sequence[tuple[int, int]],
    random_points: np.ndarray | None = None,
    chosen_index: int | None = None,
    correlation: np.ndarray | None = None,
    max_points: int | None = DEFAULT_MAX_POINTS,
    seed: int = 0,
) -> go.Figure:
    """The studies' grid: for each pair (i, j), component j against i of the latents (N, d).

    Data points small and translucent (at most `max_points`, a seeded subset), `random_points`
    (k, d) in red, the row `chosen_index` in orange, the origin in yellow. Subplot titles give r
    from `correlation` (d, d), or over the drawn points without it.
    """
    if latents.ndim != 2:
        raise ValueError(f"latents must have shape (N, d), got {latents.shape}")
    count, dim = latents.shape
    if not 1 <= len(pairs) <= MAX_PAIRS:
        raise ValueError(f"need 1 to {MAX_PAIRS} pairs, got {len(pairs)}")
    pairs = [tuple(int(c) for c in check_indices(pair, dim, "pairs")) for pair in pairs]
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError(f"every pair must hold two component indices, got {pairs}")
    if correlation is not None and np.shape(correlation) != (dim, dim):
        raise ValueError(f"correlation must have shape ({dim}, {dim}), got {np.shape(correlation)}")
    rows = np.asarray(latents[sample_rows(count, max_points, seed)], dtype=np.float32)
    markers = _marker_points(latents, random_points, chosen_index)
    titles = [f"{i}-{j}: r={_pair_r(rows, correlation, i, j):.2f}" for i, j in pairs]
    n_rows = -(-len(pairs) // GRID_COLUMNS)
    fig = make_subplots(
        rows=n_rows,
        cols=GRID_COLUMNS,
        subplot_titles=titles,
        horizontal_spacing=0.06,
        vertical_spacing=0.25 / n_rows,
    )
    for n, (i, j) in enumerate(pairs):
        cell = {"row": n // GRID_COLUMNS + 1, "col": n % GRID_COLUMNS + 1}
        fig.add_trace(_points(rows, i, j, "data", first=n == 0), **cell)
        for name, points in markers:
            fig.add_trace(_points(points, i, j, name, first=n == 0), **cell)
    title = f"Component pairs, {len(rows):,} of {count:,} points"
    return themed(fig, title, height=220 * n_rows + 100)


def _marker_points(
    latents: np.ndarray, random_points: np.ndarray | None, chosen_index: int | None
) -> list[tuple[str, np.ndarray]]:
    """(name, points (k, d)) drawn over the data: random vectors, the chosen row, the origin."""
    count, dim = latents.shape
    markers = []
    if random_points is not None:
        random_points = np.asarray(random_points, dtype=np.float32)
        if random_points.ndim != 2 or random_points.shape[1] != dim:
            raise ValueError(f"random_points must have shape (k, {dim}), got {random_points.shape}")
        markers.append(("random vectors", random_points))
    if chosen_index is not None:
        row = int(check_indices([chosen_index], count, "chosen_index")[0])
        markers.append(("chosen point", np.asarray(latents[row : row + 1], dtype=np.float32)))
    markers.append(("origin", np.zeros((1, dim), dtype=np.float32)))
    return markers


def _points(points: np.ndarray, i: int, j: int, name: str, first: bool) -> go.Scattergl:
    """Components i (x) and j (y) of `points` as one WebGL marker trace."""
    return go.Scattergl(
        x=points[:, i],
        y=points[:, j],
        mode="markers",
        marker=MARKER_STYLES[name],
        name=name,
        legendgroup=name,
        showlegend=first,
        hovertemplate=f"{name}<br>{i}: %{{x:.3f}}<br>{j}: %{{y:.3f}}<extra></extra>",
    )


def _pair_r(rows: np.ndarray, correlation: np.ndarray | None, i: int, j: int) -> float:
    """r of components i and j from the full matrix, else over the drawn rows."""
    if correlation is not None:
        return float(correlation[i, j])
    if len(rows) < 2:
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.corrcoef(rows[:, i], rows[:, j])[0, 1])
