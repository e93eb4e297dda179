import numpy as np
import pytest
from scipy import stats

from model.analysis.radius import (
    RadiusAnalysis,
    analyze_radius,
    chi_mode,
    prior_radius_counts,
    radii,
    radius_edges,
    radius_histogram,
)
from model.analysis.results import load_result, save_result
from tests.support import assert_same_result


def test_chunked_radii_equal_numpy_norm_also_on_a_memmap(tmp_path):
    rng = np.random.default_rng(0)
    latents = (rng.normal(size=(1003, 7)) * 3 + 1).astype(np.float32)
    expected = np.linalg.norm(latents.astype(np.float64), axis=1)
    result = radii(latents, chunk_rows=100)
    assert result.dtype == np.float32 and result.shape == (1003,)
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    mapped = np.lib.format.open_memmap(tmp_path / "z.npy", "w+", np.float32, latents.shape)
    mapped[:] = latents
    np.testing.assert_array_equal(radii(mapped, chunk_rows=64), result)


def test_histogram_bins_start_at_zero_and_peak_is_the_fullest_bin_centre():
    hist = radius_histogram(np.array([0.1, 0.6, 0.7, 0.8, 1.2]), 0.5)
    np.testing.assert_array_equal(hist.edges, [0.0, 0.5, 1.0, 1.5])
    np.testing.assert_array_equal(hist.counts, [1, 3, 1])
    assert (hist.peak, hist.bin_width, hist.above) == (0.75, 0.5, 0)
    capped = radius_histogram(np.array([0.1, 0.6, 0.7, 0.8, 1.2]), 0.5, max_radius=1.0)
    np.testing.assert_array_equal(capped.counts, [1, 3])
    assert capped.above == 1
    on_edge = radius_histogram(np.array([1.0]), 0.5)  # the largest radius closes the last bin
    np.testing.assert_array_equal(on_edge.counts, [0, 1])


@pytest.mark.parametrize("bins, width", [(327, 0.05), (70, 0.5), (3, 0.1)])
def test_a_whole_number_of_bins_is_not_rounded_up_to_one_more(bins, width):
    edges = radius_edges(bins * width, width)
    assert len(edges) == bins + 1 and edges[-1] >= bins * width
    assert len(radius_edges(bins * width * (1 + 1e-6), width)) == bins + 2


def test_chi_mode_and_prior_counts_match_closed_forms():
    assert chi_mode(1) == 0.0 and chi_mode(256) == pytest.approx(np.sqrt(255))
    # d = 1: the radius is |x| for x ~ N(0, 1), so P(R < 1) = 2 Phi(1) - 1.
    counts = prior_radius_counts(np.array([0.0, 1.0, 50.0]), 1, 1000)
    np.testing.assert_allclose(
        counts, [1000 * (2 * stats.norm.cdf(1) - 1), 1000 * 2 * stats.norm.sf(1)]
    )
    wide = prior_radius_counts(np.arange(0, 60.5, 0.5), 256, 5000)
    assert wide.sum() == pytest.approx(5000)
    assert np.argmax(wide) == int(np.sqrt(255) / 0.5)


def test_normal_samples_follow_the_prior_radius_distribution():
    d, n = 256, 20_000
    z = np.random.default_rng(1).normal(size=(n, d)).astype(np.float32)
    result = analyze_radius(z)
    assert (result.dim, result.count, result.has_mu) == (d, n, False)
    np.testing.assert_array_equal(result.radii_mu, result.radii_z)
    assert abs(result.peak_z - chi_mode(d)) <= 0.5
    assert abs(result.fine_peak_z - chi_mode(d)) <= 0.5
    assert result.prior_mode == pytest.approx(np.sqrt(d - 1))
    assert result.prior_counts.sum() == pytest.approx(n, rel=1e-5)
    assert result.coarse_counts_z.sum() == n and result.fine_counts_z.sum() == n
    assert result.coarse_edges[0] == 0 and result.coarse_edges[-1] >= stats.chi.isf(1e-6, d)
    assert result.fine_edges[-1] == pytest.approx(result.coarse_edges[-1])
    used = result.prior_counts >= 5
    observed, expected = result.coarse_counts_z[used], result.prior_counts[used]
    chi_square = np.sum((observed - expected) ** 2 / expected)
    assert stats.chi2.sf(chi_square, used.sum() - 1) > 1e-3
    assert result.radii_z.mean() == pytest.approx(stats.chi.mean(d), rel=1e-3)


def test_z_and_mu_share_edges_and_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    mu = (rng.normal(size=(500, 16)) * 2).astype(np.float32)
    z = mu + rng.normal(scale=0.3, size=mu.shape).astype(np.float32)
    result = analyze_radius(z, mu, chunk_rows=128)
    assert result.has_mu
    np.testing.assert_allclose(result.radii_mu, np.linalg.norm(mu, axis=1), rtol=1e-6)
    assert (
        result.coarse_counts_mu.shape == result.coarse_counts_z.shape == result.prior_counts.shape
    )
    assert result.coarse_counts_mu.sum() == 500 and result.fine_counts_mu.sum() == 500
    save_result(result, tmp_path / "radius.npz")
    assert_same_result(load_result(RadiusAnalysis, tmp_path / "radius.npz"), result)


def test_bad_input_is_named():
    good = np.ones((4, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"z must have shape \(N, d\), got 1-D"):
        analyze_radius(np.ones(3))
    with pytest.raises(ValueError, match=r"mu has shape \(4, 2\), z has \(4, 3\)"):
        analyze_radius(good, good[:, :2])
    bad = good.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="z has a non-finite value .* in row 2"):
        analyze_radius(bad)
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="mu has a non-finite value .* in row 2"):
        analyze_radius(good, bad)
    with pytest.raises(ValueError, match="bin_width must be positive, got 0"):
        radius_histogram(np.ones(3), 0)
    with pytest.raises(ValueError, match="chunk_rows must be a positive integer, got 0"):
        radii(good, chunk_rows=0)
    with pytest.raises(ValueError, match="positive integer, got 0"):
        chi_mode(0)
