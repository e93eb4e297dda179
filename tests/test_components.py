import numpy as np
import pytest

from model.analysis.components import (
    ComponentAnalysis,
    analyze_components,
    component_histograms,
    half_width,
)
from model.analysis.moments import latent_moments
from model.analysis.results import load_result, save_result
from tests.support import assert_same_result

GAUSSIAN_FWHM = 2 * np.sqrt(2 * np.log(2))  # 2.3548 sigma


def planted(rows: int = 20_000, seed: int = 0) -> np.ndarray:
    """N(0, 1) components except 3 ~ N(3, 1), 7 ~ N(1.5, 1) and 5 ~ N(0, 3^2)."""
    latents = np.random.default_rng(seed).normal(size=(rows, 10))
    latents[:, 3] += 3.0
    latents[:, 7] += 1.5
    latents[:, 5] *= 3.0
    return latents.astype(np.float32)


@pytest.mark.parametrize(
    "counts, bins",
    [
        ([0, 0, 4, 0, 0], 1.0),  # one full bin
        ([0, 1, 2, 3, 4, 3, 2, 1, 0], 4.0),  # half the peak is reached exactly, 2 bins out
        ([1, 3, 4, 3, 1], 3.0),  # interpolated 1.5 bins out on each side
        ([4, 4, 4], 3.0),  # never falls to half: the outer edges
    ],
)
def test_half_width_of_small_histograms(counts, bins):
    assert half_width(np.array(counts), 0.25) == pytest.approx(bins * 0.25)


def test_gaussian_components_have_fwhm_2355_sigma_and_centre_zero():
    sigma = np.array([0.5, 1.0, 2.0])
    latents = (np.random.default_rng(1).normal(size=(100_000, 3)) * sigma).astype(np.float32)
    result = analyze_components(latents, chunk_rows=30_000)
    np.testing.assert_allclose(result.half_width, GAUSSIAN_FWHM * sigma, rtol=0.03)
    assert (np.abs(result.centre) <= 0.25).all()  # the top of a wide Gaussian is nearly flat
    np.testing.assert_allclose(result.mean, latents.mean(axis=0, dtype=np.float64), atol=1e-9)
    np.testing.assert_allclose(result.std, latents.std(axis=0, ddof=1, dtype=np.float64), rtol=1e-9)
    np.testing.assert_array_equal(result.dominant_index, [2])  # twice the median half-width


def test_histograms_share_edges_with_centres_on_multiples_of_the_width():
    latents = np.array([[-0.2, 0.0], [0.13, 0.8], [0.12, 1.1]], dtype=np.float32)
    edges, counts = component_histograms(latents, 0.25, chunk_rows=2)
    np.testing.assert_allclose(edges, [-0.375, -0.125, 0.125, 0.375, 0.625, 0.875, 1.125])
    np.testing.assert_array_equal(counts, [[1, 1, 1, 0, 0, 0], [0, 1, 0, 0, 1, 1]])
    latents = planted(2000)
    edges, counts = component_histograms(latents)
    assert counts.shape == (10, len(edges) - 1) and (counts.sum(axis=1) == 2000).all()
    assert edges[0] <= latents.min() and edges[-1] > latents.max()
    np.testing.assert_allclose((edges[:-1] + edges[1:]) / 2 / 0.25 % 1, 0, atol=1e-9)


def test_planted_dominant_components_are_found_in_score_order():
    result = analyze_components(planted(), chunk_rows=3000)
    np.testing.assert_array_equal(result.dominant_index, [3, 7, 5])
    np.testing.assert_allclose(result.dominant_centre, [3.0, 1.5, 0.0], atol=0.25)
    assert result.dominant_half_width[2] == pytest.approx(3 * GAUSSIAN_FWHM, rel=0.05)
    assert result.median_half_width == pytest.approx(GAUSSIAN_FWHM, rel=0.05)
    assert (np.diff(result.dominant_score) < 0).all() and (result.dominant_score > 1).all()
    ordinary = np.setdiff1d(np.arange(10), [3, 5, 7])
    assert (result.score[ordinary] < 1).all()
    # The thresholds are parameters: a centre limit of 4 leaves only the wide component.
    relaxed = analyze_components(planted(), centre_limit=4.0)
    np.testing.assert_array_equal(relaxed.dominant_index, [5])


def test_given_moments_give_the_same_result_and_it_round_trips(tmp_path):
    latents = planted(3000)
    result = analyze_components(latents)
    again = analyze_components(latents, moments=latent_moments(latents))
    assert_same_result(again, result)
    save_result(result, tmp_path / "components.npz")
    assert_same_result(load_result(ComponentAnalysis, tmp_path / "components.npz"), result)


def test_bad_input_is_named():
    latents = planted(100)
    with pytest.raises(ValueError, match=r"latents must have shape \(N, d\), got 3-D"):
        analyze_components(latents[None])
    with pytest.raises(ValueError, match=r"N >= 2 rows"):
        analyze_components(latents[:1])
    bad = latents.copy()
    bad[42, 0] = -np.inf
    with pytest.raises(ValueError, match="non-finite value .* in row 42"):
        analyze_components(bad, chunk_rows=16)
    with pytest.raises(ValueError, match="bin_width must be positive, got -0.25"):
        analyze_components(latents, bin_width=-0.25)
    with pytest.raises(ValueError, match="centre_limit and width_factor must be positive"):
        analyze_components(latents, centre_limit=0)
    with pytest.raises(ValueError, match="moments of 99 rows x 10 components do not match"):
        analyze_components(latents, moments=latent_moments(latents[1:]))
    with pytest.raises(ValueError, match="positive count"):
        half_width(np.zeros(4), 0.25)
