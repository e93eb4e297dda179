"""Around the projection maps: the chosen point and its neighbours marked, a decodable grid's
void cells shaded, zoom choices, and the rows a click, box or lasso selection picked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from app.figures.theme import as_vector
from model.analysis.map_grid import MapGrid, node_axes

OUTLINE = "#111111"  # the neighbours' rings and the star's edge: clear on every palette colour
CHOSEN_COLOUR = "#ffd400"
ZOOM_STEPS = (1.0, 2.0, 5.0)  # sides 0.1, 0.2, 0.5, 1, 2, 5, 10, ...
ZOOM_DEPTH = 200.0  # the smallest side offered is at least the full extent / this


def mark_neighbourhood(
    fig: go.Figure,
    chosen: tuple[float, float, int] | None,
    neighbours_x: np.ndarray,
    neighbours_y: np.ndarray,
    neighbour_rows: np.ndarray,
    distances: np.ndarray,
) -> go.Figure:
    """Add the chosen point (x, y, row) as a star and its neighbours as rings on top of a map.

    Both traces carry the row index as customdata, so clicking them picks that row. `chosen` is
    None when the point is not on this map (e.g. a t-SNE map of a subset); `fig` is changed.
    """
    rows = np.asarray(neighbour_rows, dtype=np.int64)
    count = len(rows)
    if not len(neighbours_x) == len(neighbours_y) == len(distances) == count:
        raise ValueError(
            f"neighbours need as many x, y, rows and distances, got {len(neighbours_x)}, "
            f"{len(neighbours_y)}, {count} and {len(distances)}"
        )
    if count:
        fig.add_trace(
            go.Scatter(
                x=as_vector(neighbours_x, "neighbours_x"),
                y=as_vector(neighbours_y, "neighbours_y"),
                # plain lists: a 2-D array travels base64-encoded and comes back from a
                # selection event undecoded
                customdata=[[int(r), float(d)] for r, d in zip(rows, distances)],
                mode="markers",
                name="nearest neighbours",
                marker={
                    "symbol": "circle-open",
                    "size": 11,
                    "color": OUTLINE,
                    "line": {"width": 1.5},
                },
                hovertemplate="row %{customdata[0]}<br>distance %{customdata[1]:.3f}"
                "<extra>neighbour</extra>",
            )
        )
    if chosen is not None:
        x, y, row = chosen
        fig.add_trace(
            go.Scatter(
                x=[float(x)],
                y=[float(y)],
                customdata=[int(row)],
                mode="markers",
                name=f"row {int(row)}",
                marker={
                    "symbol": "star",
                    "size": 16,
                    "color": CHOSEN_COLOUR,
                    "line": {"color": OUTLINE, "width": 1.5},
                },
                hovertemplate="row %{customdata}<br>%{x:.3f}, %{y:.3f}<extra>chosen</extra>",
            )
        )
    return fig


def zoom_sides(extent: float) -> list[float]:
    """Square sides 1-2-5 apart below `extent` (the map's full width), largest first, down to
    extent / 200: the choices of a zoom control. Empty for a map without extent."""
    if not np.isfinite(extent) or extent <= 0:
        return []
    sides = []
    power = int(np.floor(np.log10(extent)))
    while True:
        for step in reversed(ZOOM_STEPS):
            side = float(f"{step * 10.0**power:.10g}")
            if side < extent * (1 - 1e-9):
                if side < extent / ZOOM_DEPTH:
                    return sides
                sides.append(side)
        power -= 1


def selected_rows(points: Sequence[Mapping[str, Any]]) -> list[int]:
    """Row indices of the points of a Plotly selection event, first seen first, without repeats.

    Each point's customdata is a row index or a list starting with one; points without a
    readable one are skipped.
    """
    rows: dict[int, None] = {}
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list | tuple):
            data = data[0] if data else None
        if isinstance(data, bool) or not isinstance(data, int | float | np.number):
            continue
        rows.setdefault(int(data))
    return list(rows)


def positions_on_map(map_rows: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Where each of `rows` sits in a map's sorted `map_rows`, or -1 if the map lacks it."""
    map_rows = np.asarray(map_rows)
    rows = np.asarray(rows, dtype=np.int64)
    if map_rows.size and np.any(np.diff(map_rows) <= 0):
        raise ValueError("map_rows must be strictly increasing")
    found = np.searchsorted(map_rows, rows)
    inside = found < len(map_rows)
    hit = np.zeros(len(rows), dtype=bool)
    hit[inside] = map_rows[found[inside]] == rows[inside]
    return np.where(hit, found, -1)


VOID_COLOUR = "rgba(120, 120, 120, 0.28)"


def shade_void(fig: go.Figure, grid: MapGrid) -> go.Figure:
    """Shade the void cells of a map's decodable grid, beneath the map's points: one grey
    square per void node (no hover, no clicks), drawn first so the points stay on top."""
    xs, ys = node_axes(grid.extent, grid.size)
    shade = go.Heatmap(
        x=xs,
        y=ys,
        z=np.where(grid.void, 1.0, np.nan),
        colorscale=[[0, VOID_COLOUR], [1, VOID_COLOUR]],
        showscale=False,
        hoverinfo="skip",
        name="void",
        zmin=0,
        zmax=1,
    )
    fig.add_trace(shade)
    fig.data = (fig.data[-1], *fig.data[:-1])
    return fig
