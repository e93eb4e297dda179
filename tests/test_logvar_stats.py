import numpy as np
import pytest

from model.analysis.logvar_stats import LogvarAnalysis, analyze_logvar
from model.analysis.results import load_result, save_result
from tests.support import assert_same_result


def tiny_kl(rows: int = 50, dim: int = 6, seed: int = 0):
    """z = mu + eps * exp(logvar / 2) with logvar in [-24, -10], so |z - mu| < 0.05 everywhere
    except three planted entries: 0.1 and 1.5 (inside the 0.05-2 band) and 2.5 (outside)."""
    rng = np.random.default_rng(seed)
    mu = (rng.normal(size=(rows, dim)) * 3).astype(np.float32)
    logvar = rng.uniform(-24, -10, size=(rows, dim)).astype(np.float32)
    z = (mu + rng.normal(size=mu.shape) * np.exp(logvar / 2)).astype(np.float32)
    z[3, 2] = mu[3, 2] + 0.1
    z[10, 0] = mu[10, 0] - 1.5
    z[20, 5] = mu[20, 5] + 2.5
    return z, mu, logvar


def test_statistics_equal_direct_numpy():
    z, mu, logvar = tiny_kl()
    result = analyze_logvar(z, mu, logvar, chunk_rows=7)
    diff = np.abs(z.astype(np.float64) - mu)
    assert result.band_count == np.count_nonzero((diff > 0.05) & (diff < 2)) == 2
    assert (result.count, result.entries) == (50, 300)
    assert result.max_abs_diff == pytest.approx(diff.max()) and diff.max() == pytest.approx(2.5)
    assert (result.logvar_min, result.logvar_max) == (logvar.min(), logvar.max())
    assert result.logvar_mean == pytest.approx(logvar.mean(dtype=np.float64), rel=1e-12)
    r_z = np.linalg.norm(z.astype(np.float64), axis=1)
    r_mu = np.linalg.norm(mu.astype(np.float64), axis=1)
    measured = [result.radius_z_min, result.radius_z_max, result.radius_z_mean]
    np.testing.assert_allclose(measured, [r_z.min(), r_z.max(), r_z.mean()], rtol=1e-12)
    measured = [result.radius_mu_min, result.radius_mu_max, result.radius_mu_mean]
    np.testing.assert_allclose(measured, [r_mu.min(), r_mu.max(), r_mu.mean()], rtol=1e-12)
    gap = np.abs(r_z - r_mu)
    measured = [result.radius_abs_diff_mean, result.radius_abs_diff_max]
    np.testing.assert_allclose(measured, [gap.mean(), gap.max()], rtol=1e-9)
    measured = [result.radius_rel_diff_mean, result.radius_rel_diff_max]
    np.testing.assert_allclose(measured, [(gap / r_mu).mean(), (gap / r_mu).max()], rtol=1e-9)


def test_band_limits_are_parameters_and_zero_radius_rows_skip_the_relative_difference():
    z, mu, logvar = tiny_kl()
    assert analyze_logvar(z, mu, logvar, diff_low=0.2, diff_high=3.0).band_count == 2  # 1.5, 2.5
    mu[0] = 0.0
    z[0] = 0.01
    result = analyze_logvar(z, mu, logvar)
    r_z = np.linalg.norm(z.astype(np.float64), axis=1)
    r_mu = np.linalg.norm(mu.astype(np.float64), axis=1)
    rel = np.abs(r_z - r_mu)[1:] / r_mu[1:]
    assert result.radius_rel_diff_mean == pytest.approx(rel.mean(), rel=1e-9)
    assert result.radius_abs_diff_max == pytest.approx(np.abs(r_z - r_mu).max(), rel=1e-9)


def test_result_round_trips(tmp_path):
    result = analyze_logvar(*tiny_kl())
    save_result(result, tmp_path / "logvar.npz")
    assert_same_result(load_result(LogvarAnalysis, tmp_path / "logvar.npz"), result)


def test_bad_input_is_named():
    z, mu, logvar = tiny_kl()
    with pytest.raises(ValueError, match=r"same shape, got .*'logvar': \(49, 6\)"):
        analyze_logvar(z, mu, logvar[1:])
    with pytest.raises(ValueError, match=r"mu must have shape \(N, d\), got 3-D"):
        analyze_logvar(z, mu[None], logvar)
    bad = logvar.copy()
    bad[12, 4] = np.inf
    with pytest.raises(ValueError, match="logvar has a non-finite value .* in row 12"):
        analyze_logvar(z, mu, bad, chunk_rows=5)
    bad = z.copy()
    bad[33, 0] = np.nan
    with pytest.raises(ValueError, match="z has a non-finite value .* in row 33"):
        analyze_logvar(bad, mu, logvar)
    with pytest.raises(ValueError, match="need 0 <= diff_low < diff_high, got 2, 1"):
        analyze_logvar(z, mu, logvar, diff_low=2, diff_high=1)
