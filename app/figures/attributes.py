"""Latent components against image attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from app.figures.theme import themed

if TYPE_CHECKING:  # the attributes module imports the data store
    from model.analysis.attributes import AttributeAnalysis


def attribute_heatmap(analysis: AttributeAnalysis) -> go.Figure:
    """Pearson r of every latent component (x) with every attribute (y), red-blue around 0.

    The scale runs to the largest |r| (attribute correlations are small); constant attributes
    and components (NaN) stay blank.
    """
    correlation = np.asarray(analysis.correlation)
    finite = np.abs(correlation[np.isfinite(correlation)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=correlation.T,
            x=np.arange(correlation.shape[0]),
            y=list(analysis.names),
            colorscale="RdBu",
            zmin=-limit,
            zmax=limit,
            zmid=0,
            colorbar={"title": {"text": "r"}},
            hovertemplate="component %{x}<br>%{y}<br>r = %{z:.3f}<extra></extra>",
        )
    )
    themed(
        fig,
        f"Latent components x attributes, {analysis.count:,} images",
        "latent component",
        height=max(360, 140 + 18 * len(analysis.names)),
    )
    return fig.update_yaxes(autorange="reversed", dtick=1)
