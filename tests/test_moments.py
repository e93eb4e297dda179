import numpy as np
import pytest

from model.analysis.moments import latent_moments


def test_chunked_moments_equal_numpy():
    rng = np.random.default_rng(0)
    latents = (rng.normal(size=(1003, 7)) @ rng.normal(size=(7, 7)) + 40.0).astype(np.float32)
    moments = latent_moments(latents, chunk_rows=100)
    np.testing.assert_allclose(moments.mean, latents.mean(axis=0, dtype=np.float64), rtol=1e-10)
    np.testing.assert_allclose(
        moments.covariance, np.cov(latents.astype(np.float64), rowvar=False), rtol=1e-8, atol=1e-10
    )
    np.testing.assert_allclose(moments.correlation(), np.corrcoef(latents, rowvar=False), atol=1e-9)
    assert moments.count == 1003


def test_constant_component_has_nan_correlation_and_bad_input_is_named():
    latents = np.c_[np.arange(10.0), np.ones(10)]
    corr = latent_moments(latents).correlation()
    assert corr[0, 0] == 1.0 and np.isnan(corr[1, 1]) and np.isnan(corr[0, 1])
    with pytest.raises(ValueError, match=r"\(N >= 2, d\)"):
        latent_moments(np.zeros((1, 3)))
