import keras
import numpy as np
import pytest

from model.losses import kl_divergence, reconstruction_loss


def test_kl_matches_the_closed_form():
    mu = np.array([[0.0, 0.0], [1.0, -2.0], [0.5, 0.0]], "float32")
    logvar = np.array([[0.0, 0.0], [0.0, 0.0], [np.log(4.0), np.log(0.25)]], "float32")
    # KL(N(mu, s^2) || N(0, 1)) = 0.5 * (s^2 + mu^2 - 1 - ln s^2), summed over dimensions
    s2 = np.exp(logvar)
    expected = 0.5 * np.sum(s2 + mu**2 - 1 - logvar, axis=1)
    kl = keras.ops.convert_to_numpy(kl_divergence(mu, logvar))
    np.testing.assert_allclose(kl, expected, rtol=1e-6)
    assert kl[0] == 0.0 and kl[1] == pytest.approx(2.5)


def test_kl_is_nonnegative_and_zero_only_at_the_prior():
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(2, 100, 16)).astype("float32")
    assert np.all(keras.ops.convert_to_numpy(kl_divergence(mu, logvar)) > 0)


def test_bce_is_summed_over_pixels():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(3, 4, 4, 3)).astype("float32")
    p = rng.uniform(0.05, 0.95, size=(3, 4, 4, 3)).astype("float32")
    expected = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=(1, 2, 3))
    got = keras.ops.convert_to_numpy(reconstruction_loss(x, p, "bce"))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_bce_stays_finite_at_saturated_outputs():
    x = np.ones((1, 2, 2, 3), "float32")
    got = keras.ops.convert_to_numpy(reconstruction_loss(x, np.zeros_like(x), "bce"))
    assert np.isfinite(got).all() and got[0] == pytest.approx(-12 * np.log(1e-7), rel=1e-3)


def test_mse_is_averaged_over_pixels():
    x = np.zeros((2, 2, 2, 3), "float32")
    p = np.full_like(x, 0.5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reconstruction_loss(x, p, "mse")), 0.25)
    with pytest.raises(ValueError, match="unknown reconstruction loss"):
        reconstruction_loss(x, p, "l1")
