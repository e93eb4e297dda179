import pytest

from model.parallel import ordered_map, report_progress


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


def _counted(amount: int) -> int:
    report_progress(amount)
    return amount


def test_workers_report_progress_to_the_waiting_parent():
    heard: list[int] = []
    items = [1, 2, 3, 4, 5]
    assert list(ordered_map(_counted, items, workers=2, on_progress=heard.append)) == items
    assert sorted(heard) == items


def _fails_on_three(item: int) -> int:
    if item == 3:
        raise ValueError("item 3 is bad")
    return item


def test_a_failed_item_raises_its_own_error():
    with pytest.raises(ValueError, match="item 3 is bad"):
        list(ordered_map(_fails_on_three, range(8), workers=2))
