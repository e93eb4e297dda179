import json

import numpy as np
import plotly.graph_objects as go
import pytest

from app.figures import (
    RandomRadii,
    attribute_heatmap,
    component_histograms,
    correlation_heatmap,
    dominant_table,
    explained_variance,
    kmeans_curve,
    logvar_table,
    pair_scatter_grid,
    projection_scatter,
    radius_comparison,
    radius_histogram,
    sample_radius,
    training_curves,
)
from model.analysis.attributes import analyze_attributes
from model.analysis.components import analyze_components
from model.analysis.correlations import analyze_correlations
from model.analysis.kmeans import kmeans_inertia
from model.analysis.logvar_stats import analyze_logvar
from model.analysis.pca import fit_pca
from model.analysis.radius import analyze_radius, radii
from model.data.store import AttributeTable
from model.generation import sample_latents

COUNT, DIM = 400, 12


@pytest.fixture(scope="module")
def latents() -> np.ndarray:
    """Gaussian latents with component 3 off centre, 7 wide and 8 following 7 (correlated)."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(COUNT, DIM))
    z[:, 3] += 2.5
    z[:, 7] *= 4.0
    z[:, 8] = 0.2 * z[:, 7] + 0.3 * rng.normal(size=COUNT)
    return z.astype(np.float32)


def serialises(fig: go.Figure) -> bool:
    """The figure survives the JSON trip Streamlit makes to the browser."""
    return isinstance(fig, go.Figure) and bool(json.loads(fig.to_json())["data"])


def bar_sum(trace) -> float:
    return float(np.sum(trace.y))


def test_training_curves_put_kl_on_a_secondary_axis():
    history = [
        {
            "epoch": e,
            "total_loss": 900.0 - e,
            "reconstruction_loss": 880.0 - e,
            "kl_loss": 20.0 + e / 10,
        }
        for e in (1, 2, 3)
    ]
    fig = training_curves([{**entry, "seconds": 1.0} for entry in history])
    assert [trace.name for trace in fig.data] == ["total", "reconstruction", "KL"]
    assert [trace.yaxis for trace in fig.data] == ["y", "y", "y2"]
    np.testing.assert_array_equal(fig.data[2].y, [20.1, 20.2, 20.3])
    np.testing.assert_array_equal(fig.data[0].x, [1, 2, 3])
    assert serialises(fig)
    with pytest.raises(ValueError, match="empty"):
        training_curves([])
    with pytest.raises(ValueError, match="entry 0 lacks kl_loss"):
        training_curves([{"epoch": 1, "total_loss": 1.0, "reconstruction_loss": 1.0}])


def test_radius_histogram_counts_prior_and_peak(latents):
    analysis = analyze_radius(latents, latents * 0.9)
    fig = radius_histogram(analysis.radii_z, analysis.radii_mu, 0.5, dim=DIM)
    z_bars, mu_bars, prior = fig.data
    assert isinstance(z_bars, go.Bar) and isinstance(prior, go.Scatter)
    assert bar_sum(z_bars) == COUNT and bar_sum(mu_bars) == COUNT
    assert bar_sum(prior) == pytest.approx(COUNT, rel=1e-4)
    fullest = z_bars.x[np.argmax(z_bars.y)]
    assert fig.layout.shapes[0].x0 == pytest.approx(fullest)
    assert f"{fullest:g}" in fig.layout.annotations[0].text
    np.testing.assert_allclose(np.diff(z_bars.x), 0.5)
    assert serialises(fig)


def test_radius_histogram_rebins_and_scales_the_baseline(latents):
    radii_z = radii(latents)
    random = sample_latents("uniform", 100, DIM, 1, limit=1.5)
    baseline = RandomRadii("uniform b=1.5", radii(random))
    fig = radius_histogram(radii_z, None, 0.1, baseline=baseline, style="steps")
    assert len(fig.data) == 2  # |z| and the baseline; no mu, no prior
    assert all(trace.line.shape == "hvh" for trace in fig.data)
    np.testing.assert_allclose(np.diff(fig.data[0].x), 0.1)
    assert bar_sum(fig.data[0]) == COUNT
    assert bar_sum(fig.data[1]) == pytest.approx(COUNT)  # 100 points scaled to 400
    assert "scaled to 400 points" in fig.data[1].name
    assert serialises(fig)
    with pytest.raises(ValueError, match="bin_width"):
        radius_histogram(radii_z, None, 0.0)
    with pytest.raises(ValueError, match="radii_mu"):
        radius_histogram(radii_z, np.array([1.0, np.nan]), 0.5)


def test_radius_comparison_overlays_runs(latents):
    runs = {"AE": radii(latents), "VAE": radii(latents[:100] * 2)}
    fig = radius_comparison(runs, 0.25)
    assert [trace.name.split(" ")[0] for trace in fig.data] == ["AE", "VAE"]
    assert bar_sum(fig.data[0]) == COUNT and bar_sum(fig.data[1]) == 100
    np.testing.assert_array_equal(fig.data[0].x, fig.data[1].x)
    normalised = radius_comparison(runs, 0.25, normalize=True)
    assert [bar_sum(trace) for trace in normalised.data] == pytest.approx([1.0, 1.0])
    assert serialises(fig)
    with pytest.raises(ValueError, match="empty"):
        radius_comparison({}, 0.25)


def test_sample_radius_marks_each_sample_with_its_percentile(latents):
    data = radii(latents)
    samples = np.array([np.median(data), data.max() + 1.0])
    fig = sample_radius(data, samples)
    bars, marks = fig.data
    assert bar_sum(bars) == COUNT
    np.testing.assert_array_equal(marks.x, samples)
    np.testing.assert_allclose(marks.customdata[:, 1], [50.0, 100.0], atol=0.5)
    np.testing.assert_array_equal(marks.customdata[:, 0], [1, 2])
    assert serialises(fig)


def test_component_histograms_highlight_the_dominant_components(latents):
    analysis = analyze_components(latents)
    assert set(analysis.dominant_index.tolist()) >= {3, 7}
    fig = component_histograms(analysis)
    assert len(fig.data) == DIM and all(isinstance(t, go.Scatter) for t in fig.data)
    coloured = fig.data[DIM - len(analysis.dominant_index) :]
    assert [int(t.name.split(":")[0]) for t in coloured] == analysis.dominant_index.tolist()
    for trace in coloured:
        np.testing.assert_array_equal(trace.y, analysis.counts[int(trace.name.split(":")[0])])
    assert sum(trace.showlegend is not False for trace in fig.data) == len(coloured) + 1
    only = component_histograms(analysis, highlight=[7], only=[0, 7])
    assert [trace.name.split(":")[0] for trace in only.data] == ["other components", "7"]
    assert serialises(fig)
    with pytest.raises(ValueError, match="only holds 12"):
        component_histograms(analysis, only=[12])


def test_many_components_are_drawn_with_webgl():
    analysis = analyze_components(np.random.default_rng(1).normal(size=(50, 70)))
    fig = component_histograms(analysis, highlight=[])
    assert len(fig.data) == 70 and all(isinstance(t, go.Scattergl) for t in fig.data)


def test_dominant_table_rows(latents):
    analysis = analyze_components(latents)
    rows = dominant_table(analysis)
    assert [row["index"] for row in rows] == analysis.dominant_index.tolist()
    assert rows[0]["score"] == analysis.dominant_score[0]
    assert set(rows[0]) == {"index", "centre", "half_width", "score"}


def test_correlation_heatmap_is_the_matrix_on_a_symmetric_scale(latents):
    matrix = analyze_correlations(latents).matrix
    fig = correlation_heatmap(matrix)
    (heatmap,) = fig.data
    np.testing.assert_array_equal(heatmap.z, matrix)
    assert (heatmap.zmin, heatmap.zmax) == (-1, 1)
    np.testing.assert_array_equal(heatmap.x, np.arange(DIM))
    assert serialises(fig)
    with pytest.raises(ValueError, match="square"):
        correlation_heatmap(matrix[:3])


def test_pair_scatter_grid_one_subplot_per_pair_with_markers(latents):
    analysis = analyze_correlations(latents, threshold=0.3)
    pairs = list(zip(analysis.pair_i.tolist(), analysis.pair_j.tolist()))
    assert (7, 8) in pairs
    pairs = pairs + [(0, 1), (2, 5)]
    random = sample_latents("uniform", 10, DIM, 2, limit=4.0)
    fig = pair_scatter_grid(
        latents, pairs, random, chosen_index=17, correlation=analysis.matrix, max_points=150
    )
    assert len(fig.data) == 4 * len(pairs)  # data, random, chosen, origin per pair
    assert len({trace.xaxis for trace in fig.data}) == len(pairs)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[pairs.index((7, 8))] == f"7-8: r={analysis.matrix[7, 8]:.2f}"
    for n, (i, j) in enumerate(pairs):
        data, red, chosen, origin = fig.data[4 * n : 4 * n + 4]
        assert len(data.x) == 150 and data.marker.size == 2
        np.testing.assert_array_equal(red.x, random[:, i])
        assert red.marker.color == "red"
        assert (chosen.x[0], chosen.y[0]) == (latents[17, i], latents[17, j])
        assert chosen.marker.color == "orange"
        assert (origin.x[0], origin.y[0]) == (0, 0) and origin.marker.color == "yellow"
        assert origin.marker.line.color == "black"
    again = pair_scatter_grid(latents, pairs, max_points=150)
    np.testing.assert_array_equal(again.data[0].x, fig.data[0].x)  # same subset every time
    assert len(again.data) == 2 * len(pairs)
    assert serialises(fig)
    with pytest.raises(ValueError, match="1 to 16 pairs"):
        pair_scatter_grid(latents, [(0, 1)] * 17)
    with pytest.raises(ValueError, match="chosen_index holds 400"):
        pair_scatter_grid(latents, [(0, 1)], chosen_index=COUNT)


def test_explained_variance_bars_and_cumulative(latents):
    pca = fit_pca(latents, n_components=4)
    fig = explained_variance(pca)
    bars, cumulative = fig.data
    np.testing.assert_array_equal(bars.y, pca.explained_variance_ratio)
    assert cumulative.y[-1] == pytest.approx(1.0) and cumulative.yaxis == "y2"
    assert len(explained_variance(pca, count=5).data[0].y) == 5
    assert serialises(fig)


def test_projection_scatter_customdata_colouring_and_zoom(latents):
    x, y = latents[:, 0], latents[:, 1]
    fig = projection_scatter(x, y)
    (trace,) = fig.data
    assert isinstance(trace, go.Scattergl)
    np.testing.assert_array_equal(trace.customdata, np.arange(COUNT))
    rows = np.arange(COUNT) * 3 + 5  # e.g. a t-SNE map's indices
    binary = (latents[:, 3] > 2.5).astype(np.float32)
    split = projection_scatter(x, y, color=binary, color_name="Smiling", hover_index=rows)
    assert [t.name for t in split.data] == ["not Smiling", "Smiling"]
    np.testing.assert_array_equal(split.data[1].customdata, rows[binary == 1])
    np.testing.assert_array_equal(split.data[1].x, x[binary == 1])
    assert sum(len(t.x) for t in split.data) == COUNT
    scale = projection_scatter(x, y, color=latents[:, 2], color_name="age")
    assert len(scale.data) == 1 and scale.data[0].marker.colorbar.title.text == "age"
    zoomed = projection_scatter(x, y, zoom=0.5, centre=(1.0, -2.0))
    assert zoomed.layout.xaxis.range == (0.75, 1.25)
    assert zoomed.layout.yaxis.range == (-2.25, -1.75)
    assert projection_scatter(x, y, zoom=5).layout.xaxis.range == (-2.5, 2.5)
    assert all(serialises(f) for f in (fig, split, scale, zoomed))
    with pytest.raises(ValueError, match="zoom"):
        projection_scatter(x, y, zoom=-1)
    with pytest.raises(ValueError, match="hover_index"):
        projection_scatter(x, y, hover_index=rows[:5])


def test_kmeans_curve(latents):
    curve = kmeans_inertia(latents, ks=[2, 4], batch_size=128, n_init=1, n_threads=1)
    fig = kmeans_curve(curve)
    np.testing.assert_array_equal(fig.data[0].x, curve.ks)
    np.testing.assert_array_equal(fig.data[0].y, curve.inertia)
    assert serialises(fig)


def test_attribute_heatmap_components_by_attributes(latents):
    values = np.c_[(latents[:, 3] > 2.5), latents[:, 7] + 1.0, np.ones(COUNT)]
    table = AttributeTable(("Smiling", "age", "Hat"), values.astype(np.float32), ("Smiling",))
    analysis = analyze_attributes(latents, table)
    fig = attribute_heatmap(analysis)
    (heatmap,) = fig.data
    np.testing.assert_array_equal(heatmap.z, analysis.correlation.T)
    assert list(heatmap.y) == ["Smiling", "age", "Hat"]
    assert heatmap.zmax == pytest.approx(np.nanmax(np.abs(analysis.correlation)))
    assert serialises(fig)


def test_logvar_table_rows(latents):
    logvar = np.full_like(latents, -20.0)
    analysis = analyze_logvar(latents + 1e-3, latents, logvar)
    rows = logvar_table(analysis)
    table = {row["quantity"]: row["value"] for row in rows}
    assert table["logvar min"] == -20.0
    assert table["max |z - mu|"] == pytest.approx(analysis.max_abs_diff)
    assert table["latent entries (N x d)"] == COUNT * DIM
    assert table["radius from mu: mean"] == analysis.radius_mu_mean
    assert all(set(row) == {"quantity", "value"} for row in rows)
