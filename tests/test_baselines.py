import numpy as np
import pytest

from model.analysis.baselines import RadiusBaselines, radius_baselines
from model.analysis.results import load_result, save_result
from model.generation import sample_latents
from tests.support import assert_same_result


def test_mean_radii_match_the_closed_forms():
    d, n = 256, 2000
    result = radius_baselines(d, n=n, seed=5)
    np.testing.assert_allclose(
        result.uniform_expected_radius, result.uniform_limits * np.sqrt(d / 3)
    )
    np.testing.assert_allclose(result.normal_expected_radius, result.normal_scales * np.sqrt(d))
    np.testing.assert_allclose(
        result.uniform_mean_radius, result.uniform_expected_radius, rtol=0.01
    )
    np.testing.assert_allclose(result.normal_mean_radius, result.normal_expected_radius, rtol=0.01)
    centres = result.edges[:-1] + 0.25
    peaks = centres[np.argmax(result.normal_counts, axis=1)]
    np.testing.assert_allclose(peaks, result.normal_scales * np.sqrt(d - 1), atol=0.75)


def test_histograms_share_edges_and_count_every_sample():
    result = radius_baselines(16, n=300, seed=0, uniform_limits=(1.0, 8.0), normal_scales=(0.5,))
    bins = len(result.edges) - 1
    assert result.uniform_counts.shape == (2, bins) and result.normal_counts.shape == (1, bins)
    assert (result.uniform_counts.sum(axis=1) == 300).all() and result.normal_counts.sum() == 300
    assert result.edges[0] == 0 and np.allclose(np.diff(result.edges), 0.5)
    furthest = np.linalg.norm(sample_latents("uniform", 300, 16, 1, limit=8.0), axis=1).max()
    assert result.edges[-2] < furthest <= result.edges[-1]  # set 1 draws with seed 0 + 1


def test_result_round_trips(tmp_path):
    result = radius_baselines(8, n=100, seed=2)
    save_result(result, tmp_path / "baselines.npz")
    assert_same_result(load_result(RadiusBaselines, tmp_path / "baselines.npz"), result)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="n and d must be positive integers, got n=0, d=4"):
        radius_baselines(4, n=0)
    with pytest.raises(ValueError, match="uniform sampler needs a positive scale or limit, got -1"):
        radius_baselines(4, n=10, uniform_limits=(-1,))
    with pytest.raises(ValueError, match="got n=10, d=0"):
        radius_baselines(0, n=10)
    with pytest.raises(ValueError, match="bin_width must be positive, got 0"):
        radius_baselines(4, n=10, bin_width=0)
