"""Per-dimension use of the latent space: KL to the prior or variance of mu, sorted, collapsed
dimensions flagged."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.theme import MUTED, PALETTE, themed
from model.analysis.dimensions import DimensionAnalysis

MEASURES = {"kl": "KL to the prior (nats)", "variance": "Var(mu) across the data"}


def dimension_bars(analysis: DimensionAnalysis, by: str) -> go.Figure:
    """One bar per dimension, largest first; active units coloured, collapsed ones grey. By
    variance the axis is logarithmic, with the active-unit threshold drawn."""
    order = analysis.ranking(by)
    values = (analysis.kl if by == "kl" else analysis.mu_variance)[order]
    active = analysis.active[order]
    details = np.column_stack(
        [analysis.kl[order], analysis.mu_variance[order], analysis.mean_logvar[order]]
    )
    fig = go.Figure()
    for flag, name, colour in ((True, "active", PALETTE[0]), (False, "collapsed", MUTED)):
        picked = active == flag
        if not picked.any():
            continue
        fig.add_trace(
            go.Bar(
                x=[str(i) for i in order[picked]],
                y=np.maximum(values[picked], 1e-12) if by == "variance" else values[picked],
                customdata=details[picked],
                name=f"{name} ({int(picked.sum())})",
                marker_color=colour,
                hovertemplate="dimension %{x}<br>KL %{customdata[0]:.4g}<br>"
                "Var(mu) %{customdata[1]:.4g}<br>mean logvar %{customdata[2]:.3g}"
                f"<extra>{name}</extra>",
            )
        )
    fig.update_layout(barmode="overlay", bargap=0.15, showlegend=True)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[str(i) for i in order])
    if by == "variance":
        threshold = analysis.active_threshold
        floor = min(threshold / 3, float(np.min(np.maximum(values, 1e-12))) / 2)
        top = max(threshold * 3, float(np.max(values)) * 2)
        fig.update_yaxes(type="log", range=[np.log10(floor), np.log10(top)])
        fig.add_trace(
            go.Scatter(
                x=[str(order[0]), str(order[-1])],
                y=[threshold, threshold],
                mode="lines",
                line={"dash": "dash", "color": "#444", "width": 1.5},
                name=f"active above {threshold:g}",
                hoverinfo="skip",
            )
        )
    title = f"{MEASURES[by]} per dimension, largest first"
    return themed(fig, title, "dimension", MEASURES[by])
