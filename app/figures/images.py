"""A row of images as one Plotly figure, for places that want a downloadable figure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.theme import themed

MAX_IMAGES = 32


def image_strip_figure(images: np.ndarray, labels: Sequence[str] | None = None) -> go.Figure:
    """Images (n, h, w, 3), uint8 or floats in [0, 1], side by side, each titled by its label."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or not 1 <= len(images) <= MAX_IMAGES:
        raise ValueError(
            f"images must have shape (n, h, w, 3) with 1 <= n <= {MAX_IMAGES}, got {images.shape}"
        )
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    pixels = to_uint8(images)
    count = len(pixels)
    fig = make_subplots(
        rows=1,
        cols=count,
        subplot_titles=[str(label) for label in labels] if labels is not None else None,
        horizontal_spacing=0.01,
    )
    for k, image in enumerate(pixels):
        fig.add_trace(go.Image(z=image, hovertemplate="x %{x}, y %{y}<extra></extra>"), 1, k + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    themed(fig, "", height=int(180 * min(1.0, 8 / count)) + 80)
    return fig.update_layout(margin={"t": 40, "b": 10, "l": 10, "r": 10})


def to_uint8(images: np.ndarray) -> np.ndarray:
    """uint8 pixels: uint8 kept, floats in [0, 1] scaled by 255 and rounded."""
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"images must be uint8 or floats in [0, 1], got dtype {images.dtype}")
    if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise ValueError("float images must hold finite values in [0, 1]")
    return np.round(images * 255).astype(np.uint8)
