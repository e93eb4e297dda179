"""Benchmarks: one JSON line per figure (README lists the measured ones).

  python -m scripts.bench            # full: includes encoding a generated 170,000-image 96 px set
  python -m scripts.bench --quick    # small sizes, a minute or two: checks the benchmark runs

Generated benchmark data sets are kept under WORKDIR and reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.common import DEFAULT_ARTIFACTS

# Sizes of the full benchmark and of --quick.
FULL = {"synthetic": 20_000, "train_steps": 20, "encode": 20_000, "rss": 170_000}
QUICK = {"synthetic": 1_000, "train_steps": 3, "encode": 1_000, "rss": 2_000}


def emit(name: str, value: float, unit: str, **params: Any) -> dict[str, Any]:
    record = {"bench": name, "value": round(value, 3), "unit": unit, **params}
    print(json.dumps(record), flush=True)
    return record


def bench_synthetic(workdir: Path, sizes: dict[str, int]) -> None:
    from model.data.synthetic import build_synthetic

    count, workers = sizes["synthetic"], os.cpu_count() or 1
    started = time.perf_counter()
    build_synthetic(
        workdir / "synthetic64",
        count=count,
        test_count=count // 10,
        image_size=64,
        workers=workers,
        overwrite=True,
        progress=False,
    )
    seconds = time.perf_counter() - started
    emit(
        "synthetic_images_per_second",
        count / seconds,
        "img/s",
        images=count,
        image_size=64,
        workers=workers,
        seconds=round(seconds, 1),
    )


def bench_training(workdir: Path, sizes: dict[str, int]) -> None:
    import numpy as np
    import tensorflow as tf

    from model.autoencoder import build_autoencoder
    from model.config import preset

    for name in ("demo", "celeba"):
        config = preset(name)
        model = build_autoencoder(config.model, config.train.learning_rate, seed=0)
        step = tf.function(model.train_step)
        size, batch = config.model.image_size, config.train.batch_size
        images = np.random.default_rng(0).uniform(size=(batch, size, size, 3)).astype("float32")
        step(images)  # trace and warm up
        started = time.perf_counter()
        for _ in range(sizes["train_steps"]):
            step(images)
        seconds = time.perf_counter() - started
        emit(
            f"train_images_per_second_{name}",
            sizes["train_steps"] * batch / seconds,
            "img/s",
            image_size=size,
            z_dim=config.model.z_dim,
            batch_size=batch,
        )


def _synthetic_set(workdir: Path, count: int, image_size: int):
    """A cached synthetic data set of this size for the encoding benchmarks."""
    from model.data.store import Dataset
    from model.data.synthetic import build_synthetic

    path = workdir / f"synthetic{image_size}_{count}"
    if not path.is_dir():
        build_synthetic(
            path, count=count, test_count=count // 18, image_size=image_size, progress=True
        )
    return Dataset(path)


def _encode_child(dataset_path: str, preset_name: str, out_dir: str, queue) -> None:
    """Runs in a fresh process so its peak RSS is the encoding's alone."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from model.autoencoder import build_autoencoder
    from model.config import preset
    from model.data.store import Dataset
    from model.encoding import encode_dataset

    config = preset(preset_name)
    model = build_autoencoder(config.model, config.train.learning_rate, seed=0)
    dataset = Dataset(Path(dataset_path))
    started = time.perf_counter()
    encode_dataset(model.encoder, config.model, dataset, Path(out_dir), seed=0, progress=False)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    queue.put({"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "images": len(dataset)})


def _encode_in_child(dataset_path: Path, preset_name: str, out_dir: Path) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=_encode_child, args=(str(dataset_path), preset_name, str(out_dir), queue)
    )
    process.start()
    result = queue.get()
    process.join()
    return result


def bench_encoding(workdir: Path, sizes: dict[str, int]) -> None:
    dataset = _synthetic_set(workdir, sizes["encode"], 64)
    result = _encode_in_child(dataset.path, "demo", workdir / "latents_demo")
    emit(
        "encode_images_per_second_demo",
        result["images"] / result["seconds"],
        "img/s",
        images=result["images"],
        image_size=64,
        z_dim=64,
    )


def bench_encoding_rss(workdir: Path, sizes: dict[str, int]) -> None:
    dataset = _synthetic_set(workdir, sizes["rss"], 96)
    result = _encode_in_child(dataset.path, "celeba", workdir / "latents_celeba")
    params = {
        "images": result["images"],
        "image_size": 96,
        "z_dim": 256,
        "data_set_gib": round(dataset.images.nbytes / 2**30, 2),
    }
    emit("encode_images_per_second_celeba", result["images"] / result["seconds"], "img/s", **params)
    emit("encode_peak_rss_mib_celeba", result["peak_rss_mib"], "MiB", **params)


BENCHES: dict[str, Callable[[Path, dict[str, int]], None]] = {
    "synthetic": bench_synthetic,
    "train": bench_training,
    "encode": bench_encoding,
    "rss": bench_encoding_rss,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), help="run just these")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_ARTIFACTS / "bench")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    args.workdir.mkdir(parents=True, exist_ok=True)
    emit(
        "machine",
        os.cpu_count() or 0,
        "cores",
        platform=platform.platform(),
        python=platform.python_version(),
        quick=args.quick,
    )
    for name in args.only or list(BENCHES):
        BENCHES[name](args.workdir, sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
