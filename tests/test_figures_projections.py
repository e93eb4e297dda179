"""The builders behind the Projections and Compare pages: map marks, zoom sides, selected rows,
and the logvar table of several runs."""

import json

import numpy as np
import pytest

from app.figures import (
    logvar_comparison,
    mark_neighbourhood,
    positions_on_map,
    projection_scatter,
    selected_rows,
    zoom_sides,
)
from model.analysis.logvar_stats import analyze_logvar


def test_mark_neighbourhood_adds_the_chosen_point_and_its_neighbours():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    fig = projection_scatter(x, y)
    rows = np.array([4, 9, 20])
    mark_neighbourhood(fig, (x[7], y[7], 7), x[rows], y[rows], rows, np.array([0.1, 0.2, 0.3]))
    _, neighbours, chosen = fig.data
    assert neighbours.name == "nearest neighbours" and chosen.name == "row 7"
    assert [row for row, _ in neighbours.customdata] == list(rows)  # a click picks the row
    np.testing.assert_array_equal(neighbours.x, x[rows])
    assert list(chosen.customdata) == [7] and chosen.x == (x[7],)
    assert json.loads(fig.to_json())["data"][2]["customdata"] == [7]

    off_map = mark_neighbourhood(projection_scatter(x, y), None, [], [], [], [])
    assert len(off_map.data) == 1  # neither the point nor any neighbour is on this map
    with pytest.raises(ValueError, match="as many"):
        mark_neighbourhood(fig, None, x[:2], y[:2], rows, np.zeros(3))


def test_zoom_sides_are_1_2_5_steps_below_the_extent():
    assert zoom_sides(37.0) == [20, 10, 5, 2, 1, 0.5, 0.2]
    assert zoom_sides(10.0) == [5, 2, 1, 0.5, 0.2, 0.1, 0.05]
    assert zoom_sides(200.0) == [100, 50, 20, 10, 5, 2, 1]
    assert zoom_sides(0.3)[:3] == [0.2, 0.1, 0.05] and min(zoom_sides(0.3)) >= 0.3 / 200
    assert zoom_sides(0.0) == [] and zoom_sides(float("nan")) == []


def test_selected_rows_reads_customdata_of_clicks_boxes_and_marks():
    points = [
        {"customdata": 12, "x": 0.0},
        {"customdata": [5, 0.31]},  # a neighbour mark: row, distance
        {"customdata": 12},  # the same row twice (e.g. the chosen star over its point)
        {"x": 1.0},  # no customdata
        {"customdata": []},
        {"customdata": {"dtype": "f8", "bdata": "AAAA"}},  # not decoded: skipped
        {"customdata": 3.0},
    ]
    assert selected_rows(points) == [12, 5, 3]
    assert selected_rows([]) == []


def test_positions_on_map_finds_rows_of_a_subset():
    map_rows = np.array([2, 5, 9, 30])
    np.testing.assert_array_equal(positions_on_map(map_rows, [9, 3, 2, 31]), [2, -1, 0, -1])
    np.testing.assert_array_equal(positions_on_map(np.arange(5), [4]), [4])
    with pytest.raises(ValueError, match="increasing"):
        positions_on_map(np.array([3, 1]), [1])


def test_logvar_comparison_puts_runs_side_by_side():
    rng = np.random.default_rng(1)
    mu = rng.normal(size=(200, 6))
    logvar = np.full_like(mu, -20.0)
    vae = analyze_logvar(mu + 1e-4, mu, logvar)
    rows = logvar_comparison({"vae": vae, "ae": None})
    table = {row["quantity"]: row for row in rows}
    assert list(rows[0]) == ["quantity", "vae", "ae"]
    assert table["logvar min"]["vae"] == "-20" and table["logvar min"]["ae"] == "no logvar"
    assert table["latent entries (N x d)"]["vae"] == "1,200"
    assert all(row["ae"] == "no logvar" for row in rows)
    assert len(rows) == 16
    assert logvar_comparison({"ae": None}) == [{"quantity": "logvar", "ae": "no logvar"}]
    with pytest.raises(ValueError, match="empty"):
        logvar_comparison({})
