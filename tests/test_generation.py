
import numpy as np
import pytest

from model.analysis.density import fit_gaussian
from model.generation import interpolate, sample_latents, sharpen, to_uint8


def test_samplers_follow_their_distributions():
    normal = sample_latents("normal", 4000, 64, seed=1, scale=2.0)
    assert np.linalg.norm(normal, axis=1).mean() == pytest.approx(2.0 * np.sqrt(64), rel=0.02)
    uniform = sample_latents("uniform", 4000, 64, seed=1, limit=1.5)
    assert np.abs(uniform).max() <= 1.5
    assert np.linalg.norm(uniform, axis=1).mean() == pytest.approx(1.5 * np.sqrt(64 / 3), rel=0.02)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(5000, 3)) @ np.array([[2.0, 0, 0], [1.5, 0.5, 0], [0, 0, 0.1]]) + 4
    fit = fit_gaussian(data.astype(np.float32))
    drawn = sample_latents("gaussian", 20000, 3, seed=2, fit=fit)
    np.testing.assert_allclose(np.cov(drawn, rowvar=False), fit.covariance, rtol=0.06, atol=0.01)
    np.testing.assert_array_equal(drawn, sample_latents("gaussian", 20000, 3, seed=2, fit=fit))
    half = sample_latents("gaussian", 20000, 3, seed=2, scale=0.5, fit=fit)
    np.testing.assert_allclose(half - fit.mean, 0.5 * (drawn - fit.mean), atol=1e-5)
    np.testing.assert_array_equal(sample_latents("gaussian", 10, 3, seed=2, fit=fit), drawn[:10])
    with pytest.raises(ValueError, match="needs the fitted Gaussian"):
        sample_latents("gaussian", 2, 3, seed=0)
    with pytest.raises(ValueError, match="unknown sampler"):
        sample_latents("cauchy", 2, 3, seed=0)


def test_linear_and_spherical_paths():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 5.0])
    line = interpolate(a, b, 5, "linear")
    np.testing.assert_allclose(line[2], [1.5, 2.5])
    arc = interpolate(a, b, 5, "spherical")
    np.testing.assert_allclose(arc[[0, -1]], [a, b], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(arc, axis=1), np.linspace(3, 5, 5), rtol=1e-6)
    angles = np.arctan2(arc[:, 1], arc[:, 0])
    np.testing.assert_allclose(np.diff(angles), np.pi / 8, rtol=1e-6)  # constant angular rate
    with pytest.raises(ValueError, match="at least 2 steps"):
        interpolate(a, b, 1, "linear")


def test_sharpen_is_pil_and_identity_at_one():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    np.testing.assert_array_equal(sharpen(images, 1.0), images)
    assert not np.array_equal(sharpen(images, 7.0), images)
    with pytest.raises(ValueError, match=r"\[0, 10\]"):
        sharpen(images, 11)
    np.testing.assert_array_equal(to_uint8(np.array([0.0, 0.5, 1.2])), [0, 128, 255])
