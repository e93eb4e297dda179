import numpy as np

from model.data.pipeline import epoch_order, float_batches
from model.data.store import Dataset
from tests.conftest import write_blob_dataset


def test_epoch_order_is_a_seeded_permutation():
    rows = range(10, 60)
    a, b = epoch_order(rows, seed=3, epoch=0), epoch_order(rows, seed=3, epoch=1)
    assert sorted(a) == list(rows) and sorted(b) == list(rows)
    np.testing.assert_array_equal(a, epoch_order(rows, seed=3, epoch=0))
    assert not np.array_equal(a, b) and not np.array_equal(a, epoch_order(rows, 4, 0))


def test_float_batches_stream_the_rows_in_order(tmp_path):
    write_blob_dataset(tmp_path / "ds", count=50, n_test=10)
    dataset = Dataset(tmp_path / "ds")
    for rows in (range(3, 50), np.array([49, 0, 17, 17, 5])):
        batches = [b.numpy() for b in float_batches(dataset, rows, batch_size=16)]
        assert all(b.dtype == np.float32 and len(b) <= 16 for b in batches)
        expected = dataset.take(np.asarray(rows)) / np.float32(255.0)
        np.testing.assert_allclose(np.concatenate(batches), expected, rtol=1e-6)
