import numpy as np
import pytest
from sklearn.decomposition import PCA

from model.analysis.pca import PcaResult, fit_pca, project
from model.analysis.results import load_result, save_result


def correlated_latents(count: int = 500, dim: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = np.linspace(3.0, 0.2, dim)
    return (rng.normal(size=(count, dim)) * scales @ rng.normal(size=(dim, dim)) + 5.0).astype(
        np.float32
    )


def test_pca_equals_sklearn_up_to_sign():
    latents = correlated_latents()
    result = fit_pca(latents, n_components=5, chunk_rows=64)
    reference = PCA(n_components=12, svd_solver="full").fit(latents.astype(np.float64))
    np.testing.assert_allclose(result.explained_variance, reference.explained_variance_, rtol=1e-6)
    np.testing.assert_allclose(
        result.explained_variance_ratio, reference.explained_variance_ratio_, rtol=1e-6
    )
    np.testing.assert_allclose(result.mean, reference.mean_, rtol=1e-6)
    signs = np.sign(np.sum(result.components * reference.components_[:5], axis=1))
    np.testing.assert_allclose(
        result.components, signs[:, None] * reference.components_[:5], atol=1e-6
    )
    expected = reference.transform(latents.astype(np.float64))[:, :5] * signs
    np.testing.assert_allclose(result.coordinates, expected, rtol=1e-4, atol=1e-4)
    assert result.coordinates.dtype == np.float32 and result.coordinates.shape == (500, 5)
    assert result.n_components == 5 and result.explained_variance.shape == (12,)


def test_components_are_orthonormal_sorted_and_signed():
    result = fit_pca(correlated_latents(), n_components=99)
    assert result.n_components == 12  # k = min(n_components, d)
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(12), atol=1e-10)
    assert np.all(np.diff(result.explained_variance) <= 0)
    largest = result.components[np.arange(12), np.argmax(np.abs(result.components), axis=1)]
    assert np.all(largest > 0)
    np.testing.assert_allclose(result.explained_variance_ratio.sum(), 1.0)


def test_planted_rank_three_structure_shows_in_explained_variance():
    rng = np.random.default_rng(1)
    basis = np.linalg.qr(rng.normal(size=(20, 3)))[0].T  # 3 orthonormal directions in 20-d
    latents = rng.normal(size=(600, 3)) * [5.0, 3.0, 2.0] @ basis + 0.01 * rng.normal(
        size=(600, 20)
    )
    result = fit_pca(latents.astype(np.float32), n_components=4)
    assert result.explained_variance_ratio[:3].sum() > 0.999
    assert result.explained_variance_ratio[3] < 1e-4
    np.testing.assert_allclose(np.sqrt(result.explained_variance[:3]), [5, 3, 2], rtol=0.15)
    # the kept subspace is the planted one
    overlap = np.linalg.svd(result.components[:3] @ basis.T, compute_uv=False)
    np.testing.assert_allclose(overlap, 1.0, atol=1e-4)


def test_memmap_input_and_transform_match(tmp_path):
    latents = correlated_latents(count=300)
    mapped = np.lib.format.open_memmap(tmp_path / "z.npy", "w+", np.float32, latents.shape)
    mapped[:] = latents
    from_memmap = fit_pca(mapped, n_components=3, chunk_rows=50)
    in_memory = fit_pca(latents, n_components=3)
    np.testing.assert_allclose(from_memmap.coordinates, in_memory.coordinates, atol=1e-4)
    np.testing.assert_allclose(in_memory.transform(latents[:7]), in_memory.coordinates[:7])
    with pytest.raises(ValueError, match=r"\(7, 5\) do not match"):
        project(np.zeros((7, 5)), in_memory.mean, in_memory.components)


def test_round_trip(tmp_path):
    result = fit_pca(correlated_latents(count=100), n_components=3)
    save_result(result, tmp_path / "pca.npz")
    loaded = load_result(PcaResult, tmp_path / "pca.npz")
    for name in (
        "mean",
        "components",
        "explained_variance",
        "explained_variance_ratio",
        "coordinates",
    ):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(result, name))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_latents_are_refused(bad):
    latents = correlated_latents(count=100)
    latents[37, 2] = bad
    with pytest.raises(ValueError, match="NaN or Inf.*row 37"):
        fit_pca(latents, chunk_rows=16)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n_components must be >= 1, got 0"):
        fit_pca(correlated_latents(), n_components=0)
    with pytest.raises(ValueError, match=r"needs N >= 2 rows and d >= 1, got \(1, 4\)"):
        fit_pca(np.zeros((1, 4), np.float32))
    with pytest.raises(ValueError, match="all 5 latents are identical"):
        fit_pca(np.ones((5, 3), np.float32))
