"""Benchmarks: one JSON line per figure (the README lists the measured ones).

  python -m scripts.bench            # full: 170,000-image / 170,000-latent sizes; tens of minutes
  python -m scripts.bench --quick    # small sizes: checks that every benchmark runs
  python -m scripts.bench --only encode rss
  python -m scripts.bench --only distribute  # 1 process vs 2 local workers; mixed vs float32
  python -m scripts.bench --only nearest  # the memorisation check's searches, latent and pixel
  python -m scripts.bench --only serve    # serving without TensorFlow: start, memory, decode

Memory figures are the peak RSS of a fresh child process that does only the measured work.
Generated benchmark inputs are kept under WORKDIR and reused by later runs.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.bench_common import emit, in_child, synthetic_set
from scripts.bench_distribute import bench_distribute
from scripts.bench_live import bench_live
from scripts.bench_serve import bench_serve
from scripts.common import DEFAULT_ARTIFACTS, command_parser

FULL = {
    "synthetic": 20_000,
    "train_steps": 20,
    "train_images": 2_880,  # 2,720 train rows: 21 batches of 128 per epoch
    "distribute_epochs": 4,
    "encode": 20_000,
    "rss": 170_000,
    "latents": 170_000,
    "latent_dim": 256,
    "tsne": 20_000,
    "tsne_iterations": 750,
    "slider_moves": 50,
    "scatter": 170_000,
    "live_latents": 170_000,
    "live_moves": 30,
    "room_moves": 8,
    "room_small": 4,
    "room_large": 8,
    "serve_images": 20_000,
}
QUICK = {"synthetic": 1_000, "train_steps": 3, "train_images": 300, "distribute_epochs": 2,
         "encode": 1_000, "rss": 2_000,
         "latents": 3_000, "latent_dim": 64, "tsne": 1_000, "tsne_iterations": 50,
         "slider_moves": 5, "scatter": 5_000, "live_latents": 1_000, "live_moves": 3,
         "room_moves": 2, "room_small": 2, "room_large": 3, "serve_images": 500}  # fmt: skip


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
    from model.data.pipeline import unit_float
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
    result = train(config, dataset, "bench", Path(out_dir), progress=False)
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


def _latents_file(workdir: Path, count: int, dim: int) -> Path:
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


def _analysis(latents_path: str, tsne_iterations: int) -> dict[str, Any]:
    import numpy as np

    from model.analysis.stage import AnalysisConfig, Latents, analyze_latents
    from model.parallel import available_cores

    z = np.load(latents_path, mmap_mode="r")
    config = AnalysisConfig(tsne_iterations=tsne_iterations)
    out = Path(latents_path).with_suffix(".analysis")
    _, metrics = analyze_latents(
        Latents(z, None, None), None, config, out, progress=False, workers=available_cores()
    )
    return {"step_seconds": metrics["step_seconds"], "rows": len(z), "dim": z.shape[1]}


def bench_analysis(workdir: Path, sizes: dict[str, int]) -> None:
    path = _latents_file(workdir, sizes["latents"], sizes["latent_dim"])
    result = in_child(_analysis, str(path), sizes["tsne_iterations"])
    shape = {"rows": result["rows"], "dim": result["dim"]}
    for step, seconds in result["step_seconds"].items():
        emit(f"analysis_seconds_{step.replace(' ', '_')}", seconds, "s", **shape)
    emit("analysis_seconds_total", result["seconds"], "s", **shape)
    emit("analysis_peak_rss_mib", result["peak_rss_mib"], "MiB", **shape)


def _correlation(latents_path: str) -> dict[str, Any]:
    import numpy as np

    from model.analysis.correlations import analyze_correlations

    z = np.load(latents_path, mmap_mode="r")
    started = time.perf_counter()
    analyze_correlations(z)
    return {"correlation_seconds": time.perf_counter() - started, "rows": len(z)}


def bench_correlation(workdir: Path, sizes: dict[str, int]) -> None:
    path = _latents_file(workdir, sizes["latents"], sizes["latent_dim"])
    result = in_child(_correlation, str(path))
    shape = {
        "rows": result["rows"],
        "dim": sizes["latent_dim"],
        "latents_mib": round(path.stat().st_size / 2**20),
    }
    emit("correlation_seconds", result["correlation_seconds"], "s", **shape)
    emit("correlation_peak_rss_mib", result["peak_rss_mib"], "MiB", **shape)


def bench_tsne(workdir: Path, sizes: dict[str, int]) -> None:
    import numpy as np

    from model.analysis.tsne import run_tsne, sklearn_tsne
    from model.analysis.tsne_map import TsneParams

    latents = np.load(_latents_file(workdir, sizes["latents"], sizes["latent_dim"]), mmap_mode="r")
    params = TsneParams(cap=sizes["tsne"], n_iter=sizes["tsne_iterations"])
    ours, theirs = run_tsne(latents, params), sklearn_tsne(latents, params)
    shape = {"points": sizes["tsne"], "dim": sizes["latent_dim"]}
    emit("tsne_seconds_opentsne", ours.seconds, "s", kl=round(ours.kl_divergence, 4), **shape)
    emit("tsne_seconds_sklearn", theirs.seconds, "s", kl=round(theirs.kl_divergence, 4), **shape)
    emit("tsne_speedup_opentsne_over_sklearn", theirs.seconds / ours.seconds, "x", **shape)


def bench_dashboard(workdir: Path, sizes: dict[str, int]) -> None:
    """Server time of building the 170,000-point scatter (a Sample move: `--only serve`)."""
    import numpy as np

    from app.figures import projection_scatter

    points = np.random.default_rng(0).normal(size=(sizes["scatter"], 2)).astype(np.float32)
    colour = (points[:, 0] > 0).astype(np.float32)
    started = time.perf_counter()
    projection_scatter(points[:, 0], points[:, 1], color=colour, color_name="attribute").to_json()
    emit(
        "projection_scatter_build_seconds",
        time.perf_counter() - started,
        "s",
        points=sizes["scatter"],
    )


def _nearest_training(dataset_path: str, latents_path: str | None) -> dict[str, Any]:
    """The memorisation check's two searches for 28 faces, on one BLAS thread as in the server:
    latent space (when latents are given) and pixel space over the training images."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from model.analysis.memorisation import (
        nearest_training,
        training_index,
        training_pixel_index,
    )
    from model.data.store import Dataset

    dataset = Dataset(Path(dataset_path))
    train = dataset.info.split_range("train")
    faces = dataset.take(np.arange(len(dataset) - 28, len(dataset)))  # test images as queries
    result: dict[str, Any] = {"train_images": len(train), "image_size": dataset.info.image_size}
    with threadpool_limits(1, user_api="blas"):
        started = time.perf_counter()
        pixels = training_pixel_index(dataset.images, train)
        result["pixel_index_seconds"] = time.perf_counter() - started
        result["pixel_query_seconds"] = _median_seconds(
            lambda: nearest_training(faces, pixels, "pixel"), repeats=3
        )
        if latents_path is not None:
            latents = np.load(latents_path, mmap_mode="r")[: len(dataset)]
            index = training_index(latents, train)
            z = np.random.default_rng(0).normal(size=(28, latents.shape[1])).astype(np.float32)
            result["latent_query_ms"] = 1000 * _median_seconds(
                lambda: nearest_training(z, index, "latent"), repeats=9
            )
            result["latent_dim"] = latents.shape[1]
    return result


def _median_seconds(work: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats + 1):  # the first call warms the page cache
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return float(sorted(times[1:])[len(times[1:]) // 2])


def bench_nearest_training(workdir: Path, sizes: dict[str, int]) -> None:
    """The Sample page's "is a new face a copy?" search: latents at the full data set's size,
    pixels at the built-in data set's size and at CelebA's."""
    latents = _latents_file(workdir, sizes["latents"], sizes["latent_dim"])
    for count, size, with_latents in ((sizes["synthetic"], 64, False),
                                      (sizes["rss"], 96, True)):  # fmt: skip
        path = synthetic_set(workdir, count, size)
        result = in_child(_nearest_training, str(path), str(latents) if with_latents else None)
        shape = {"faces": 28, "train_images": result["train_images"], "image_size": size}
        emit(f"nearest_training_pixel_seconds_{size}px", result["pixel_query_seconds"], "s",
             index_seconds=round(result["pixel_index_seconds"], 2),
             peak_rss_mib=round(result["peak_rss_mib"]), **shape)  # fmt: skip
        if with_latents:
            emit("nearest_training_latent_ms", result["latent_query_ms"], "ms",
                 latent_dim=result["latent_dim"], **shape)  # fmt: skip


_RENDER_PAGE = """<!doctype html><html><body><div id="map" style="width:900px;height:700px"></div>
<script>{plotly}</script><script>
const text = {figure};
const started = performance.now();
const figure = JSON.parse(text);
Plotly.newPlot("map", figure.data, figure.layout).then(() => requestAnimationFrame(() => {{
  window.renderMs = performance.now() - started;
}}));
</script></body></html>"""


def bench_projection_render(workdir: Path, sizes: dict[str, int]) -> None:
    """Browser time to parse and draw the Projections page's scatter (Debian's chromium)."""
    import json as json_module

    import numpy as np
    import plotly.offline

    from app.figures import projection_scatter
    from scripts.browser import CHROMIUM, CHROMIUM_ARGS, browser_missing

    if missing := browser_missing():
        print(f"# projection render skipped: {missing}")
        return
    from playwright.sync_api import sync_playwright

    points = np.random.default_rng(0).normal(size=(sizes["scatter"], 2)).astype(np.float32)
    figure = projection_scatter(
        points[:, 0], points[:, 1], color=(points[:, 0] > 0) * 1.0, color_name="attribute"
    )
    page_path = workdir / "projection_render.html"
    page_path.write_text(
        _RENDER_PAGE.format(
            plotly=plotly.offline.get_plotlyjs(), figure=json_module.dumps(figure.to_json())
        )
    )
    args = [arg for arg in CHROMIUM_ARGS if arg != "--disable-gpu"]  # WebGL in software
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        for _ in range(3):
            page = browser.new_page()
            page.goto(page_path.resolve().as_uri())
            page.wait_for_function("window.renderMs !== undefined", timeout=120_000)
            times.append(page.evaluate("window.renderMs") / 1000)
            page.close()
        browser.close()
    emit(
        "projection_render_seconds_browser",
        float(np.median(times)),
        "s",
        points=sizes["scatter"],
        renderer="headless chromium, software WebGL",
    )


BENCHES: dict[str, Callable[[Path, dict[str, int]], None]] = {
    "synthetic": bench_synthetic,
    "train": bench_training,
    "distribute": bench_distribute,
    "encode": bench_encoding,
    "rss": bench_encoding_rss,
    "analysis": bench_analysis,
    "correlation": bench_correlation,
    "tsne": bench_tsne,
    "dashboard": bench_dashboard,
    "nearest": bench_nearest_training,
    "render": bench_projection_render,
    "live": bench_live,
    "serve": bench_serve,
}


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("bench", __doc__)
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
