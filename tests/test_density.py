import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from model.analysis.density import (
    GaussianFit,
    LatentIndex,
    NearestData,
    build_nearest_data,
    distance_percentile,
    fit_gaussian,
)
from model.analysis.results import load_result, save_result


def correlated(count: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    return (rng.normal(size=(count, dim)) @ mixing + rng.normal(size=dim)).astype(np.float32)


def test_fit_equals_numpy_on_a_memory_map(tmp_path):
    latents = correlated(1001, 6)
    mapped = np.lib.format.open_memmap(tmp_path / "z.npy", "w+", np.float32, latents.shape)
    mapped[:] = latents
    fit = fit_gaussian(mapped, chunk_rows=128)
    reference = latents.astype(np.float64)
    np.testing.assert_allclose(fit.mean, reference.mean(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fit.covariance, np.cov(reference, rowvar=False), atol=1e-10)
    np.testing.assert_allclose(fit.cholesky @ fit.cholesky.T, fit.covariance, atol=1e-10)
    assert np.all(np.triu(fit.cholesky, 1) == 0) and fit.jitter == 0.0 and fit.count == 1001


def test_collapsed_dimension_gets_a_tiny_jitter():
    latents = correlated(300, 8)
    latents[:, 3] = 0.5  # a collapsed dimension: singular covariance
    fit = fit_gaussian(latents)
    mean_variance = np.mean(np.diag(fit.covariance))
    assert 0 < fit.jitter <= 1e-4 * mean_variance
    shifted = fit.covariance + fit.jitter * np.eye(8)
    np.testing.assert_allclose(fit.cholesky @ fit.cholesky.T, shifted, atol=1e-12)
    with pytest.raises(ValueError, match="every latent component is constant"):
        fit_gaussian(np.ones((4, 3), np.float32))


def test_the_index_equals_sklearn_brute_force():
    latents = correlated(1500, 12, seed=1)
    queries = correlated(40, 12, seed=2)
    distances, indices = LatentIndex(latents, chunk_rows=200).query(queries, k=5)
    reference = NearestNeighbors(n_neighbors=5, algorithm="brute").fit(latents.astype(np.float64))
    expected_distances, expected_indices = reference.kneighbors(queries.astype(np.float64))
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-9, atol=1e-9)
    assert distances.shape == (40, 5) and indices.dtype == np.int64


def test_reference_excludes_self_matches_and_matches_sklearn():
    latents = correlated(600, 8, seed=4)
    latents[7] = latents[300]  # one duplicated point: the only zero distances
    reference = build_nearest_data(latents, sample_size=10_000, seed=0, chunk_rows=128)
    assert reference.distances.dtype == np.float32 and len(reference.distances) == 600
    assert np.all(np.diff(reference.distances) >= 0)
    assert sorted(reference.indices[:2]) == [7, 300] and reference.distances[2] > 0
    assert np.all(reference.distances[:2] == 0)
    neighbours = NearestNeighbors(n_neighbors=2).fit(latents.astype(np.float64))
    expected = np.sort(neighbours.kneighbors()[0][:, 0])  # kneighbors() leaves each point out
    np.testing.assert_allclose(reference.distances, expected, rtol=1e-6)


def test_sample_is_seeded_and_without_repeats():
    latents = correlated(500, 4)
    first = build_nearest_data(latents, sample_size=50, seed=9)
    again = build_nearest_data(latents, sample_size=50, seed=9)
    np.testing.assert_array_equal(first.indices, again.indices)
    assert len(set(first.indices.tolist())) == 50 and first.indices.max() < 500
    assert (first.count, first.dim, first.seed) == (500, 4, 9)
    assert not np.array_equal(
        np.sort(first.indices), np.sort(build_nearest_data(latents, 50, 1).indices)
    )


def test_percentile_is_zero_on_data_high_far_away_and_in_between_for_fresh_samples():
    both = correlated(3400, 6, seed=5)
    latents, fresh = both[:3000], both[3000:]  # fresh: same distribution, not in the data
    index = LatentIndex(latents, chunk_rows=1000)
    reference = build_nearest_data(latents, sample_size=1000, seed=0)

    def percentile(queries: np.ndarray) -> np.ndarray:
        return distance_percentile(index.query(queries)[0][:, 0], reference)

    assert np.all(percentile(latents[:20]) == 0)
    assert np.all(percentile(latents[:3] + 100.0) == 100)
    typical = np.median(percentile(fresh))
    assert 20 < typical < 80
    with pytest.raises(ValueError, match="finite and >= 0"):
        distance_percentile(np.array([np.nan]), reference)


def test_bad_input_is_named():
    latents = correlated(50, 4)
    latents[17, 2] = np.nan
    with pytest.raises(
        ValueError, match=r"latents has a non-finite value \(NaN or Inf\) in row 17"
    ):
        fit_gaussian(latents, chunk_rows=8)
    with pytest.raises(
        ValueError, match=r"latents has a non-finite value \(NaN or Inf\) in row 17"
    ):
        build_nearest_data(latents, chunk_rows=8)
    index = LatentIndex(correlated(50, 4))
    with pytest.raises(ValueError, match=r"queries must have shape \(m, 4\), got \(2, 3\)"):
        index.query(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"queries has a non-finite value \(NaN or Inf\) in row 1"):
        index.query(np.array([[0, 0, 0, 0], [0, np.inf, 0, 0]]))
    with pytest.raises(ValueError, match="k must be between 1 and 50, got 51"):
        index.query(np.zeros((1, 4)), k=51)


def test_results_round_trip(tmp_path):
    latents = correlated(200, 5)
    fit = fit_gaussian(latents)
    reference = build_nearest_data(latents, sample_size=64)
    for result, cls in ((fit, GaussianFit), (reference, NearestData)):
        save_result(result, tmp_path / "r.npz")
        loaded = load_result(cls, tmp_path / "r.npz")
        for name, value in vars(result).items():
            np.testing.assert_array_equal(getattr(loaded, name), value)


def test_landing_reports_radius_nearest_row_and_percentile():
    from model.analysis.density import LatentIndex, landing

    rng = np.random.default_rng(0)
    data = rng.normal(size=(500, 6)).astype(np.float32)
    reference = build_nearest_data(data, sample_size=200, seed=0)
    queries = np.stack([data[17], np.full(6, 40.0, np.float32)])
    result = landing(queries, LatentIndex(data), reference)
    np.testing.assert_allclose(result.radius, np.linalg.norm(queries, axis=1), rtol=1e-6)
    assert result.nearest_index[0] == 17 and result.nearest_distance[0] == pytest.approx(
        0, abs=1e-4
    )
    assert result.percentile[0] == 0.0 and result.percentile[1] == 100.0
