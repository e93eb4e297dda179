import numpy as np
import pytest

from model.data.batches import epoch_order, image_batches, read_ahead
from model.data.store import Dataset
from tests.support import write_blob_dataset


def test_epoch_order_is_a_seeded_permutation():
    rows = range(10, 60)
    a, b = epoch_order(rows, seed=3, epoch=0), epoch_order(rows, seed=3, epoch=1)
    assert sorted(a) == list(rows) and sorted(b) == list(rows)
    np.testing.assert_array_equal(a, epoch_order(rows, seed=3, epoch=0))
    assert not np.array_equal(a, b) and not np.array_equal(a, epoch_order(rows, 4, 0))


def test_image_batches_stream_the_rows_in_order(tmp_path):
    write_blob_dataset(tmp_path / "ds", count=50, n_test=10)
    dataset = Dataset(tmp_path / "ds")
    for rows in (range(3, 50), np.array([49, 0, 17, 17, 5])):
        batches = list(image_batches(dataset, rows, batch_size=16))
        assert all(b.dtype == np.uint8 and len(b) <= 16 for b in batches)
        np.testing.assert_array_equal(np.concatenate(batches), dataset.take(np.asarray(rows)))


def test_read_ahead_keeps_order_raises_the_producers_error_and_stops_when_closed():
    assert list(read_ahead(iter(range(100)), depth=3)) == list(range(100))

    def failing():
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(read_ahead(failing()))

    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    stream = read_ahead(endless(), depth=2)
    assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
    stream.close()  # joins the producer thread: it must not block on a full queue
    count = len(produced)
    assert count <= 5 + 2 + 1
    assert len(produced) == count  # stopped for good
