"""What every benchmark shares: one JSON line per figure, fresh child processes for memory
figures, and cached inputs."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from typing import Any


def emit(name: str, value: float, unit: str, **params: Any) -> None:
    print(json.dumps({"bench": name, "value": round(value, 3), "unit": unit, **params}), flush=True)


def emit_unavailable(name: str, reason: str, **params: Any) -> None:
    """A figure that could not be taken here, and why."""
    print(json.dumps({"bench": name, "value": None, "reason": reason, **params}), flush=True)


def _child_main(target: Callable[..., dict[str, Any]], args: tuple, queue) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    started = time.perf_counter()
    result = target(*args)
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mib"] = _peak_rss_mib()
    queue.put(result)


def _peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: Linux carries that over from the
    parent through fork and exec, so a child would report the benchmark process's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def in_child(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run `target(*args)` in a fresh spawned process; its result plus seconds and peak RSS."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child_main, args=(target, args, queue))
    process.start()
    while True:  # a child that dies puts nothing: do not wait for it forever
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if not process.is_alive():
                raise RuntimeError(
                    f"benchmark child {target.__name__} exited with {process.exitcode}"
                ) from None
    process.join()
    return result


def synthetic_set(workdir: Path, count: int, image_size: int) -> Path:
    """A synthetic data set of this size, built once under `workdir`/datasets and reused."""
    from model.data.synthetic import build_synthetic

    path = workdir / "datasets" / f"synthetic{image_size}_{count}"
    if not path.is_dir():
        build_synthetic(path, count=count, test_count=count // 18, image_size=image_size)
    return path


def share_datasets(root: Path, workdir: Path) -> None:
    """Make the artifacts folder `root`'s datasets/ a link to `workdir`/datasets, where
    `synthetic_set` keeps the data sets (a link to a whole datasets/ folder, as a person keeps
    data sets on another disk; zspace refuses links to single data sets)."""
    import shutil

    link, shared = root / "datasets", (workdir / "datasets").resolve()
    if link.is_symlink() and link.resolve() == shared:
        return
    if link.is_symlink():
        link.unlink()
    elif link.exists():  # an older benchmark's folder of links: nothing of its own
        shutil.rmtree(link)
    root.mkdir(parents=True, exist_ok=True)
    shared.mkdir(parents=True, exist_ok=True)
    link.symlink_to(shared, target_is_directory=True)


def latents_file(workdir: Path, count: int, dim: int) -> Path:
    """Cached float32 (count, dim) latents: correlated Gaussians, written in chunks."""
    import numpy as np

    from model.files import atomic_path
    from model.npy_stream import NpyStreamWriter

    path = workdir / f"latents_{count}x{dim}.npy"
    if path.is_file():
        return path
    rng = np.random.default_rng(0)
    mixing = np.eye(dim) + 0.3 * rng.normal(size=(dim, dim)) / np.sqrt(dim)
    with atomic_path(path) as tmp:
        writer = NpyStreamWriter(tmp, (dim,), np.float32)
        for start in range(0, count, 10_000):
            rows = min(10_000, count - start)
            writer.append((rng.normal(size=(rows, dim)) @ mixing).astype(np.float32))
        writer.close()
    return path
