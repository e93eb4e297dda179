"""Training spread over replicas, run as a user would: `scripts.train --distribute ...` in fresh
processes (logical devices and collectives are set up when TensorFlow starts)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from model.checkpoint import read_checkpoint_record
from model.data.batches import split_rows
from model.network_files import CHECKPOINT_FILE, HISTORY_FILE, load_network
from model.pipeline.runs import ArtifactLayout, Run
from scripts.bench.browser import free_port
from tests.support import TINY_OVERRIDES, write_blob_dataset

REPO = Path(__file__).resolve().parents[1]
# A small learning rate keeps the tiny model's training smooth, so that float rounding (the
# replicas add up the batch in another order) does not grow into visibly different losses.
SETTINGS = {**TINY_OVERRIDES, "train.learning_rate": "0.0001"}
RELATIVE_TOLERANCE = {"total_loss": 1e-4, "reconstruction_loss": 1e-4, "kl_loss": 1e-3}
LOST_WORKER_SECONDS = 60  # the survivor must say so within this, never hang

pytestmark = pytest.mark.slow


def test_split_rows_cuts_a_batch_into_near_equal_contiguous_parts():
    rows = np.arange(10, 17)
    parts = split_rows(rows, 3)
    assert [offset for offset, _ in parts] == [0, 2, 4]
    assert [list(piece) for _, piece in parts] == [[10, 11], [12, 13], [14, 15, 16]]
    assert [len(piece) for _, piece in split_rows(np.arange(1), 2)] == [0, 1]


def _artifacts(root: Path, images: int = 96, seed: int = 0) -> Path:
    """An artifacts folder holding the blob data set: each worker builds its own, as the same
    `prepare_data` command on every machine would (the builds' times differ)."""
    layout = ArtifactLayout(root)
    write_blob_dataset(layout.dataset("blobs"), count=images, n_test=16, seed=seed)
    return root


def _train(artifacts: Path, *extra: str, settings: dict[str, str] = SETTINGS, **popen):
    command = [sys.executable, "-m", "scripts.train", "--preset", "demo", "--run", "tiny",
               "--artifacts", str(artifacts), "--quiet", *extra]  # fmt: skip
    for key, value in settings.items():
        command += ["--set", f"{key}={value}"]
    env = {**os.environ, **popen.pop("env", {})}
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)  # fmt: skip


def _finish(process: subprocess.Popen, timeout: float = 300) -> str:
    output = process.communicate(timeout=timeout)[0]
    assert process.returncode == 0, output
    return output


def _history(artifacts: Path) -> list[dict]:
    return json.loads((artifacts / "runs" / "tiny" / "train" / HISTORY_FILE).read_text())


def _assert_same_losses(history: list[dict], reference: list[dict]) -> None:
    assert len(history) == len(reference)
    for epoch, expected in zip(history, reference):
        for name, tolerance in RELATIVE_TOLERANCE.items():
            assert epoch[name] == pytest.approx(expected[name], rel=tolerance), (name, epoch)


@pytest.fixture(scope="module")
def one_device(tmp_path_factory) -> list[dict]:
    """The per-epoch losses of the same run on one device: the reference."""
    artifacts = _artifacts(tmp_path_factory.mktemp("one") / "artifacts")
    assert "one device: CPU:0; float32" in _finish(_train(artifacts))
    return _history(artifacts)


def _cluster(count: int) -> tuple[list[int], list[dict[str, str]]]:
    ports = [free_port() for _ in range(count)]
    hosts = [f"localhost:{port}" for port in ports]
    configs = [
        {"TF_CONFIG": json.dumps({"cluster": {"worker": hosts},
                                  "task": {"type": "worker", "index": index}})}
        for index in range(count)
    ]  # fmt: skip
    return ports, configs


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("localhost", port))
        except OSError:
            return False
    return True


def test_mirrored_over_two_cpu_devices_matches_one_device(one_device, tmp_path):
    artifacts = _artifacts(tmp_path / "artifacts")
    output = _finish(_train(artifacts, "--distribute", "mirrored", "--cpu-devices", "2"))
    assert "2 replicas (MirroredStrategy): CPU:0, CPU:1; float32" in output
    _assert_same_losses(_history(artifacts), one_device)
    run = Run.open(artifacts / "runs" / "tiny")
    assert "MirroredStrategy" in run.stage("train")["metrics"]["devices"]
    # The saved networks are the plain ones (no synchronized BatchNorm), as on one device.
    encoder = load_network(artifacts / "runs" / "tiny" / "train" / "encoder.keras")
    assert not any(getattr(layer, "synchronized", False) for layer in encoder.layers)


def test_two_workers_match_one_process_and_only_the_chief_writes(one_device, tmp_path):
    roots = [_artifacts(tmp_path / f"worker{i}") for i in range(2)]
    _, configs = _cluster(2)
    workers = [
        _train(root, "--distribute", "multi-worker", env=config)
        for root, config in zip(roots, configs)
    ]
    outputs = [_finish(worker) for worker in workers]
    assert "worker 0 of 2 (the chief" in outputs[0] and "worker 1 of 2 (not the chief" in outputs[1]
    _assert_same_losses(_history(roots[0]), one_device)
    assert not (roots[1] / "runs").exists()  # the other worker wrote nothing
    assert "the chief wrote the run" in outputs[1]


def test_a_killed_worker_stops_the_other_with_a_clear_error_and_resume_continues(tmp_path):
    """Worker 1 is killed mid-training: worker 0 says so and exits, freeing its port; both
    started again continue from the chief's last checkpoint."""
    settings = {**SETTINGS, "train.epochs": "8"}
    roots = [_artifacts(tmp_path / f"worker{i}", images=640) for i in range(2)]
    ports, configs = _cluster(2)
    workers = [
        _train(root, "--distribute", "multi-worker", settings=settings, env=config)
        for root, config in zip(roots, configs)
    ]
    checkpoint = roots[0] / "runs" / "tiny" / "train.partial" / CHECKPOINT_FILE
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert workers[0].poll() is None, workers[0].communicate()[0]
        if checkpoint.exists() and read_checkpoint_record(checkpoint)["epoch"] >= 1:
            break
        time.sleep(0.05)
    assert checkpoint.exists(), "the chief wrote no checkpoint within 240 s"
    workers[1].send_signal(signal.SIGKILL)
    workers[1].wait()
    started = time.monotonic()
    output = workers[0].communicate(timeout=LOST_WORKER_SECONDS)[0]
    assert workers[0].returncode == 2, output
    assert time.monotonic() - started < LOST_WORKER_SECONDS
    assert "error: worker 0 lost the other workers in epoch" in output, output
    assert "start every worker again with the same command to resume" in output
    assert "Traceback" not in output
    assert all(_port_is_free(port) for port in ports)

    kept = read_checkpoint_record(checkpoint)["epoch"]
    _, configs = _cluster(2)
    workers = [
        _train(root, "--distribute", "multi-worker", settings=settings, env=config)
        for root, config in zip(roots, configs)
    ]
    outputs = [_finish(worker) for worker in workers]
    assert f"(resumed from epoch {kept})" in outputs[0], outputs[0]
    assert [epoch["epoch"] for epoch in _history(roots[0])] == list(range(1, 9))


def test_workers_started_on_different_settings_refuse_to_train(tmp_path):
    roots = [_artifacts(tmp_path / f"worker{i}") for i in range(2)]
    _, configs = _cluster(2)
    seeds = [{**SETTINGS, "train.seed": str(seed)} for seed in (0, 1)]
    workers = [
        _train(root, "--distribute", "multi-worker", settings=settings, env=config)
        for root, config, settings in zip(roots, configs, seeds)
    ]
    for worker in workers:
        output = worker.communicate(timeout=300)[0]
        assert worker.returncode == 2, output
        assert "started with different settings or data sets" in output, output


def test_workers_on_different_images_refuse_to_train(tmp_path):
    roots = [_artifacts(tmp_path / f"worker{i}", seed=i) for i in range(2)]
    _, configs = _cluster(2)
    workers = [
        _train(root, "--distribute", "multi-worker", env=config)
        for root, config in zip(roots, configs)
    ]
    for worker in workers:
        output = worker.communicate(timeout=300)[0]
        assert worker.returncode == 2, output
        assert "started with different settings or data sets" in output, output
