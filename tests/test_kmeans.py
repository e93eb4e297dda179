import numpy as np
import pytest

from model.analysis.kmeans import KMeansCurve, kmeans_inertia
from model.analysis.results import load_result, save_result


def planted_clusters(count: int = 500, clusters: int = 5, dim: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=20.0, size=(clusters, dim))
    labels = rng.integers(0, clusters, count)
    return (centres[labels] + rng.normal(size=(count, dim))).astype(np.float32), labels


def test_inertia_decreases_with_an_elbow_at_the_planted_clusters():
    latents, _ = planted_clusters()
    curve = kmeans_inertia(latents, ks=range(2, 10), batch_size=256, n_threads=1)
    np.testing.assert_array_equal(curve.ks, np.arange(2, 10))
    assert np.all(np.diff(curve.inertia) < 0)
    drops = curve.inertia[:-1] / curve.inertia[1:]  # drop from k to k + 1
    assert curve.ks[np.argmax(drops) + 1] == 5
    assert curve.inertia[3] < 1.2 * 500 * 8  # k = 5: only the unit noise is left
    assert np.all(drops[3:] < 1.2)  # beyond 5, little gain
    assert curve.seconds.shape == (8,) and np.all(curve.seconds > 0)


def test_same_seed_same_curve_and_round_trip(tmp_path):
    latents, _ = planted_clusters(count=300)
    curve = kmeans_inertia(latents, ks=[2, 5], seed=3, batch_size=128, progress=True, n_threads=1)
    again = kmeans_inertia(latents, ks=[2, 5], seed=3, batch_size=128, n_threads=1)
    np.testing.assert_array_equal(curve.inertia, again.inertia)
    # float32 sums in another order: other thread counts agree to rounding
    threaded = kmeans_inertia(latents, ks=[2, 5], seed=3, batch_size=128, n_threads=2)
    np.testing.assert_allclose(threaded.inertia, curve.inertia, rtol=1e-5)
    save_result(curve, tmp_path / "kmeans.npz")
    loaded = load_result(KMeansCurve, tmp_path / "kmeans.npz")
    np.testing.assert_array_equal(loaded.ks, curve.ks)
    np.testing.assert_array_equal(loaded.inertia, curve.inertia)


def test_bad_input_is_named():
    latents, _ = planted_clusters(count=50)
    with pytest.raises(ValueError, match=r"1\.\.50"):
        kmeans_inertia(latents, ks=[2, 80])
    with pytest.raises(ValueError, match="at least one k"):
        kmeans_inertia(latents, ks=[])
    latents[10, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or Inf.*row 10"):
        kmeans_inertia(latents, ks=[2])
