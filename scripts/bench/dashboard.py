"""What the dashboard's figures cost: building the large scatter, drawing it in a browser, and
the memorisation check's nearest-image searches."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.bench.common import emit, in_child, latents_file, synthetic_set


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
    work()  # warms the page cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_nearest_training(workdir: Path, sizes: dict[str, int]) -> None:
    """The Sample page's "is a new face a copy?" search: latents at the full data set's size,
    pixels at the built-in data set's size and at CelebA's."""
    latents = latents_file(workdir, sizes["latents"], sizes["latent_dim"])
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
    from scripts.bench.browser import CHROMIUM, CHROMIUM_ARGS, browser_missing

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
