"""Training throughput as a user gets it from `python -m scripts.train`: one process against two
local workers (MultiWorkerMirroredStrategy on this machine), and mixed precision against float32.

Each figure is the real command in fresh processes on the demo architecture (64 px), read from
the run's history: training images per second, the median over the epochs after the first.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from scripts.bench.browser import free_port
from scripts.bench.common import emit, share_datasets, synthetic_set
from scripts.serve import REPO

# name: (train's --distribute, workers, extra settings)
SETUPS = {
    "one_process": ("none", 1, {}),
    "two_local_workers": ("multi-worker", 2, {}),
    "one_process_mixed_precision": ("none", 1, {"train.mixed_precision": "true"}),
}


def bench_distribute(workdir: Path, sizes: dict[str, int]) -> None:
    data = synthetic_set(workdir, sizes["train_images"], 64)
    epochs = sizes["distribute_epochs"]
    figures = {}
    for name, (mode, workers, settings) in SETUPS.items():
        roots = [workdir / "distribute" / name / f"worker{i}" for i in range(workers)]
        settings = {**settings, "train.epochs": str(epochs)}
        rows, figures[name] = _train(roots, workdir, data, mode, settings)
        emit(f"train_images_per_second_{name}", figures[name], "img/s", rows=rows,
             epochs=epochs, preset="demo", workers=workers)  # fmt: skip
    emit("train_speedup_two_local_workers",
         figures["two_local_workers"] / figures["one_process"], "ratio")  # fmt: skip
    emit("train_speedup_mixed_precision",
         figures["one_process_mixed_precision"] / figures["one_process"], "ratio")  # fmt: skip


def _train(
    roots: list[Path], workdir: Path, data: Path, mode: str, settings: dict[str, str]
) -> tuple[int, float]:
    """Train `demo` on `data` (a data set under `workdir`) with one process per root (each a
    worker); (rows, images/s)."""
    hosts = [f"localhost:{free_port()}" for _ in roots]
    processes = []
    for index, root in enumerate(roots):
        share_datasets(root, workdir)
        command = [sys.executable, "-m", "scripts.train", "--preset", "demo", "--run", "bench",
                   "--force", "--quiet", "--artifacts", str(root), "--distribute", mode,
                   "--set", f"dataset={data.name}"]  # fmt: skip
        for key, value in settings.items():
            command += ["--set", f"{key}={value}"]
        cluster = {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(cluster)} if len(roots) > 1 else os.environ
        processes.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True))  # fmt: skip
    for process in processes:
        output = process.communicate()[0]
        if process.returncode:
            raise RuntimeError(f"training for the benchmark failed:\n{output[-2000:]}")
    from model.data.store import Dataset

    history = json.loads((roots[0] / "runs" / "bench" / "train" / "history.json").read_text())
    rows = len(Dataset(data).info.split_range("train"))
    return rows, statistics.median(rows / epoch["seconds"] for epoch in history[1:])
