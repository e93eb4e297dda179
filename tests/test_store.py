"""The on-disk data set format: streamed .npy, metadata, attribute table, crash safety."""

import hashlib
import json

import numpy as np
import pytest

from model.data.store import (
    INFO_FILE,
    AttributeTable,
    Dataset,
    create_dataset,
    make_split,
)
from model.npy_stream import NpyStreamWriter
from tests.support import blob_images, write_blob_dataset


def test_streamed_npy_loads_with_numpy(tmp_path):
    path = tmp_path / "rows.npy"
    writer = NpyStreamWriter(path, (3,), np.float32)
    chunks = [np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((5, 3), np.float32)]
    for chunk in chunks:
        writer.append(chunk)
    writer.close()
    np.testing.assert_array_equal(np.load(path), np.concatenate(chunks))
    expected = hashlib.sha256(np.concatenate(chunks).tobytes()).hexdigest()
    assert writer.rows_sha256 == expected
    with pytest.raises(ValueError, match=r"rows.npy: rows must be float32 of shape \(n, 3\)"):
        NpyStreamWriter(tmp_path / "rows.npy", (3,), np.float32).append(np.ones((1, 4)))


def test_dataset_round_trip(tmp_path):
    images = blob_images(50, 16)
    table = AttributeTable(
        ("Smiling", "smile"),
        np.c_[np.arange(50) % 2, np.linspace(-1, 1, 50)].astype(np.float32),
        binary=("Smiling",),
    )
    with create_dataset(tmp_path / "ds", 16) as writer:
        writer.add_images(images[:30])
        writer.add_images(images[30:])
        writer.finish(
            {"kind": "test"},
            make_split(50, 45, 5),
            table,
            crop=(0, 40, 178, 218),
            skipped=[{"file": "x.jpg", "reason": "corrupt"}],
        )
    dataset = Dataset(tmp_path / "ds")
    assert len(dataset) == 50 and dataset.info.split == {"train": [0, 45], "test": [45, 50]}
    assert dataset.info.binary_attributes == ["Smiling"]
    assert dataset.info.continuous_attributes == ["smile"]
    assert dataset.info.skipped == [{"file": "x.jpg", "reason": "corrupt"}]
    np.testing.assert_array_equal(dataset.read(0, 50), images)
    np.testing.assert_array_equal(dataset.take([49, 3, 3]), images[[49, 3, 3]])
    np.testing.assert_array_equal(dataset.images[7], images[7])
    loaded = dataset.attributes()
    assert loaded.names == table.names and loaded.binary == ("Smiling",)
    np.testing.assert_allclose(loaded.values, table.values, rtol=1e-5)
    assert list(dataset.info.split_range("test")) == list(range(45, 50))
    with pytest.raises(IndexError):
        dataset.read(40, 51)


def test_a_failed_build_leaves_nothing_and_keeps_the_old_data_set(tmp_path):
    write_blob_dataset(tmp_path / "ds", count=20, n_test=4)
    before = (tmp_path / "ds" / "images.npy").read_bytes()
    with (
        pytest.raises(RuntimeError, match="boom"),
        create_dataset(tmp_path / "ds", 32, overwrite=True) as writer,
    ):
        writer.add_images(blob_images(5, 32))
        raise RuntimeError("boom")
    assert (tmp_path / "ds" / "images.npy").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no temporary left over
    with (
        pytest.raises(FileExistsError, match="already exists"),
        create_dataset(tmp_path / "ds", 32),
    ):
        pass


def test_bad_metadata_is_named(tmp_path):
    write_blob_dataset(tmp_path / "ds", count=20, n_test=4)
    info = json.loads((tmp_path / "ds" / INFO_FILE).read_text())
    (tmp_path / "ds" / INFO_FILE).write_text(json.dumps({**info, "count": 21}))
    with pytest.raises(ValueError, match=r"images.npy holds uint8 \(20, 32, 32, 3\), dataset.json"):
        Dataset(tmp_path / "ds")
    with pytest.raises(FileNotFoundError, match="not a data set"):
        Dataset(tmp_path / "nothing")
    with pytest.raises(ValueError, match="must equal"):
        make_split(10, 8, 3)
    with pytest.raises(ValueError, match="attribute values have shape"):
        AttributeTable(("a", "b"), np.zeros((3, 3)))


def test_the_identity_is_the_images_and_split_not_the_build(tmp_path):
    """Two builds of the same images (at other times, from other paths) are the same data set
    to a run; other images, or another split, are not."""
    for name in ("a", "b"):
        write_blob_dataset(tmp_path / name, count=40, n_test=8)
    first = Dataset(tmp_path / "a")
    info_path = tmp_path / "b" / INFO_FILE
    info = json.loads(info_path.read_text())
    info["created"], info["source"]["path"] = "2020-01-01T00:00:00+00:00", "/elsewhere"
    info_path.write_text(json.dumps(info))
    assert Dataset(tmp_path / "b").identity() == first.identity()
    assert first.info.images_sha256 == hashlib.sha256(first.images.tobytes()).hexdigest()

    write_blob_dataset(tmp_path / "c", count=40, n_test=8, seed=1)
    write_blob_dataset(tmp_path / "d", count=40, n_test=10)
    for other in ("c", "d"):
        assert Dataset(tmp_path / other).identity() != first.identity()
