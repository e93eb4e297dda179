"""Projections of the latents: PCA variance, 2-D scatter maps (PCA planes, t-SNE), k-means."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.theme import PALETTE, as_vector, check_positive, themed

if TYPE_CHECKING:  # the kmeans module imports scikit-learn
    from model.analysis.kmeans import KMeansCurve
    from model.analysis.pca import PcaResult

POINT_SIZE = 2.0
POINT_OPACITY = 0.5


def explained_variance(pca: PcaResult, count: int | None = None) -> go.Figure:
    """Explained variance ratio of the first `count` (default all) principal components as bars,
    and its cumulative sum as a line on a secondary axis."""
    ratio = pca.explained_variance_ratio
    count = len(ratio) if count is None else count
    if not 1 <= count <= len(ratio):
        raise ValueError(f"count must be in 1..{len(ratio)}, got {count}")
    number = np.arange(1, count + 1)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=number,
            y=ratio[:count],
            name="per component",
            marker={"color": PALETTE[0]},
            hovertemplate="PC %{x}<br>%{y:.2%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=number,
            y=np.cumsum(ratio)[:count],
            name="cumulative",
            mode="lines",
            line={"color": PALETTE[1], "width": 2},
            hovertemplate="PC 1-%{x}<br>%{y:.2%}<extra></extra>",
        ),
        secondary_y=True,
    )
    themed(fig, "Explained variance per principal component", "principal component")
    fig.update_yaxes(title_text="explained variance ratio", tickformat=".0%", secondary_y=False)
    fig.update_yaxes(
        title_text="cumulative", tickformat=".0%", range=[0, 1.02], secondary_y=True, showgrid=False
    )
    return fig.update_layout(bargap=0.1)


def projection_scatter(
    x: np.ndarray,
    y: np.ndarray,
    color: np.ndarray | None = None,
    color_name: str | None = None,
    zoom: float | None = None,
    hover_index: np.ndarray | None = None,
    centre: tuple[float, float] = (0.0, 0.0),
    x_title: str = "x",
    y_title: str = "y",
    title: str = "Projection of the latents",
) -> go.Figure:
    """Every point (x, y) as a tiny WebGL marker; customdata holds its row index.

    `hover_index` gives the row index of each point (default 0..n-1, e.g. a t-SNE map's
    `indices`). `color` colours by an attribute: two traces when it holds only 0 and 1, else a
    colour scale. `zoom` is the side of a square around `centre` that sets both axis ranges.
    """
    x, y = as_vector(x, "x"), as_vector(y, "y")
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} points, y has {len(y)}; they must match")
    index = np.arange(len(x)) if hover_index is None else np.asarray(hover_index)
    if index.shape != x.shape:
        raise ValueError(f"hover_index has shape {index.shape}, expected ({len(x)},)")
    name = color_name or "attribute"
    fig = go.Figure()
    if color is None:
        fig.add_trace(_scatter(x, y, index, "points", {"color": PALETTE[0]}))
    else:
        values = np.asarray(color)
        if values.shape != x.shape:
            raise ValueError(f"color has shape {values.shape}, expected ({len(x)},)")
        if np.isin(values, (0, 1)).all():
            for flag, label, colour in ((0, f"not {name}", PALETTE[0]), (1, name, PALETTE[1])):
                keep = values == flag
                marker = {"color": colour}
                fig.add_trace(_scatter(x[keep], y[keep], index[keep], label, marker))
        else:
            marker = {
                "color": values,
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": name}},
            }
            fig.add_trace(_scatter(x, y, index, name, marker))
    themed(fig, title, x_title, y_title, height=560)
    if zoom is not None:
        half = check_positive(zoom, "zoom") / 2
        fig.update_xaxes(range=[centre[0] - half, centre[0] + half], constrain="domain")
        fig.update_yaxes(
            range=[centre[1] - half, centre[1] + half], scaleanchor="x", constrain="domain"
        )
    return fig.update_layout(legend={"itemsizing": "constant"})


def _scatter(
    x: np.ndarray, y: np.ndarray, index: np.ndarray, name: str, marker: dict
) -> go.Scattergl:
    """One WebGL trace of tiny markers whose customdata is the row index."""
    return go.Scattergl(
        x=x.astype(np.float32),
        y=y.astype(np.float32),
        customdata=index,
        mode="markers",
        name=name,
        marker={"size": POINT_SIZE, "opacity": POINT_OPACITY, **marker},
        hovertemplate="row %{customdata}<br>%{x:.3f}, %{y:.3f}<extra>" + name + "</extra>",
    )


def kmeans_curve(curve: KMeansCurve) -> go.Figure:
    """k-means inertia against the number of clusters k (the elbow search)."""
    fig = go.Figure(
        go.Scatter(
            x=curve.ks,
            y=curve.inertia,
            customdata=curve.seconds,
            mode="lines+markers",
            name="inertia",
            line={"color": PALETTE[0]},
            hovertemplate="k = %{x}<br>inertia %{y:.4g}<br>fit %{customdata:.1f} s<extra></extra>",
        )
    )
    return themed(fig, "k-means inertia against k", "number of clusters k", "inertia")
