"""The shared look of every figure, and the small input checks the builders share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative

# plotly_white's layout without its per-trace-type defaults (every trace here sets its own
# colours): Plotly deep-copies and validates a template wherever it is set, and the full one
# cost ~40 ms a figure, more than decoding the faces.
TEMPLATE = "zspace"
pio.templates[TEMPLATE] = go.layout.Template(layout=pio.templates["plotly_white"].layout)
pio.templates.default = TEMPLATE
FONT = {"family": "Inter, Helvetica Neue, Arial, sans-serif", "size": 13, "color": "#222"}
MARGIN = {"l": 60, "r": 20, "t": 60, "b": 50}
HEIGHT = 420
PALETTE: tuple[str, ...] = tuple(qualitative.D3)  # categorical colours, in order
MUTED = "rgba(120, 120, 120, 0.35)"  # background lines and points
GL_TRACE_LIMIT = 64  # beyond this many line traces, draw with WebGL


def themed(
    fig: go.Figure,
    title: str,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int = HEIGHT,
) -> go.Figure:
    """`fig` with the shared template, font, margins, title and (single-axis) axis labels."""
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        margin=MARGIN,
        height=height,
        title={"text": title, "x": 0.01, "xanchor": "left"},
    )
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig


def as_vector(values: np.ndarray, name: str) -> np.ndarray:
    """`values` as a non-empty, finite 1-D float array; ValueError naming `name` otherwise."""
    array = np.asarray(values)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number) and array.dtype != bool:
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    if not np.isfinite(array.astype(np.float64)).all():
        raise ValueError(f"{name} holds NaN or Inf")
    return array


def check_positive(value: float, name: str) -> float:
    """`value` as a float if it is a finite positive number, else ValueError naming it."""
    if not np.isfinite(value) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value}")
    return float(value)


def check_indices(indices: Sequence[int] | np.ndarray, size: int, name: str) -> np.ndarray:
    """`indices` as int64, each in 0..size-1; ValueError naming the first bad one."""
    array = np.asarray(indices).reshape(-1)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be whole numbers, got {array.tolist()}")
    bad = array[(array < 0) | (array >= size)]
    if bad.size:
        raise ValueError(f"{name} holds {int(bad[0])}, outside 0..{size - 1}")
    return array.astype(np.int64)


def sample_rows(count: int, cap: int | None, seed: int = 0) -> np.ndarray:
    """Sorted row indices: all `count` rows if `cap` is None or >= count, else `cap` seeded ones."""
    if cap is not None and cap < 1:
        raise ValueError(f"max_points must be None or >= 1, got {cap}")
    if cap is None or cap >= count:
        return np.arange(count, dtype=np.int64)
    chosen = np.random.default_rng(seed).choice(count, size=cap, replace=False)
    return np.sort(chosen).astype(np.int64)
