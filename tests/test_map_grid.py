"""The decodable grid of a 2-D map: nodes against a brute-force k-NN average, void marking on a
planted gap, and the bilinear z between nodes against its closed form."""

import numpy as np
import pytest

from model.analysis.map_grid import (
    GridParams,
    MapGrid,
    build_map_grid,
    cell_side,
    grid_latents,
    node_positions,
)
from model.analysis.results import load_result, save_result


def two_clusters(seed: int = 0, dim: int = 5, count: int = 600):
    """Points in two rectangles with a wide empty gap between them, and their latents."""
    rng = np.random.default_rng(seed)
    left = rng.uniform([0, 0], [4, 10], size=(count // 2, 2))
    right = rng.uniform([6, 0], [10, 10], size=(count // 2, 2))
    embedding = np.concatenate([left, right]).astype(np.float32)
    latents = rng.normal(size=(count, dim)).astype(np.float32)
    return embedding, latents


def test_nodes_hold_the_inverse_distance_mean_of_their_nearest_points():
    embedding, latents = two_clusters()
    params = GridParams(size=9, neighbours=5, void_cells=1.0)
    grid = build_map_grid("tsne_x", embedding, latents, params)
    nodes = node_positions(grid.extent, 9).reshape(-1, 2)
    e = embedding.astype(np.float64)
    for node, expected_z in zip(nodes, grid.z.reshape(-1, latents.shape[1])):
        distances = np.sqrt(((e - node) ** 2).sum(axis=1))
        nearest = np.argsort(distances)[:5]
        weights = 1 / distances[nearest]
        reference = (weights[:, None] * latents[nearest]).sum(axis=0) / weights.sum()
        np.testing.assert_allclose(expected_z, reference, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(grid.extent, [e[:, 0].min(), e[:, 0].max(), 0, 0][:2] + [
        e[:, 1].min(), e[:, 1].max()])  # fmt: skip
    assert grid.z.shape == (9, 9, 5) and grid.z.dtype == np.float32
    assert grid.params == {"size": 9, "neighbours": 5, "void_cells": 1.0,
                           "radius": cell_side(grid.extent, 9), "points": 600}  # fmt: skip


def test_the_planted_gap_is_void_and_the_clusters_are_not():
    embedding, latents = two_clusters(count=4000)  # dense: no chance gaps of half a unit
    grid = build_map_grid("umap_x", embedding, latents, GridParams(size=21, void_cells=1.0))
    columns = node_positions(grid.extent, 21)[0, :, 0]
    in_gap = (columns > 4 + grid.params["radius"]) & (columns < 6 - grid.params["radius"])
    inside = (columns < 4 - 0.5) | (columns > 6 + 0.5)
    assert in_gap.any() and grid.void[:, in_gap].all()
    assert not grid.void[:, inside].any()
    # A larger radius reaches across the gap: nothing is void.
    wide = build_map_grid("umap_x", embedding, latents, GridParams(size=21, void_cells=3.0))
    assert not wide.void.any()
    np.testing.assert_allclose(grid.nearest, wide.nearest)


def test_between_nodes_z_is_bilinear_and_on_a_node_it_is_the_node():
    embedding, latents = two_clusters(dim=3)
    grid = build_map_grid("tsne_x", embedding, latents, GridParams(size=6, neighbours=3))
    nodes = node_positions(grid.extent, 6)
    z, void = grid_latents(grid, nodes.reshape(-1, 2))
    np.testing.assert_allclose(z, grid.z.reshape(-1, 3), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(void, grid.void.ravel())
    # A quarter of the way from node (1, 2) to (2, 3) in x, three quarters in y.
    corner, step = nodes[1, 2], nodes[2, 3] - nodes[1, 2]
    point = corner + step * [0.25, 0.75]
    g = grid.z.astype(np.float64)
    expected = (0.75 * 0.25 * g[1, 2] + 0.25 * 0.25 * g[1, 3] + 0.75 * 0.75 * g[2, 2]
                + 0.25 * 0.75 * g[2, 3])  # fmt: skip
    np.testing.assert_allclose(grid_latents(grid, point)[0][0], expected, rtol=1e-5)
    # Outside the map's extent is void, and z stays the border's.
    outside = [[grid.extent[1] + 5, grid.extent[3] + 5]]
    z_out, void_out = grid_latents(grid, outside)
    assert void_out[0]
    np.testing.assert_allclose(z_out[0], grid.z[-1, -1], rtol=1e-6)


def test_a_grid_saves_and_loads_and_bad_maps_are_named():
    embedding, latents = two_clusters()
    grid = build_map_grid("tsne_x", embedding, latents, GridParams(size=4))
    path = __import__("pathlib").Path(__import__("tempfile").mkdtemp()) / "grid.npz"
    save_result(grid, path)
    loaded = load_result(MapGrid, path)
    np.testing.assert_array_equal(loaded.z, grid.z)
    np.testing.assert_array_equal(loaded.void, grid.void)
    assert loaded.params == grid.params and loaded.name == "tsne_x"
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        build_map_grid("m", latents, latents)
    with pytest.raises(ValueError, match="the map has 600 points"):
        build_map_grid("m", embedding, latents[:10])
    bad = embedding.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match="map m has NaN"):
        build_map_grid("m", bad, latents)
    with pytest.raises(ValueError, match="at least 2 nodes"):
        GridParams(size=1)
