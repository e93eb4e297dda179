"""What building a run costs: rendering the built-in faces, training, encoding."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from scripts.bench.common import emit, in_child, synthetic_set


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


def _training(preset_name: str, dataset_path: str, steps: int, out_dir: str) -> dict[str, Any]:
    """The compiled train step on one in-memory batch, then the real `train` loop on the data
    set's train split. Both are medians of three timings after a warm-up (the step: 3 rounds of
    `steps`; the loop: epochs 2-4), as this machine's speed drifts by tens of percent."""
    import shutil
    import statistics

    import tensorflow as tf

    from model.autoencoder import build_autoencoder
    from model.config import preset
    from model.data.batches import unit_float
    from model.data.store import Dataset
    from model.training import train

    tf.config.experimental.enable_op_determinism()  # as in `train`
    config = preset(preset_name).with_overrides({"train.epochs": "4"})
    dataset = Dataset(Path(dataset_path))
    model = build_autoencoder(config.model, config.train.learning_rate, seed=0)
    step = tf.function(lambda images: model.train_step(unit_float(images)))
    images = tf.constant(dataset.read(0, config.train.batch_size))
    for _ in range(3):
        step(images)  # trace and warm up
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(steps):
            step(images)
        rounds.append(steps * config.train.batch_size / (time.perf_counter() - started))
    shutil.rmtree(out_dir, ignore_errors=True)
    result = train(config, dataset, Path(out_dir), progress=False)
    rows = len(dataset.info.split_range("train"))
    return {
        "step_images_per_second": statistics.median(rounds),
        "loop_images_per_second": statistics.median(
            rows / epoch["seconds"] for epoch in result.history[1:]
        ),
        "rows": rows,
        "image_size": config.model.image_size,
        "z_dim": config.model.z_dim,
        "batch_size": config.train.batch_size,
    }


def bench_training(workdir: Path, sizes: dict[str, int]) -> None:
    for name, size in (("demo", 64), ("celeba", 96)):
        data = synthetic_set(workdir, sizes["train_images"], size)
        result = in_child(_training, name, str(data), sizes["train_steps"], str(workdir / "train"))
        shape = {key: result[key] for key in ("rows", "image_size", "z_dim", "batch_size")}
        step, loop = result["step_images_per_second"], result["loop_images_per_second"]
        emit(f"train_step_images_per_second_{name}", step, "img/s", **shape)
        emit(f"train_loop_images_per_second_{name}", loop, "img/s", **shape)
        emit(f"train_loop_fraction_of_step_{name}", loop / step, "ratio", **shape)


def _encode(dataset_path: str, preset_name: str, out_dir: str) -> dict[str, Any]:
    from model.autoencoder import build_autoencoder
    from model.config import preset
    from model.data.store import Dataset
    from model.encoding import encode_dataset

    config = preset(preset_name)
    model = build_autoencoder(config.model, config.train.learning_rate, seed=0)
    dataset = Dataset(Path(dataset_path))
    started = time.perf_counter()
    encode_dataset(model.encoder, config.model, dataset, Path(out_dir), seed=0, progress=False)
    return {
        "encode_seconds": time.perf_counter() - started,
        "images": len(dataset),
        "data_set_gib": round(dataset.images.nbytes / 2**30, 2),
    }


def bench_encoding(workdir: Path, sizes: dict[str, int]) -> None:
    result = in_child(
        _encode,
        str(synthetic_set(workdir, sizes["encode"], 64)),
        "demo",
        str(workdir / "latents_demo"),
    )
    emit(
        "encode_images_per_second_demo",
        result["images"] / result["encode_seconds"],
        "img/s",
        images=result["images"],
        image_size=64,
        z_dim=64,
    )


def bench_encoding_rss(workdir: Path, sizes: dict[str, int]) -> None:
    result = in_child(
        _encode,
        str(synthetic_set(workdir, sizes["rss"], 96)),
        "celeba",
        str(workdir / "latents_celeba"),
    )
    params = {
        "images": result["images"],
        "image_size": 96,
        "z_dim": 256,
        "data_set_gib": result["data_set_gib"],
    }
    emit(
        "encode_images_per_second_celeba",
        result["images"] / result["encode_seconds"],
        "img/s",
        **params,
    )
    emit("encode_peak_rss_mib_celeba", result["peak_rss_mib"], "MiB", **params)
