"""The built-in synthetic faces: deterministic, every factor visible, stored with attributes."""

import numpy as np
import pytest

from model.data.face_factors import CONTINUOUS_RANGES, SAMPLED_BINARY
from model.data.store import Dataset
from model.data.synthetic import (
    BINARY_ATTRIBUTES,
    FACTOR_NAMES,
    build_synthetic,
    render_batch,
    render_face,
    sample_factors,
)


def test_at_least_twelve_factors_continuous_and_binary():
    assert len(CONTINUOUS_RANGES) >= 12 and len(BINARY_ATTRIBUTES) >= 8
    assert set(FACTOR_NAMES) == set(CONTINUOUS_RANGES) | set(BINARY_ATTRIBUTES)
    assert {"Smiling", "Eyeglasses", "Bald", "Bangs", "No_Beard", "Male"} <= set(BINARY_ATTRIBUTES)


def test_same_seed_same_faces_other_seed_other_faces():
    images, rows = render_batch(range(6), seed=3, image_size=32)
    again, rows_again = render_batch(range(6), seed=3, image_size=32)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(rows, rows_again)
    other, _ = render_batch(range(6), seed=4, image_size=32)
    assert not np.array_equal(images, other)


def test_any_image_renders_alone_as_in_a_batch():
    images, rows = render_batch(range(10, 16), seed=0, image_size=32)
    for offset, index in enumerate(range(10, 16)):
        factors = sample_factors(index, seed=0)
        np.testing.assert_array_equal(render_face(factors, 32), images[offset])
        assert rows[offset].tolist() == pytest.approx([factors[n] for n in FACTOR_NAMES])


WRAPPING = {"background_hue", "clothing_hue", "light_angle"}


def _neutral() -> dict[str, float]:
    factors = sample_factors(0, seed=0)
    factors.update({name: (low + high) / 2 for name, (low, high) in CONTINUOUS_RANGES.items()})
    factors.update(
        {
            "Male": 1.0,
            "Eyeglasses": 0.0,
            "Bald": 0.0,
            "Bangs": 0.0,
            "Long_Hair": 0.0,
            "No_Beard": 1.0,
            "Mustache": 0.0,
            "Wearing_Lipstick": 0.0,
        }
    )
    return factors


@pytest.mark.parametrize("name", list(CONTINUOUS_RANGES) + list(SAMPLED_BINARY))
def test_every_factor_changes_the_pixels(name):
    low_factors, high_factors = _neutral(), _neutral()
    if name in CONTINUOUS_RANGES:
        low, high = CONTINUOUS_RANGES[name]
        # hues and angles wrap around (their ends look the same): compare opposite values
        high = (low + high) / 2 if name in WRAPPING else high
        low_factors[name], high_factors[name] = low, high
    else:
        low_factors[name], high_factors[name] = 0.0, 1.0
        if name == "Long_Hair":  # long hair shows most without bangs on a woman
            low_factors["Male"] = high_factors["Male"] = 0.0
        if name == "Wearing_Lipstick":
            low_factors["Male"] = high_factors["Male"] = 0.0
    a = render_face(low_factors, 64).astype(np.int16)
    b = render_face(high_factors, 64).astype(np.int16)
    changed = int(np.sum(np.abs(a - b).max(axis=-1) > 8))
    assert changed >= 16, f"{name} changes only {changed} pixels"  # small features: nose, iris


def test_binary_attributes_are_zero_one_and_take_both_values():
    rows = np.array([[sample_factors(i, 0)[n] for n in BINARY_ATTRIBUTES] for i in range(400)])
    assert set(np.unique(rows)) <= {0.0, 1.0}
    assert np.all(rows.min(axis=0) == 0) and np.all(rows.max(axis=0) == 1)
    smile = np.array([sample_factors(i, 0)["smile"] for i in range(400)])
    smiling = rows[:, BINARY_ATTRIBUTES.index("Smiling")]
    assert np.all((smile > 0.3) == (smiling == 1))


def test_data_set_is_stored_with_attributes_and_split(tmp_path):
    info = build_synthetic(
        tmp_path / "one", count=40, test_count=8, image_size=32, seed=5, workers=1, progress=False
    )
    assert info.split == {"train": [0, 32], "test": [32, 40]}
    assert info.binary_attributes == list(BINARY_ATTRIBUTES)
    dataset = Dataset(tmp_path / "one")
    images, rows = render_batch(range(40), seed=5, image_size=32)
    np.testing.assert_array_equal(dataset.read(0, 40), images)
    table = dataset.attributes()
    assert table.names == FACTOR_NAMES
    np.testing.assert_allclose(table.values, rows, rtol=1e-5, atol=1e-5)


def test_worker_count_does_not_change_a_single_byte(tmp_path):
    kwargs = {"count": 300, "test_count": 30, "image_size": 16, "seed": 1, "progress": False}
    build_synthetic(tmp_path / "one", workers=1, **kwargs)
    build_synthetic(tmp_path / "two", workers=2, **kwargs)
    for name in ("images.npy", "attributes.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "count must be positive, got 0"),
        ({"count": 10, "test_count": 10}, "test_count must be in"),
        ({"image_size": 8}, "image_size must be at least 16 px, got 8"),
        ({"seed": -1}, "seed must be a whole number from 0 to 4294967295, got -1"),
    ],
)
def test_bad_arguments_name_the_value(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_synthetic(tmp_path / "x", **{"count": 20, "test_count": 2, **kwargs})
    assert not (tmp_path / "x").exists()


def test_a_failure_mid_build_leaves_nothing(tmp_path, monkeypatch):
    from model.data import synthetic

    def broken(task):
        if task[0] > 0:
            raise RuntimeError("renderer crashed")
        return synthetic.render_batch(range(task[0], task[1]), task[2], task[3])

    monkeypatch.setattr(synthetic, "_render_chunk", broken)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        build_synthetic(
            tmp_path / "x", count=300, test_count=10, image_size=16, workers=1, progress=False
        )
    assert list(tmp_path.iterdir()) == []
