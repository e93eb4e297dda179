"""The live benchmark: from a key press to the new faces painted, in Debian's chromium.

Builds once, under WORKDIR, a run of the studies' `celeba` architecture (96 px, z_dim 256) with
random weights over synthetic 96 px faces (170,000 of them in the full benchmark, so the
nearest-data index has 170,000 x 256 latents), serves it with `python -m scripts.serve` and drives
chromium with Playwright: one session on every live view, then 4 and 8 sessions (each its own
chromium) moving the Sample page's slider at once. Also the server time of one Sample rerun.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.bench.common import emit, in_child, share_datasets, synthetic_set
from scripts.bench.live_browser import bench_live_browser

RUN = "live"
PAUSE_S = (0.1, 0.4)  # a person's pause between two key presses, drawn per move


@dataclass(frozen=True)
class LiveView:
    """A page and the slider whose key presses a person makes on it."""

    path: str
    slider: str | None  # accessible name; None: the page's first slider


LIVE_VIEWS = {
    "sample": LiveView("sample", "Scale s"),
    "interpolate": LiveView("interpolate", "Steps"),
    "attributes": LiveView("attributes", None),
    "compare": LiveView("compare", "Faces"),
}


def live_artifacts(workdir: Path, count: int) -> Path:
    """An artifacts root holding run `live`: celeba architecture, random weights, `count`
    encoded synthetic 96 px faces, analysed (one small t-SNE map: the views measured here
    read no map). Built once, then reused."""
    from model.config import preset
    from model.pipeline.analysis import AnalysisConfig
    from model.pipeline.runs import ArtifactLayout, Run
    from model.pipeline.stages import analyze_stage, encode_stage

    layout = ArtifactLayout(workdir / f"live_{count}")
    run_dir = layout.run(RUN)
    if (run_dir / "manifest.json").is_file() and _complete(Run.open(run_dir)):
        return layout.root
    name = synthetic_set(workdir, count, 96).name
    share_datasets(layout.root, workdir)
    config = preset("celeba").with_overrides({"dataset": name})
    untrained_run(layout, RUN, config)
    encode_stage(layout, RUN, force=True)
    analysis = AnalysisConfig(tsne_variants=("pca2_ee12_p30",), umap_variants=("pca2_n15_d0.1",),
                              tsne_cap=min(count, 2_000),
                              kmeans_ks=(2,))
    analyze_stage(layout, RUN, analysis, force=True)
    return layout.root


def _complete(run: Any) -> bool:
    """Analysed, with the decoder as ONNX (inputs made by an older zspace lack it)."""
    return not run.file_problems("analyze") and run.records("train/decoder.onnx")


def untrained_run(layout: Any, name: str, config: Any) -> None:
    """Run `name`'s train stage with freshly initialised weights (timing needs no training),
    its decoder exported to ONNX as `train` exports it."""
    from model.autoencoder import build_autoencoder
    from model.files import write_json
    from model.network_files import (
        DECODER_FILE,
        ENCODER_FILE,
        HISTORY_FILE,
        ONNX_FILE,
        load_network,
        save_networks,
    )
    from model.onnx_export import export_decoder
    from model.pipeline.runs import Run, open_dataset, open_for_writing

    dataset = open_dataset(layout, config.dataset)
    model = build_autoencoder(config.model, config.train.learning_rate, config.train.seed)
    parameters = {"encoder": model.encoder.count_params(), "decoder": model.decoder.count_params()}
    with open_for_writing(layout, name, create=True):
        layout.run(name).mkdir(parents=True, exist_ok=True)
        run = Run.new(layout.run(name), config, dataset)
        with run.staging("train") as staged:
            save_networks(model, staged)
            export_decoder(load_network(staged / DECODER_FILE), staged / ONNX_FILE)
            write_json(staged / HISTORY_FILE, [])
            run.commit(
                "train",
                staged,
                {"config": config.to_dict(), "dataset_id": dataset.identity()},
                {"epochs": 0, "parameters": parameters, "untrained": True},
                0.0,
                [ENCODER_FILE, DECODER_FILE, ONNX_FILE, HISTORY_FILE],
            )


async def _open(browser: Any, url: str, view: LiveView) -> tuple[Any, Any]:
    """A fresh page (its own image cache) on `view`, its faces shown; and its slider."""
    from scripts.bench.browser import IDLE, IMAGES

    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    await page.goto(f"{url}/{view.path}?run={RUN}&decode=server", timeout=180_000)
    await page.locator(IMAGES).first.wait_for(timeout=180_000)
    await page.locator(IDLE).wait_for(timeout=180_000)
    sliders = page.get_by_role("slider")
    slider = sliders.first if view.slider is None else page.get_by_role("slider", name=view.slider)
    return page, slider


async def _walk(browser: Any, url: str, view: LiveView, moves: int, seed: int) -> list[float]:
    """`moves` presses of ArrowRight on the view's slider, with a person's pauses between them.
    Every press asks for a value this page has not shown (no image comes from the browser's
    cache): at the slider's end the walk goes on in a fresh page."""
    import random

    from scripts.bench.browser import press_to_painted

    pause = random.Random(seed)
    page, slider = await _open(browser, url, view)
    times: list[float] = []
    while len(times) < moves:
        if await slider.get_attribute("aria-valuenow") == await slider.get_attribute(
            "aria-valuemax"
        ):
            await page.context.close()
            page, slider = await _open(browser, url, view)
        times.append(await press_to_painted(page, slider, "ArrowRight"))
        await asyncio.sleep(pause.uniform(*PAUSE_S))
    await page.context.close()
    return times


async def _sessions(url: str, view: LiveView, sessions: int, moves: int) -> list[list[float]]:
    """`sessions` people, each in their own chromium, walking `view`'s slider at once."""
    from playwright.async_api import async_playwright

    from scripts.bench.browser import launch_options

    async with async_playwright() as playwright:
        browsers = [await playwright.chromium.launch(**launch_options()) for _ in range(sessions)]
        try:
            return list(
                await asyncio.gather(
                    *(_walk(b, url, view, moves, seed) for seed, b in enumerate(browsers))
                )
            )
        finally:
            for browser in browsers:
                await browser.close()


def _summary(name: str, times: list[float], **params: Any) -> None:
    import numpy as np

    values = np.array(times)
    emit(
        name,
        float(np.median(values)),
        "ms",
        p90=round(float(np.percentile(values, 90)), 1),
        max=round(float(values.max()), 1),
        moves=len(values),
        **params,
    )


def _sample_rerun(artifacts: str, reruns: int) -> dict[str, Any]:
    """Server time of one Sample-page rerun after a slider move (Streamlit's AppTest, no
    browser, the server's warm-up and options), median over `reruns` moves. AppTest reruns the
    whole page: the fragment alone is shorter."""
    import os
    import statistics

    from streamlit import config
    from streamlit.testing.v1 import AppTest

    from app.live_faces import BROWSER_KEY
    from app.warmup import warm_up
    from scripts.serve import PAGES

    os.environ["ZSPACE_ARTIFACTS"] = artifacts
    warm_up(Path(artifacts), report=lambda line: None)
    config.set_option("runner.postScriptGC", False)
    app = AppTest.from_file(str(PAGES), default_timeout=120)
    app.session_state[BROWSER_KEY] = False  # the server's own decode, as a release costs it
    app.switch_page("views/sample.py").run()
    app.slider(key="scale").set_value(1.0).run()
    times = []
    for step in range(reruns):
        app.slider(key="scale").set_value(round(1.05 + 0.05 * step, 2))
        started = time.perf_counter()
        app.run()
        times.append((time.perf_counter() - started) * 1000)
    if app.exception:
        raise RuntimeError(f"the Sample page failed: {app.exception[0].message}")
    return {"median_ms": statistics.median(times), "reruns": reruns}


def bench_live(workdir: Path, sizes: dict[str, int]) -> None:
    """Press-to-painted latency on every live view (1 session) and in a room (4 and 8 sessions
    in the full benchmark)."""
    from scripts.bench.browser import browser_missing, dashboard_server

    if missing := browser_missing():
        print(f"# live benchmark skipped: {missing}")
        return
    count = sizes["live_latents"]
    artifacts = live_artifacts(workdir, count)
    shape = {"faces": 28, "image_size": 96, "z_dim": 256, "index_rows": count}
    emit("live_first_view_seconds_streamlit_floor", _streamlit_floor(workdir), "s",
         app="one st.image, nothing else")  # fmt: skip
    with dashboard_server(artifacts, log=workdir / "live_server.log") as served:
        url, answered_s = served.url, served.answered_s
        first = _first_view(f"{url}/sample?run={RUN}&decode=server")
        emit("live_first_view_seconds", first, "s", server_answered_s=round(answered_s, 1))
        for name, view in LIVE_VIEWS.items():
            walks = asyncio.run(_sessions(url, view, 1, sizes["live_moves"]))
            _summary(f"live_press_to_painted_ms_{name}", walks[0], sessions=1, **shape)
        for sessions in (sizes["room_small"], sizes["room_large"]):
            walks = asyncio.run(_sessions(url, LIVE_VIEWS["sample"], sessions, sizes["room_moves"]))
            times = [t for walk in walks for t in walk]
            _summary(
                f"live_press_to_painted_ms_sample_{sessions}_sessions",
                times,
                sessions=sessions,
                served=sum(len(walk) == sizes["room_moves"] for walk in walks),
                **shape,
            )
    rerun = in_child(_sample_rerun, str(artifacts), sizes["live_moves"])
    emit("live_sample_rerun_ms_server", rerun["median_ms"], "ms", reruns=rerun["reruns"], **shape)
    bench_live_browser(workdir, sizes)


def _streamlit_floor(workdir: Path) -> float:
    """The same first-view clock on a Streamlit app that shows one image and nothing else: what
    Streamlit itself costs in this browser on this machine."""
    import subprocess
    import sys

    from scripts.bench.browser import free_port, wait_healthy

    app = workdir / "one_image_app.py"
    app.write_text(
        "import numpy as np\nimport streamlit as st\n\n"
        "st.image(np.full((96, 96, 3), 128, np.uint8))\n"
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_healthy(f"http://localhost:{port}", 60, server)
        return _first_view(f"http://localhost:{port}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _first_view(url: str) -> float:
    """Seconds from opening `url` in a new browser to the page's first image (the Sample page's
    face grid) loaded and painted."""
    from playwright.sync_api import sync_playwright

    from scripts.bench.browser import IMAGES, launch_options

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_function(
            "selector => { const img = document.querySelector(selector);"
            " return img !== null && img.complete && img.naturalWidth > 0; }",
            arg=IMAGES,
            polling="raf",
            timeout=180_000,
        )
        seconds = time.perf_counter() - started
        browser.close()
    return seconds
