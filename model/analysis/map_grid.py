"""A decodable grid over a 2-D map (t-SNE, UMAP): the z under any point of the map.

A map has no inverse, so its z at a point is estimated from the data: each of the G x G grid
nodes spread over the map's extent gets the inverse-distance-weighted mean z of its k nearest map
points. A node that no map point reaches within `void_cells` grid cells is void: no data lives
there. Between nodes, z is bilinear in the map's coordinates, so a browser decodes the face under
a cursor from the grid alone (app/live_faces.js computes it as `grid_latents` does).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

DEFAULT_GRID_SIZE = 64
DEFAULT_GRID_NEIGHBOURS = 8
DEFAULT_VOID_CELLS = 1.0
_NEAR_ZERO = 1e-9  # times the map's extent: a node on a map point takes (almost) its z alone


@dataclass(frozen=True)
class GridParams:
    """How a grid is made: G nodes per side, k neighbours per node, the void radius in cells."""

    size: int = DEFAULT_GRID_SIZE
    neighbours: int = DEFAULT_GRID_NEIGHBOURS
    void_cells: float = DEFAULT_VOID_CELLS

    def __post_init__(self) -> None:
        if self.size < 2:
            raise ValueError(f"grid size must be at least 2 nodes per side, got {self.size}")
        if self.neighbours < 1:
            raise ValueError(f"grid neighbours must be at least 1, got {self.neighbours}")
        if not self.void_cells > 0:
            raise ValueError(f"grid void radius must be > 0 cells, got {self.void_cells}")


@dataclass(frozen=True)
class MapGrid:
    """The z of G x G nodes over a map; node [r, c] sits at (x0 + c * dx, y0 + r * dy)."""

    name: str  # the map's, e.g. 'tsne_raw_ee12_p30'
    extent: np.ndarray  # (4,) float64: x0, x1, y0, y1, the map points' bounding box
    z: np.ndarray  # (G, G, d) float32, [row (y), column (x)]
    void: np.ndarray  # (G, G) bool: no map point within `radius` of the node
    nearest: np.ndarray  # (G, G) float32: the distance from the node to its nearest map point
    params: dict  # GridParams' fields, plus 'radius' in map units and 'points' (the map's)
    seconds: float

    @property
    def size(self) -> int:
        return int(self.z.shape[0])


def build_map_grid(
    name: str, embedding: np.ndarray, latents: np.ndarray, params: GridParams = GridParams()
) -> MapGrid:
    """The grid of the map `embedding` (n, 2) whose points are the rows `latents` (n, d)."""
    started = time.perf_counter()
    embedding = np.asarray(embedding, dtype=np.float64)
    latents = np.asarray(latents, dtype=np.float64)
    if embedding.ndim != 2 or embedding.shape[1] != 2:
        raise ValueError(f"a map's embedding must have shape (n, 2), got {embedding.shape}")
    if latents.ndim != 2 or len(latents) != len(embedding):
        raise ValueError(
            f"the map has {len(embedding)} points but the latents have shape {latents.shape}"
        )
    if not np.isfinite(embedding).all():
        raise ValueError(f"map {name} has NaN or infinite coordinates")
    extent = np.array([*_span(embedding[:, 0]), *_span(embedding[:, 1])])
    nodes = node_positions(extent, params.size)
    k = min(params.neighbours, len(embedding))
    distances, rows = cKDTree(embedding).query(nodes.reshape(-1, 2), k=k)
    distances, rows = distances.reshape(len(distances), k), rows.reshape(len(rows), k)
    scale = max(extent[1] - extent[0], extent[3] - extent[2])
    weights = 1.0 / np.maximum(distances, _NEAR_ZERO * scale)
    weights /= weights.sum(axis=1, keepdims=True)
    z = np.einsum("nk,nkd->nd", weights, latents[rows])
    radius = params.void_cells * cell_side(extent, params.size)
    shape = (params.size, params.size)
    return MapGrid(
        name=name,
        extent=extent,
        z=z.reshape(*shape, latents.shape[1]).astype(np.float32),
        void=(distances[:, 0] > radius).reshape(shape),
        nearest=distances[:, 0].reshape(shape).astype(np.float32),
        params={**params.__dict__, "radius": float(radius), "points": len(embedding)},
        seconds=time.perf_counter() - started,
    )


def node_axes(extent: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The nodes' x (by column) and y (by row) map coordinates, (G,) each."""
    return np.linspace(extent[0], extent[1], size), np.linspace(extent[2], extent[3], size)


def node_positions(extent: np.ndarray, size: int) -> np.ndarray:
    """(G, G, 2) map coordinates of the nodes, [row (y), column (x)]."""
    gx, gy = np.meshgrid(*node_axes(extent, size))
    return np.stack([gx, gy], axis=-1)


def cell_side(extent: np.ndarray, size: int) -> float:
    """The longer side of one grid cell, in map units."""
    return float(max(extent[1] - extent[0], extent[3] - extent[2]) / (size - 1))


def grid_latents(grid: MapGrid, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z (m, d) float32 at map points (m, 2), bilinear between the four nodes around each, and
    whether each point is void (its nearest node is, or it lies outside the grid's extent).

    In float64 and in the order app/live_faces.js uses, so both give the same z."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    g = grid.size
    fx = _fraction(points[:, 0], grid.extent[0], grid.extent[1], g)
    fy = _fraction(points[:, 1], grid.extent[2], grid.extent[3], g)
    outside = (fx < 0) | (fx > g - 1) | (fy < 0) | (fy > g - 1)
    fx, fy = np.clip(fx, 0, g - 1), np.clip(fy, 0, g - 1)
    c0, r0 = np.minimum(fx.astype(int), g - 2), np.minimum(fy.astype(int), g - 2)
    a, b = (fx - c0)[:, None], (fy - r0)[:, None]
    z = grid.z.astype(np.float64)
    value = (1 - a) * (1 - b) * z[r0, c0]
    value = value + a * (1 - b) * z[r0, c0 + 1]
    value = value + (1 - a) * b * z[r0 + 1, c0]
    value = value + a * b * z[r0 + 1, c0 + 1]
    nearest_row, nearest_column = np.floor(fy + 0.5).astype(int), np.floor(fx + 0.5).astype(int)
    void = grid.void[nearest_row, nearest_column] | outside
    return value.astype(np.float32), void


def _span(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    if high - low <= 0:  # all points on one line: a unit-wide strip around it
        return low - 0.5, high + 0.5
    return low, high


def _fraction(values: np.ndarray, low: float, high: float, size: int) -> np.ndarray:
    return (values - low) / (high - low) * (size - 1)
