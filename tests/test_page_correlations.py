"""The Correlations page: the heatmap, pairs above a threshold, the 16 strongest pairs' grid,
and a hint to the run that has strong pairs."""

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from model.analysis.correlations import CorrelationAnalysis, count_pairs, pairs_above
from model.analysis.results import load_result, save_result
from model.files import file_record
from model.pipeline.runs import Run
from tests.support import Z_DIM, analysis_result, chart_figures, figure_array, open_page


def test_correlations_threshold_changes_the_listed_pairs(monkeypatch, artifacts):
    matrix = analysis_result(artifacts, "correlations", CorrelationAnalysis).matrix
    at = open_page(monkeypatch, artifacts, "correlations")
    heatmap = chart_figures(at)[0]
    assert heatmap["data"][0]["type"] == "heatmap"
    assert figure_array(heatmap["data"][0]["z"]).shape == (Z_DIM, Z_DIM)
    counts = at.dataframe[0].value
    assert counts["|r| above"].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])

    listed = {}
    for threshold in (0.05, 0.95):
        at.slider(key="corr_threshold").set_value(threshold).run()
        assert not at.exception
        expected = len(pairs_above(matrix, threshold)[0])
        assert at.subheader[1].value.startswith(f"{expected:,} pairs with |r| > {threshold:g}")
        listed[threshold] = len(at.dataframe[1].value) if expected else 0
        assert listed[threshold] == expected
    assert listed[0.05] > listed[0.95]


def _grid_titles(at: AppTest) -> list[str]:
    """The subplot titles of the scatter grid, the page's second figure."""
    return [note["text"] for note in chart_figures(at)[1]["layout"]["annotations"]]


def _grid_caption(at: AppTest) -> str:
    (caption,) = [c.value for c in at.caption if c.value.startswith("Component j against i")]
    return caption


def _expected_titles(matrix: np.ndarray) -> list[str]:
    i, j, r = pairs_above(matrix, 0.0)  # every pair, strongest first
    return [f"{a}-{b}: r={c:.2f}" for a, b, c in zip(i[:16], j[:16], r[:16])]


def test_correlations_grid_shows_the_top_pairs_with_markers(monkeypatch, artifacts):
    at = open_page(monkeypatch, artifacts, "correlations")
    grid = chart_figures(at)[1]
    assert len(grid["data"]) == 4 * 16  # data, random vectors, chosen point, origin
    first = {trace["name"]: trace for trace in grid["data"][:4]}
    random_x = figure_array(first["random vectors"]["x"])
    assert len(random_x) == 10 and np.abs(random_x).max() <= 4.0
    assert figure_array(first["origin"]["x"]).tolist() == [0]

    chosen = figure_array(first["chosen point"]["x"])
    at.number_input(key="corr_row").set_value(5).run()
    at.slider(key="corr_limit").set_value(1.0).run()
    assert not at.exception
    first = {trace["name"]: trace for trace in chart_figures(at)[1]["data"][:4]}
    assert figure_array(first["chosen point"]["x"]) != chosen
    assert np.abs(figure_array(first["random vectors"]["x"])).max() <= 1.0


def test_correlations_grid_shows_the_16_strongest_pairs_whatever_the_threshold(
    monkeypatch, artifacts
):
    matrix = analysis_result(artifacts, "correlations", CorrelationAnalysis).matrix
    assert len(pairs_above(matrix, 0.95)[0]) == 0  # a tiny run's latents are nearly independent
    at = open_page(monkeypatch, artifacts, "correlations")
    at.slider(key="corr_threshold").set_value(0.95).run()
    assert not at.exception
    assert at.subheader[1].value.startswith("0 pairs with |r| > 0.95")
    assert any("No pair of components has |r| > 0.95" in info.value for info in at.info)
    assert _grid_titles(at) == _expected_titles(matrix)  # 16 of the 28 pairs
    assert "the 16 strongest of all 28 pairs (0 of them with |r| > 0.95" in _grid_caption(at)
    assert not any("Run picker" in info.value for info in at.info)  # no other run to suggest

    at.slider(key="corr_threshold").set_value(0.05).run()
    assert not at.exception
    above = len(pairs_above(matrix, 0.05)[0])
    assert at.subheader[1].value.startswith(f"{above} pairs with |r| > 0.05")
    assert _grid_titles(at) == _expected_titles(matrix)
    assert f"({min(above, 16)} of them with |r| > 0.05" in _grid_caption(at)


def _plant_correlations(run_dir: Path, matrix: np.ndarray) -> None:
    """Replace the run's correlations analysis by one of `matrix`, recorded in its manifest."""
    path = run_dir / "analysis" / "correlations.npz"
    result = load_result(CorrelationAnalysis, path)
    pair_i, pair_j, pair_r = pairs_above(matrix, result.threshold)
    planted = dataclasses.replace(
        result,
        matrix=matrix,
        pair_counts=count_pairs(matrix, result.count_thresholds),
        pair_i=pair_i,
        pair_j=pair_j,
        pair_r=pair_r,
    )
    save_result(planted, path)
    run = Run.open(run_dir)
    run.stage("analyze")["files"]["analysis/correlations.npz"] = file_record(path)
    run.save()


def _matrix(pairs: dict[tuple[int, int], float]) -> np.ndarray:
    """A Z_DIM x Z_DIM correlation matrix: 0.01 everywhere but the diagonal and `pairs`."""
    matrix = np.full((Z_DIM, Z_DIM), 0.01)
    np.fill_diagonal(matrix, 1.0)
    for (i, j), r in pairs.items():
        matrix[i, j] = matrix[j, i] = r
    return matrix


def test_correlations_names_another_run_with_strong_pairs(monkeypatch, built_runs, tmp_path):
    root = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    for name in ("strong", "weaker", "broken"):
        shutil.copytree(root / "runs" / "tiny", root / "runs" / name)
    _plant_correlations(root / "runs" / "tiny", _matrix({}))
    _plant_correlations(root / "runs" / "strong", _matrix({(0, 1): 0.9, (2, 3): -0.8, (4, 5): 0.6}))
    _plant_correlations(root / "runs" / "weaker", _matrix({(0, 1): 0.7}))
    (root / "runs" / "broken" / "analysis" / "correlations.npz").write_bytes(b"not an npz")

    at = open_page(monkeypatch, root, "correlations", run="tiny")
    (hint,) = [info.value for info in at.info if "Run picker" in info.value]
    assert hint.startswith("This run has no pair with |r| > 0.5; the `strong` run has 3:")
    assert len(_grid_titles(at)) == 16  # the weak pairs still fill the grid

    at.sidebar.selectbox(key="run_picker").set_value("strong").run()
    assert not at.exception
    assert at.session_state["run"] == "strong"
    assert not any("Run picker" in info.value for info in at.info)
    assert _grid_titles(at)[:3] == ["0-1: r=0.90", "2-3: r=-0.80", "4-5: r=0.60"]
    assert "(3 of them with |r| > 0.5" in _grid_caption(at)
