import pytest

from model.parallel import ordered_map


def test_ordered_map_keeps_order_in_and_out_of_process():
    items = list(range(-40, 0))
    assert list(ordered_map(abs, items, workers=1)) == [abs(i) for i in items]
    assert list(ordered_map(abs, items, workers=2, window=3)) == [abs(i) for i in items]
    with pytest.raises(ValueError, match="workers"):
        list(ordered_map(abs, items, workers=0))


def test_ordered_map_stops_early_without_hanging():
    results = ordered_map(abs, range(-1000, 0), workers=2)
    first = [next(results) for _ in range(3)]
    results.close()
    assert first == [1000, 999, 998]
