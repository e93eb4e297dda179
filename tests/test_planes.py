"""The z under a point of a PCA plane or of two latent axes, against the formulas with numpy's
own full eigenbasis, and the run's decoder fed both."""

import numpy as np
import pytest

from model.analysis.pca import fit_pca
from model.analysis.planes import axes_plane, pca_plane
from model.onnx_decoder import OnnxDecoder


def latents(count: int = 400, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(count, dim)) * np.linspace(3, 0.3, dim) + 1.0).astype(np.float32)


def full_basis(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and every eigenvector of the covariance (rows), by descending eigenvalue."""
    values, vectors = np.linalg.eigh(np.cov(data.astype(np.float64), rowvar=False))
    return data.astype(np.float64).mean(axis=0), vectors[:, np.argsort(values)[::-1]].T


@pytest.mark.parametrize("i, j", [(0, 1), (0, 5), (3, 2)])
def test_a_pca_plane_point_is_mean_plus_the_plane_plus_the_points_other_coordinates(i, j):
    data = latents()
    pca = fit_pca(data, n_components=6)
    mean, basis = full_basis(data)
    basis[:6] = pca.components  # signed as fit_pca signs them; c_k v_k ignores the others' sign
    point = data[17].astype(np.float64)
    c = basis @ (point - mean)  # all d coordinates of the chosen point
    for x, y in ((0.0, 0.0), (1.5, -2.0), (-7.25, 3.5)):
        others = sum(c[k] * basis[k] for k in range(8) if k not in (i, j))
        expected = mean + x * basis[i] + y * basis[j] + others
        np.testing.assert_allclose(pca_plane(pca, i, j, point).at(x, y)[0], expected, atol=2e-5)
        at_mean = mean + x * basis[i] + y * basis[j]
        np.testing.assert_allclose(pca_plane(pca, i, j).at(x, y)[0], at_mean, atol=2e-5)
    # The chosen point sits on its own plane at its own coordinates.
    np.testing.assert_allclose(pca_plane(pca, i, j, point).at(c[i], c[j])[0], point, atol=2e-5)


def test_an_axes_plane_sets_two_components_of_the_point():
    point = latents()[3]
    z = axes_plane(point, 2, 5).at(0.75, -1.5)[0]
    expected = point.copy()
    expected[2], expected[5] = 0.75, -1.5
    np.testing.assert_array_equal(z, expected)
    with pytest.raises(ValueError, match="two different axes"):
        axes_plane(point, 2, 2)
    with pytest.raises(ValueError, match=r"latent component 8 is outside 0..7"):
        axes_plane(point, 1, 8)
    with pytest.raises(ValueError, match="the point has 3 components, the latents 8"):
        pca_plane(fit_pca(latents(), n_components=4), 0, 1, np.zeros(3))


def test_the_decoder_draws_the_planes_z_as_it_draws_the_formulas(artifacts):
    """decode(z(x, y)) equals decoding the formula's z, on the tiny run's own latents."""
    run = artifacts / "runs" / "tiny"
    data = np.load(run / "latents" / "z.npy")
    decoder = OnnxDecoder(run / "train" / "decoder.onnx")
    pca = fit_pca(data, n_components=4)
    mean, basis = full_basis(data)
    basis[:4] = pca.components
    point = data[5].astype(np.float64)
    c = basis @ (point - mean)
    x, y = c[0] + 2.0, c[1] - 1.0
    formula = mean + x * basis[0] + y * basis[1] + sum(
        c[k] * basis[k] for k in range(len(basis)) if k not in (0, 1))  # fmt: skip
    np.testing.assert_allclose(
        decoder.decode(pca_plane(pca, 0, 1, point).at(x, y)),
        decoder.decode(formula[None].astype(np.float32)),
        atol=1e-5,
    )
