import numpy as np
import pytest

from app.figures.correlations import strongest_pairs
from model.analysis.correlations import CorrelationAnalysis, analyze_correlations
from model.analysis.results import load_result, save_result
from tests.support import assert_same_result


def planted_pairs(rows: int = 5000, seed: int = 0) -> np.ndarray:
    """12 components: r(0, 1) = 0.9, r(2, 3) = -0.7, r(4, 5) = 0.55, component 11 constant."""
    rng = np.random.default_rng(seed)
    latents = rng.normal(size=(rows, 12))
    for i, j, r in [(0, 1, 0.9), (2, 3, -0.7), (4, 5, 0.55)]:
        latents[:, j] = r * latents[:, i] + np.sqrt(1 - r**2) * latents[:, j]
    latents[:, 11] = 2.5
    return (latents + 10.0).astype(np.float32)


def brute_force_counts(latents: np.ndarray, thresholds) -> list[int]:
    r = np.corrcoef(latents, rowvar=False)
    upper = np.abs(r[np.triu_indices(len(r), k=1)])
    return [int(np.count_nonzero(upper > t)) for t in thresholds]


def test_planted_pairs_are_recovered_with_sign_and_order():
    latents = planted_pairs()
    result = analyze_correlations(latents, chunk_rows=1000)
    np.testing.assert_array_equal(result.pair_i, [0, 2, 4])
    np.testing.assert_array_equal(result.pair_j, [1, 3, 5])
    np.testing.assert_allclose(result.pair_r, [0.9, -0.7, 0.55], atol=0.03)
    assert result.count == 5000 and result.threshold == 0.5
    np.testing.assert_allclose(result.count_thresholds, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    np.testing.assert_array_equal(result.pair_counts, [3, 3, 3, 3, 3, 2])
    # The constant component has NaN correlations and takes part in no pair.
    assert np.isnan(result.matrix[11]).all() and np.isnan(result.matrix[:, 11]).all()
    np.testing.assert_allclose(
        result.matrix[:11, :11], np.corrcoef(latents[:, :11], rowvar=False), atol=1e-6
    )


def test_counts_and_pairs_equal_a_brute_force_corrcoef():
    rng = np.random.default_rng(1)
    mixing = rng.normal(size=(20, 20)) * (rng.random((20, 20)) < 0.15) + np.eye(20)
    latents = (rng.normal(size=(3000, 20)) @ mixing).astype(np.float32)
    thresholds = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
    result = analyze_correlations(latents, threshold=0.3, chunk_rows=512)
    expected = brute_force_counts(latents, thresholds)
    assert expected[0] > expected[-1] > 0  # the mixing gives a spread of correlations
    np.testing.assert_array_equal(result.pair_counts, expected)
    r = np.corrcoef(latents, rowvar=False)
    i, j = np.triu_indices(20, k=1)
    strong = np.abs(r[i, j]) > 0.3
    assert set(zip(result.pair_i, result.pair_j)) == set(zip(i[strong], j[strong]))
    np.testing.assert_allclose(result.pair_r, r[result.pair_i, result.pair_j], atol=1e-6)
    assert (np.diff(np.abs(result.pair_r)) <= 0).all() and (result.pair_i < result.pair_j).all()


def test_result_round_trips(tmp_path):
    result = analyze_correlations(planted_pairs(500), count_thresholds=(0.2, 0.4))
    save_result(result, tmp_path / "correlations.npz")
    assert_same_result(load_result(CorrelationAnalysis, tmp_path / "correlations.npz"), result)


def test_bad_input_is_named():
    latents = planted_pairs(50)
    with pytest.raises(ValueError, match=r"N >= 2 rows and d >= 1, got \(1, 12\)"):
        analyze_correlations(latents[:1])
    with pytest.raises(ValueError, match="got 1-D"):
        analyze_correlations(latents[0])
    bad = latents.copy()
    bad[7, 3] = np.nan
    with pytest.raises(ValueError, match="non-finite value .* in row 7"):
        analyze_correlations(bad)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\), got 1.5"):
        analyze_correlations(latents, threshold=1.5)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\), got -0.1"):
        analyze_correlations(latents, count_thresholds=(-0.1,))


def planted_matrix() -> np.ndarray:
    """8 components: r(0, 1) = 0.9, r(2, 3) = -0.7, r(4, 5) = 0.05, r(1, 6) = -0.02, every other
    pair 0; component 7 is constant (NaN row and column, as `analyze_correlations` gives)."""
    matrix = np.eye(8)
    for i, j, r in [(0, 1, 0.9), (2, 3, -0.7), (4, 5, 0.05), (1, 6, -0.02)]:
        matrix[i, j] = matrix[j, i] = r
    matrix[7, :] = matrix[:, 7] = np.nan
    return matrix


def test_strongest_pairs_are_sorted_by_abs_r_whatever_their_size():
    i, j, r = strongest_pairs(planted_matrix())
    # Fewer than 16 nonzero pairs: all of them, weak ones too; no pair with the constant 7.
    assert list(zip(i.tolist(), j.tolist())) == [(0, 1), (2, 3), (4, 5), (1, 6)]
    np.testing.assert_allclose(r, [0.9, -0.7, 0.05, -0.02])
    i, j, r = strongest_pairs(planted_matrix(), count=2)
    assert list(zip(i.tolist(), j.tolist())) == [(0, 1), (2, 3)]


def test_strongest_pairs_take_the_16_largest_abs_r_of_all_pairs():
    rng = np.random.default_rng(2)
    upper = np.triu(rng.uniform(-0.3, 0.3, (12, 12)), k=1)
    matrix = upper + upper.T + np.eye(12)
    matrix[11, :] = matrix[:, 11] = np.nan
    i, j, r = strongest_pairs(matrix)
    assert len(r) == 16 and (i < j).all() and 11 not in i and 11 not in j
    np.testing.assert_array_equal(r, matrix[i, j])
    all_i, all_j = np.triu_indices(11, k=1)  # the 55 pairs without the constant component
    ranked = np.sort(np.abs(matrix[all_i, all_j]))[::-1]
    np.testing.assert_array_equal(np.abs(r), ranked[:16])
