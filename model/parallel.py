"""An order-keeping parallel map over spawned processes, for CPU-bound image work."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or taskset sets)."""
    return len(os.sched_getaffinity(0))


def ordered_map(
    function: Callable[[T], R], items: Iterable[T], workers: int, window: int | None = None
) -> Iterator[R]:
    """`map(function, items)` over `workers` spawned processes, results in input order.

    At most `window` items (default 2 * workers) are in flight, so results never pile up;
    closing the iterator early cancels the rest. workers=1 runs in this process.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers == 1:
        yield from map(function, items)
        return
    window = window or 2 * workers
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        iterator = iter(items)
        pending: deque[Future[R]] = deque(
            executor.submit(function, item) for item in itertools.islice(iterator, window)
        )
        while pending:
            result = pending.popleft().result()
            pending.extend(
                executor.submit(function, item) for item in itertools.islice(iterator, 1)
            )
            yield result
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
