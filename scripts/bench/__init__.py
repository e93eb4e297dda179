"""Benchmarks: one JSON line per figure (docs/benchmarks.md gives the measured ones).

  python -m scripts.bench            # full: 170,000-image / 170,000-latent sizes; tens of minutes
  python -m scripts.bench --quick    # small sizes: checks that every benchmark runs
  python -m scripts.bench --only encode rss
  python -m scripts.bench --only distribute  # 1 process vs 2 local workers; mixed vs float32
  python -m scripts.bench --only nearest  # the memorisation check's searches, latent and pixel
  python -m scripts.bench --only serve    # serving without TensorFlow: start, memory, decode
  python -m scripts.bench --only downloads  # 200 browsers fetching the runtime: server memory
  python -m scripts.bench --only live     # what a person waits for in a real browser
  python -m scripts.bench --only maps     # t-SNE and UMAP at 20,000 and 170,000 x 256
  python -m scripts.bench --only quickstart  # the README's command on a fresh clone, timed

Memory figures are the peak RSS of a fresh child process that does only the measured work.
Generated benchmark inputs are kept under WORKDIR and reused by later runs.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from pathlib import Path

from scripts.bench.analysis import bench_analysis, bench_correlation, bench_tsne
from scripts.bench.building import (
    bench_encoding,
    bench_encoding_rss,
    bench_synthetic,
    bench_training,
)
from scripts.bench.common import emit
from scripts.bench.dashboard import bench_dashboard, bench_nearest_training, bench_projection_render
from scripts.bench.distribute import bench_distribute
from scripts.bench.downloads import bench_downloads
from scripts.bench.live import bench_live
from scripts.bench.maps import bench_maps
from scripts.bench.quickstart import bench_quickstart
from scripts.bench.serve import bench_serve
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
    "drags": 3,  # a person's 2-s drags in the browser benchmark
    "maps_small": 20_000,
    "maps_large": 170_000,
    "maps_probes": 500,
    "downloads": 200,
}
# The smallest sizes every benchmark runs at: a check that each runs and prints its figures.
QUICK = {"synthetic": 200, "train_steps": 1, "train_images": 160, "distribute_epochs": 2,
         "encode": 200, "rss": 300,
         "latents": 1_000, "latent_dim": 16, "tsne": 300, "tsne_iterations": 10,
         "slider_moves": 2, "scatter": 1_000, "live_latents": 300, "live_moves": 2,
         "room_moves": 1, "room_small": 1, "room_large": 2, "serve_images": 200,
         "drags": 1, "maps_small": 300, "maps_large": 600, "maps_probes": 50,
         "downloads": 4}  # fmt: skip


BENCHES: dict[str, Callable[[Path, dict[str, int]], None]] = {
    "synthetic": bench_synthetic,
    "train": bench_training,
    "distribute": bench_distribute,
    "encode": bench_encoding,
    "rss": bench_encoding_rss,
    "analysis": bench_analysis,
    "correlation": bench_correlation,
    "tsne": bench_tsne,
    "maps": bench_maps,
    "dashboard": bench_dashboard,
    "nearest": bench_nearest_training,
    "render": bench_projection_render,
    "live": bench_live,
    "serve": bench_serve,
    "downloads": bench_downloads,
}
# Run only when asked for by name: the README's quick start on a fresh clone takes its whole time.
ON_REQUEST: dict[str, Callable[[Path, dict[str, int]], None]] = {"quickstart": bench_quickstart}


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("bench", __doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument(
        "--only", nargs="+", choices=[*BENCHES, *ON_REQUEST], help="run just these"
    )
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
        {**BENCHES, **ON_REQUEST}[name](args.workdir, sizes)
    return 0

