"""Per-dimension KL, variance of mu and active units against closed forms; traversals."""

import numpy as np
import pytest

from app.figures.dimensions import dimension_bars
from model.analysis.dimensions import ACTIVE_THRESHOLD, analyze_dimensions
from model.generation import traversal_latents


def _gaussian_kl(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(mu, e^logvar) || N(0, 1)) per row and dimension, the closed form."""
    return 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar)


def test_kl_of_a_known_gaussian_per_dimension():
    # every image's posterior is N(m_i, s_i^2): KL_i = log(1/s_i) + (s_i^2 + m_i^2 - 1) / 2
    m, s = np.array([0.0, 1.0, -2.0, 0.5]), np.array([1.0, 0.5, 0.1, 2.0])
    mu = np.tile(m, (10, 1)).astype(np.float32)
    logvar = np.tile(2 * np.log(s), (10, 1)).astype(np.float32)
    result = analyze_dimensions(mu, logvar)
    np.testing.assert_allclose(result.kl, np.log(1 / s) + (s**2 + m**2 - 1) / 2, atol=1e-6)
    assert result.kl[0] == pytest.approx(0.0, abs=1e-9)  # the prior itself
    np.testing.assert_allclose(result.mean_logvar, 2 * np.log(s), rtol=1e-6)
    assert result.total_kl == pytest.approx(result.kl.sum())


def test_streamed_statistics_match_the_whole_array_at_once():
    rng = np.random.default_rng(0)
    mu = (1e4 + rng.normal(0, [0.05, 1, 3], (1001, 3))).astype(np.float32)  # far from 0
    logvar = rng.normal(-1, 0.5, (1001, 3)).astype(np.float32)
    result = analyze_dimensions(mu, logvar, chunk_rows=97)
    wide = mu.astype(np.float64)
    np.testing.assert_allclose(result.mu_variance, wide.var(axis=0, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(result.kl, _gaussian_kl(wide, logvar).mean(axis=0), rtol=1e-9)
    assert result.count == 1001


def test_a_planted_collapsed_dimension_is_not_an_active_unit():
    rng = np.random.default_rng(1)
    mu = rng.normal(0, 1, (500, 6))
    mu[:, 2] = 0.3 + rng.normal(0, 0.05, 500)  # Var 0.0025: collapsed
    mu[:, 4] = rng.normal(0, 0.2, 500)  # Var 0.04: small but active
    result = analyze_dimensions(mu, np.zeros_like(mu))
    assert result.active.tolist() == [True, True, False, True, True, True]
    assert result.active_count == 5 and result.active_threshold == ACTIVE_THRESHOLD
    assert result.ranking("variance")[-1] == 2 and result.ranking("variance")[-2] == 4


def test_an_autoencoder_has_variance_but_no_kl():
    z = np.random.default_rng(2).normal(0, 1, (50, 4))
    result = analyze_dimensions(z, None)
    assert not result.has_posterior and np.isnan(result.kl).all()
    assert np.isnan(result.mean_logvar).all() and result.active_count == 4
    with pytest.raises(ValueError, match="no posterior"):
        result.ranking("kl")


def test_bad_input_is_named():
    mu = np.zeros((5, 3), np.float32)
    logvar = np.zeros((5, 3), np.float32)
    logvar[3, 1] = np.nan
    with pytest.raises(ValueError, match="logvar has a non-finite value.*row 3"):
        analyze_dimensions(mu, logvar)
    with pytest.raises(ValueError, match="logvar has shape"):
        analyze_dimensions(mu, logvar[:, :2])
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        analyze_dimensions(mu, None, threshold=-1)


def test_bars_are_sorted_and_flag_collapsed_dimensions():
    rng = np.random.default_rng(3)
    mu = rng.normal(0, [1.0, 0.01, 2.0, 0.5], (400, 4))
    result = analyze_dimensions(mu, np.full_like(mu, -1.0))
    by_kl = dimension_bars(result, "kl")
    assert list(by_kl.layout.xaxis.categoryarray) == ["2", "0", "3", "1"]
    active, collapsed = by_kl.data
    assert list(active.x) == ["2", "0", "3"] and list(collapsed.x) == ["1"]
    assert collapsed.name == "collapsed (1)"
    by_variance = dimension_bars(result, "variance")
    assert by_variance.layout.yaxis.type == "log"
    line = by_variance.data[-1]  # the threshold, across every bar
    assert list(line.y) == [ACTIVE_THRESHOLD] * 2 and list(line.x) == ["2", "1"]
    low, high = by_variance.layout.yaxis.range
    assert low < np.log10(ACTIVE_THRESHOLD) and 10**low < result.mu_variance.min()
    assert 10**high > result.mu_variance.max()


def test_traversal_sweeps_each_chosen_dimension_over_the_data_range():
    base = np.array([5.0, 6.0, 7.0])
    centre, std = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.0])
    z = traversal_latents(base, [2, 0], centre, std, steps=3, span=3.0)
    assert z.dtype == np.float32 and z.shape == (6, 3)
    np.testing.assert_allclose(z[:3, 2], [3 - 6, 3, 3 + 6])  # dimension 2: 3 +- 3 * 2
    np.testing.assert_allclose(z[:3, :2], [[5, 6]] * 3)  # the others stay
    np.testing.assert_allclose(z[3:, 0], [1 - 1.5, 1, 1 + 1.5])
    np.testing.assert_allclose(z[3:, 1:], [[6, 7]] * 3)
    with pytest.raises(ValueError, match="dims must name dimensions in 0..2"):
        traversal_latents(base, [3], centre, std)
    with pytest.raises(ValueError, match="one length"):
        traversal_latents(base, [0], centre[:2], std)
