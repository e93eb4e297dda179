"""Training history: total, reconstruction and KL loss per epoch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.theme import PALETTE, themed

LOSSES = (("total_loss", "total"), ("reconstruction_loss", "reconstruction"), ("kl_loss", "KL"))


def training_curves(history: Sequence[Mapping[str, float]]) -> go.Figure:
    """Losses per epoch; KL (about 100x smaller) on a secondary y axis at the right."""
    if len(history) == 0:
        raise ValueError("history is empty: no epoch to plot")
    for number, entry in enumerate(history):
        missing = [key for key in ("epoch", *(key for key, _ in LOSSES)) if key not in entry]
        if missing:
            raise ValueError(f"history entry {number} lacks {', '.join(missing)}")
    epochs = np.array([entry["epoch"] for entry in history])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for colour, (key, label) in zip(PALETTE, LOSSES):
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=np.array([entry[key] for entry in history], dtype=np.float64),
                name=label,
                mode="lines+markers",
                line={"color": colour, "dash": "dot" if key == "kl_loss" else "solid"},
                hovertemplate=f"epoch %{{x}}<br>{label} %{{y:.4g}}<extra></extra>",
            ),
            secondary_y=key == "kl_loss",
        )
    themed(fig, "Training losses per epoch", "epoch")
    fig.update_yaxes(title_text="total / reconstruction loss", secondary_y=False)
    fig.update_yaxes(title_text="KL loss", secondary_y=True, showgrid=False)
    fig.update_xaxes(dtick=1 if len(epochs) <= 30 else None)
    return fig
