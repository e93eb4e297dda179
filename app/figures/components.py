"""Per-component distributions: all histograms overlaid, the dominant components highlighted."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from app.figures.theme import GL_TRACE_LIMIT, MUTED, PALETTE, check_indices, themed
from model.analysis.components import ComponentAnalysis


def component_histograms(
    analysis: ComponentAnalysis,
    highlight: Sequence[int] | None = None,
    only: Sequence[int] | None = None,
) -> go.Figure:
    """Every component's histogram as a thin grey line, `highlight` ones in colour on top.

    `highlight` defaults to the dominant components (legend: index, centre, half-width);
    `only` draws just the listed components. Many lines are drawn with WebGL.
    """
    dim = len(analysis.counts)
    shown = np.arange(dim) if only is None else check_indices(only, dim, "only")
    chosen = analysis.dominant_index if highlight is None else highlight
    chosen = check_indices(chosen, dim, "highlight")
    visible = set(shown.tolist())
    highlighted = [i for i in dict.fromkeys(chosen.tolist()) if i in visible]  # unique, in order
    background = [i for i in dict.fromkeys(shown.tolist()) if i not in set(highlighted)]
    trace = go.Scattergl if len(background) + len(highlighted) > GL_TRACE_LIMIT else go.Scatter
    centres = (analysis.edges[:-1] + analysis.edges[1:]) / 2
    fig = go.Figure()
    for n, i in enumerate(background):
        fig.add_trace(
            trace(
                x=centres,
                y=analysis.counts[i],
                mode="lines",
                line={"color": MUTED, "width": 0.8},
                name="other components",
                legendgroup="other",
                showlegend=n == 0,
                hovertemplate=f"component {i}<br>value %{{x:.3g}}<br>%{{y:,}}<extra></extra>",
            )
        )
    for k, i in enumerate(highlighted):
        fig.add_trace(
            trace(
                x=centres,
                y=analysis.counts[i],
                mode="lines",
                line={"color": PALETTE[k % len(PALETTE)], "width": 2.2},
                name=f"{i}: centre {analysis.centre[i]:g}, hw {analysis.half_width[i]:.3g}",
                hovertemplate=f"component {i}<br>value %{{x:.3g}}<br>%{{y:,}}<extra></extra>",
            )
        )
    title = f"Per-component distributions: {len(shown)} of {dim} components"
    return themed(
        fig, f"{title}, bin width {analysis.bin_width:g}", "component value", "points per bin"
    )


def dominant_table(analysis: ComponentAnalysis) -> list[dict[str, float | int]]:
    """One row per dominant component (index, centre, half_width, score), highest score first."""
    return [
        {"index": int(i), "centre": float(c), "half_width": float(w), "score": float(s)}
        for i, c, w, s in zip(
            analysis.dominant_index,
            analysis.dominant_centre,
            analysis.dominant_half_width,
            analysis.dominant_score,
        )
    ]
