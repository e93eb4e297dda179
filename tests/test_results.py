from dataclasses import dataclass

import numpy as np
import pytest

from model.analysis.results import load_result, save_result


@dataclass(frozen=True)
class Example:
    values: np.ndarray
    peak: float
    count: int
    name: str
    params: dict


def test_round_trip_keeps_arrays_scalars_and_dicts(tmp_path):
    result = Example(
        np.arange(6.0).reshape(2, 3), 1.5, 7, "radius", {"perplexity": 30, "k": [2, 4]}
    )
    save_result(result, tmp_path / "r.npz")
    loaded = load_result(Example, tmp_path / "r.npz")
    np.testing.assert_array_equal(loaded.values, result.values)
    assert (loaded.peak, loaded.count, loaded.name, loaded.params) == (
        1.5,
        7,
        "radius",
        result.params,
    )
    assert isinstance(loaded.peak, float) and isinstance(loaded.count, int)


def test_missing_file_and_field_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="r.npz is missing"):
        load_result(Example, tmp_path / "r.npz")
    np.savez(tmp_path / "r.npz", values=np.zeros(2))
    with pytest.raises(ValueError, match="lacks 'peak'"):
        load_result(Example, tmp_path / "r.npz")
