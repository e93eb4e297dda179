"""The one process pool: an order-keeping parallel map over spawned processes, for CPU-bound
work (images, t-SNE and UMAP maps).

Its workers ignore Ctrl+C (the parent handles it), end with their parent even when it is
killed (never running on as orphans), and are terminated the moment the parent leaves the map:
done, on an error, or stopped. A worker may report progress (`report_progress`), which the
parent hears while it waits.
"""

from __future__ import annotations

import ctypes
import itertools
import multiprocessing
import os
import queue
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies
WAIT_SECONDS = 0.2  # how often a waiting parent passes on its workers' progress

_PROGRESS: multiprocessing.Queue | None = None  # in a worker: where its progress goes


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or taskset sets)."""
    return len(os.sched_getaffinity(0))


def report_progress(amount: int) -> None:
    """In a worker of `ordered_map`: add `amount` to the parent's progress (nothing elsewhere)."""
    if _PROGRESS is not None:
        _PROGRESS.put(amount)


def ordered_map(
    function: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    window: int | None = None,
    on_progress: Callable[[int], object] | None = None,
) -> Iterator[R]:
    """`map(function, items)` over `workers` spawned processes, results in input order.

    At most `window` items (default 2 * workers) are in flight, so results never pile up;
    closing the iterator early ends the workers. workers=1 runs in this process.
    `on_progress` hears what workers report with `report_progress` while the parent waits.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers == 1:
        yield from map(function, items)
        return
    window = window or 2 * workers
    context = multiprocessing.get_context("spawn")
    progress = context.Queue()
    with context.Pool(workers, _start_worker, (progress,)) as pool:  # left: workers terminated
        iterator = iter(items)
        pending: deque[AsyncResult[R]] = deque(
            pool.apply_async(function, (item,)) for item in itertools.islice(iterator, window)
        )
        while pending:
            result = _wait(pending, progress, on_progress)
            pending.extend(
                pool.apply_async(function, (item,)) for item in itertools.islice(iterator, 1)
            )
            yield result
    _pass_on(progress, on_progress)


def _wait(
    pending: deque[AsyncResult[R]],
    progress: multiprocessing.Queue,
    on_progress: Callable[[int], object] | None,
) -> R:
    """The first pending result, passing on progress meanwhile; a failed item raises at once,
    whichever it is, so an error is not hidden behind a long map still running before it."""
    while not pending[0].ready():
        for result in pending:
            if result.ready() and not result.successful():
                result.get()
        _pass_on(progress, on_progress)
        pending[0].wait(WAIT_SECONDS)
    _pass_on(progress, on_progress)
    return pending.popleft().get()


def _pass_on(progress: multiprocessing.Queue, on_progress: Callable[[int], object] | None) -> None:
    while True:
        try:
            amount = progress.get_nowait()
        except queue.Empty:
            return
        if on_progress is not None:
            on_progress(amount)


def _start_worker(progress: multiprocessing.Queue) -> None:
    global _PROGRESS
    _PROGRESS = progress
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    try:  # Linux: end with the parent even if it is killed, never run on as an orphan
        ctypes.CDLL("libc.so.6").prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
