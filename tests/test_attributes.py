import numpy as np
import pytest

from model.analysis.attributes import AttributeAnalysis, analyze_attributes
from model.analysis.results import load_result, save_result
from model.data.store import AttributeTable

DIM = 6


def planted(count: int = 2000, seed: int = 0) -> tuple[np.ndarray, AttributeTable, np.ndarray]:
    """Latents shifted by 2 * `direction` where `smiling` is 1, plus a continuous `age`."""
    rng = np.random.default_rng(seed)
    smiling = (rng.random(count) < 0.3).astype(np.float32)
    age = rng.normal(40.0, 10.0, count).astype(np.float32)
    direction = rng.normal(size=DIM)
    direction /= np.linalg.norm(direction)
    latents = rng.normal(size=(count, DIM)) + 2.0 * smiling[:, None] * direction + 7.0
    latents[:, 1] += 0.05 * (age - 40.0)  # component 1 follows age
    values = np.c_[smiling, age, np.ones(count), np.zeros(count)].astype(np.float32)
    table = AttributeTable(("smiling", "age", "wears_hat", "bald"), values, ("smiling", "bald"))
    return latents.astype(np.float32), table, direction


def test_correlations_equal_numpy_column_by_column():
    latents, table, _ = planted()
    result = analyze_attributes(latents, table, chunk_rows=300)
    assert result.correlation.shape == (DIM, 4)
    for j, name in enumerate(table.names[:2]):
        joint = np.corrcoef(np.c_[latents, table.column(name)], rowvar=False)
        np.testing.assert_allclose(result.correlation[:, j], joint[:DIM, DIM], atol=1e-9)
    assert result.correlation[1, 1] > 0.3  # the planted age dependence


def test_planted_direction_is_recovered_with_counts():
    latents, table, direction = planted()
    result = analyze_attributes(latents, table, chunk_rows=300)
    assert result.binary == ["smiling", "bald"] and result.directions.shape == (2, DIM)
    found = result.direction("smiling")
    assert found @ direction / np.linalg.norm(found) > 0.99
    smiling = table.column("smiling") == 1
    expected = latents[smiling].mean(axis=0, dtype=np.float64) - latents[~smiling].mean(
        axis=0, dtype=np.float64
    )
    np.testing.assert_allclose(found, expected, atol=1e-9)
    assert result.counts_with[0] == smiling.sum() and result.counts_without[0] == (~smiling).sum()
    assert (result.counts_with[1], result.counts_without[1]) == (0, 2000)


def test_constant_attributes_are_skipped_with_a_reason():
    latents, table, _ = planted()
    result = analyze_attributes(latents, table)
    assert result.skipped == [
        {"name": "wears_hat", "reason": "constant: every value is 1"},
        {"name": "bald", "reason": "constant: every value is 0"},
    ]
    assert np.isnan(result.correlation[:, 2:]).all() and np.isnan(result.directions[1]).all()
    assert not np.isnan(result.correlation[:, :2]).any()
    with pytest.raises(ValueError, match="'bald' has no direction: constant"):
        result.direction("bald")
    with pytest.raises(ValueError, match="'age' is not a binary attribute"):
        result.direction("age")


def test_bad_input_is_named():
    latents, table, _ = planted()
    with pytest.raises(ValueError, match="attribute table has 2000 rows for 1999 latent rows"):
        analyze_attributes(latents[:-1], table)
    latents[123, 4] = np.inf
    with pytest.raises(
        ValueError, match=r"latents has a non-finite value \(NaN or Inf\) in row 123"
    ):
        analyze_attributes(latents, table, chunk_rows=100)
    values = table.values.copy()
    values[5, 0] = 0.5
    with pytest.raises(ValueError, match=r"binary attribute 'smiling' holds 0\.5, expected 0 or 1"):
        analyze_attributes(latents, AttributeTable(table.names, values, table.binary))
    values[5, 0], values[9, 1] = 1.0, np.nan
    with pytest.raises(
        ValueError, match=r"attribute 'age' has a non-finite value \(NaN or Inf\) in row 9"
    ):
        analyze_attributes(latents, AttributeTable(table.names, values, table.binary))


def test_result_round_trips(tmp_path):
    latents, table, _ = planted(count=300)
    result = analyze_attributes(latents, table)
    save_result(result, tmp_path / "attributes.npz")
    loaded = load_result(AttributeAnalysis, tmp_path / "attributes.npz")
    for name, value in vars(result).items():
        np.testing.assert_array_equal(getattr(loaded, name), value)
    assert loaded.skipped == result.skipped and loaded.binary == result.binary
