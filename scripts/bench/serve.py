"""The serving benchmark: the dashboard without TensorFlow, and what its decoder costs.

- start to first answer of `python -m scripts.serve` (the health endpoint says ok), and the
  serving process's peak RSS once a browser has opened every page: on the quick start's three
  runs (the `demo`, `demo-ae` and `demo-tiny-kl` architectures with random weights, over 20,000
  synthetic 64 px faces, encoded and analysed; weights change no figure here) and on the live
  benchmark's `celeba` run (170,000 latents);
- the server's work for one Sample move (28 `celeba` faces sampled, decoded, sharpened, tiled
  and encoded as the JPEG st.image sends) and the decode alone: with the ONNX decoder the
  dashboard uses, and with the Keras decoder compiled by XLA, which it used before. Each in a
  fresh process, the two taken in turns, so both see the same machine.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path
from typing import Any

from scripts.bench.common import emit, in_child, share_datasets, synthetic_set
from scripts.bench.live import RUN as LIVE_RUN
from scripts.bench.live import live_artifacts, untrained_run

DEMO_RUNS = ("demo", "demo-ae", "demo-tiny-kl")
FACES = 28
ROUNDS = 3  # turns of the ONNX and the XLA process


def demo_artifacts(workdir: Path, count: int) -> Path:
    """Three runs of the quick start's architectures, random weights, over `count` synthetic
    faces, encoded and analysed (one small t-SNE map). Built once, then reused."""
    from model.config import preset
    from model.pipeline.analysis import AnalysisConfig
    from model.pipeline.runs import ArtifactLayout, Run
    from model.pipeline.stages import analyze_stage, encode_stage

    layout = ArtifactLayout(workdir / f"serve_{count}")
    source = synthetic_set(workdir, count, 64)
    share_datasets(layout.root, workdir)
    analysis = AnalysisConfig(tsne_variants=("pca2_ee12_p30",), umap_variants=("pca2_n15_d0.1",),
                              tsne_cap=min(count, 2_000),
                              kmeans_ks=(2,))  # fmt: skip
    for name in DEMO_RUNS:
        run_dir = layout.run(name)
        if (run_dir / "manifest.json").is_file():
            run = Run.open(run_dir)
            if not run.file_problems("analyze") and run.records("train/decoder.onnx"):
                continue
        untrained_run(layout, name, preset(name).with_overrides({"dataset": source.name}))
        encode_stage(layout, name, force=True, progress=False)
        analyze_stage(layout, name, analysis, force=True, progress=False)
    return layout.root


def open_every_page(url: str, run: str) -> None:
    """Each dashboard page of `run` once in a new chromium, each until its rerun finished."""
    from playwright.sync_api import sync_playwright

    from scripts.bench.browser import IDLE, launch_options
    from scripts.serve import REPO

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for view in sorted((REPO / "app" / "views").glob("*.py")):
            page.goto(f"{url}/{view.stem}?run={run}", timeout=180_000)
            page.locator(IDLE).wait_for(timeout=180_000)
        browser.close()


def _serving(artifacts: Path, run: str, what: str, workdir: Path, **shape: Any) -> None:
    from scripts.bench.browser import dashboard_server, peak_rss_mib

    with dashboard_server(artifacts, log=workdir / f"serve_{what}.log") as served:
        emit(f"serve_start_to_answer_seconds_{what}", served.answered_s, "s", **shape)
        open_every_page(served.url, run)
        emit(f"serve_peak_rss_mib_{what}", peak_rss_mib(served.pid), "MiB",
             after="every page opened once", **shape)  # fmt: skip


class XlaDecoder:
    """What the dashboard decoded with before it used ONNX: the Keras decoder compiled with XLA
    once per batch bucket, padded up to the next bucket. Here only to compare with."""

    BATCH_BUCKETS = (8, 16, 32, 64)

    def __init__(self, path: Path) -> None:
        import tensorflow as tf

        from model.network_files import load_network

        network = load_network(path)
        self.z_dim = int(network.input_shape[-1])
        self._lock = threading.Lock()
        self._decode = tf.function(
            lambda z: network(z, training=False),
            input_signature=[tf.TensorSpec((None, self.z_dim), tf.float32)],
            jit_compile=True,
        )

    def decode(self, z: Any) -> Any:
        import numpy as np

        from model.generation import to_uint8

        size = next(bucket for bucket in self.BATCH_BUCKETS if bucket >= len(z))
        padded = np.zeros((size, self.z_dim), np.float32)
        padded[: len(z)] = z
        with self._lock:
            return to_uint8(self._decode(padded).numpy()[: len(z)])


def _sample_moves(kind: str, train_dir: str, moves: int) -> dict[str, Any]:
    """Median ms of `moves` Sample moves (and of their decodes alone) with decoder `kind`."""
    import io

    from PIL import Image

    from model.generation import sample_latents, sharpen
    from model.grid import image_grid
    from model.network_files import ONNX_FILE
    from model.onnx_decoder import OnnxDecoder

    decoder = (
        OnnxDecoder(Path(train_dir) / ONNX_FILE)
        if kind == "onnx"
        else XlaDecoder(Path(train_dir) / "decoder.keras")
    )
    moves_ms, decodes_ms = [], []
    for seed in range(moves + 3):  # the first calls compile or allocate
        started = time.perf_counter()
        z = sample_latents("normal", FACES, decoder.z_dim, seed, scale=1.0)
        decode_started = time.perf_counter()
        faces = decoder.decode(z)
        decoded = time.perf_counter()
        grid = image_grid(sharpen(faces, 7.0), 7)
        Image.fromarray(grid).save(io.BytesIO(), format="JPEG", quality=90)  # what st.image sends
        if seed >= 3:
            moves_ms.append((time.perf_counter() - started) * 1000)
            decodes_ms.append((decoded - decode_started) * 1000)
    return {"move_ms": statistics.median(moves_ms), "decode_ms": statistics.median(decodes_ms)}


def bench_serve(workdir: Path, sizes: dict[str, int]) -> None:
    """Serving without TensorFlow: start, memory, and the decode against the XLA one."""
    from scripts.bench.browser import browser_missing

    train_dir = live_artifacts(workdir, sizes["live_latents"]) / "runs" / LIVE_RUN / "train"
    runs: dict[str, list[dict[str, Any]]] = {"onnx": [], "keras_xla": []}
    for _ in range(ROUNDS):
        for kind, results in runs.items():
            results.append(in_child(_sample_moves, kind, str(train_dir), sizes["slider_moves"]))
    shape = {"faces": FACES, "image_size": 96, "z_dim": 256, "rounds": ROUNDS,
             "moves": sizes["slider_moves"]}  # fmt: skip
    medians = {}
    for kind, results in runs.items():
        for figure in ("move_ms", "decode_ms"):
            medians[kind, figure] = statistics.median(r[figure] for r in results)
        emit(f"serve_sample_move_ms_{kind}", medians[kind, "move_ms"], "ms", **shape)
        emit(f"serve_decode_ms_{kind}", medians[kind, "decode_ms"], "ms", **shape)
    speedup = medians["keras_xla", "decode_ms"] / medians["onnx", "decode_ms"]
    emit("serve_decode_speedup_onnx_over_keras_xla", speedup, "x", **shape)

    if missing := browser_missing():
        print(f"# serve benchmark's server figures skipped: {missing}")
        return
    count = sizes["serve_images"]
    _serving(demo_artifacts(workdir, count), "demo", "demo_runs", workdir, runs=3, images=count)
    live = live_artifacts(workdir, sizes["live_latents"])
    _serving(live, LIVE_RUN, "celeba", workdir, runs=1, latents=sizes["live_latents"])
