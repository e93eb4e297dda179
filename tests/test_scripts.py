"""The command-line entry points, run as a user would: exit codes, outputs, messages."""

import json
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.data.store import Dataset
from model.files import write_json
from model.pipeline.build_status import BUILDS_FILE, BuildStatus, RunProgress
from model.pipeline.runs import ArtifactLayout, Run
from scripts import analyze, build, encode, health, prepare_data, preview_data, quickstart, train
from scripts.bench.browser import free_port, wait_healthy
from tests.support import TINY_OVERRIDES

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command", [prepare_data, train, encode, analyze, build, preview_data, quickstart, health]
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        command.main(["--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m scripts." in capsys.readouterr().out


def test_a_tiny_run_from_the_command_line(tmp_path, capsys):
    """Built-in data -> train -> encode: a valid manifest and latents aligned with the images."""
    root = ["--artifacts", str(tmp_path), "--quiet"]
    data = ["synthetic", "--count", "200", "--test", "20", "--size", "32", "--workers", "1"]
    assert prepare_data.main([*data, *root]) == 0
    assert prepare_data.main([*data, *root]) == 0  # idempotent
    assert "is up to date" in capsys.readouterr().out
    assert prepare_data.main([*data[:2], "300", *data[3:], *root]) == 2
    assert "exists with other settings (count differ" in capsys.readouterr().err

    sets = [f"--set={k}={v}" for k, v in {**TINY_OVERRIDES, "dataset": "synthetic64"}.items()]
    assert train.main(["--preset", "demo", "--epochs", "1", *sets, *root]) == 0
    assert encode.main(["--run", "demo", *root]) == 0
    run = Run.open(tmp_path / "runs" / "demo")
    run.check("train", "encode")
    assert run.config.train.epochs == 1 and run.config.model.image_size == 32
    dataset = Dataset(tmp_path / "datasets" / "synthetic64")
    assert dataset.info.count == 200 and dataset.info.source["kind"] == "synthetic"
    for name in ("z", "mu", "logvar"):
        latents = np.load(tmp_path / "runs" / "demo" / "latents" / f"{name}.npy")
        assert latents.shape == (200, 8) and np.isfinite(latents).all()

    analysis = ["--tsne", "raw_ee16_p10", "--tsne-iterations", "50", "--kmeans-max-k", "6",
                "--umap", "pca2_n15_d0.1", "--grid-size", "12"]
    assert analyze.main(["--run", "demo", *analysis, *root]) == 0
    Run.open(tmp_path / "runs" / "demo").check("analyze")
    assert (tmp_path / "runs" / "demo" / "analysis" / "tsne_raw_ee16_p10.npz").is_file()
    assert (tmp_path / "runs" / "demo" / "analysis" / "grid_umap_pca2_n15_d0.1.npz").is_file()
    assert (
        preview_data.main(
            [
                str(tmp_path / "datasets" / "synthetic64"),
                "--count",
                "6",
                "--out",
                str(tmp_path / "p.png"),
            ]
        )
        == 0
    )
    assert (tmp_path / "p.png").stat().st_size > 0

    assert train.main(["--run", "demo", "--epochs", "2", *root]) == 0  # continue the run
    assert "resumed from epoch 1" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "runs" / "demo" / "manifest.json").read_text())
    assert manifest["stages"]["train"]["metrics"]["epochs"] == 2
    assert "encode" not in manifest["stages"] and "analyze" not in manifest["stages"]


def test_user_errors_are_one_line_messages(tmp_path, capsys):
    root = ["--artifacts", str(tmp_path), "--quiet"]
    assert encode.main(["--run", "ghost", *root]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "scripts.train" in err
    assert train.main(["--preset", "demo", *root]) == 2
    assert "prepare_data" in capsys.readouterr().err
    assert train.main(["--preset", "demo", "--set", "model.z_dim=0", *root]) == 2
    assert "model.z_dim must be a whole number from 1 to" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert prepare_data.main(["folder", str(empty), *root]) == 2
    assert str(empty) in capsys.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_command_stops_cleanly_on_ctrl_c_or_kill_even_if_started_with_sigint_ignored(signum):
    """A shell's background jobs inherit SIGINT ignored; commands stop on it (and on SIGTERM)
    all the same, as Ctrl+C stops them: exit code 130 and the 'kept' message."""
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "from scripts.common import run\n"
        "body = lambda: print('started', flush=True) or time.sleep(60)\n"
        "raise SystemExit(run(body, tensorflow=False))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert child.stdout.readline().strip() == "started"
    child.send_signal(signum)
    assert child.wait(timeout=10) == 130
    assert "finished stages and checkpoints are kept" in child.stderr.read()


def test_the_quick_start_builds_only_what_a_folder_lacks(built_runs, tmp_path):
    layout = ArtifactLayout(tmp_path / "artifacts")
    assert quickstart.what_to_build(layout.root) == "all"  # nothing there yet
    shutil.copytree(built_runs / "encoded" / "datasets", layout.root / "datasets")
    assert quickstart.what_to_build(layout.root) == "all"  # a data set, no run

    shutil.copytree(built_runs / "encoded" / "runs" / "tiny", layout.run("demo"))
    assert quickstart.what_to_build(layout.root) == "all"  # demo trained, not yet analysed
    shutil.rmtree(layout.run("demo"))
    shutil.copytree(built_runs / "artifacts" / "runs" / "tiny", layout.run("demo"))
    assert quickstart.what_to_build(layout.root) == "rest"  # demo can be looked at

    for name in quickstart.ALL_RUNS[1:]:
        shutil.copytree(layout.run("demo"), layout.run(name))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    ready = tuple(RunProgress(name, "ready") for name in quickstart.ALL_RUNS)
    status = BuildStatus(int(finished.stdout), socket.gethostname(), 0.0, ready)
    write_json(layout.root / BUILDS_FILE, status.to_dict())
    assert quickstart.what_to_build(layout.root) == "built"  # the last build finished all three
    shutil.rmtree(layout.run("demo-ae"))
    assert quickstart.what_to_build(layout.root) == "rest"  # one was removed since: build it again

    own = ArtifactLayout(tmp_path / "own")
    shutil.copytree(built_runs / "encoded", own.root)
    assert quickstart.what_to_build(own.root) == "own"  # your runs, analysed or not: served as is


@pytest.mark.slow
def test_the_quick_start_serves_a_folder_of_your_own_runs_at_once(built_runs, tmp_path, capsys):
    """No build: the dashboard answers on the mounted run, and the health command says so."""
    artifacts = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", artifacts)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.quickstart", "--artifacts", str(artifacts), "--quiet",
         "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_healthy(f"http://localhost:{port}", timeout=180, server=server)
        assert health.main(["--port", str(port)]) == 0
        assert capsys.readouterr().out.strip().endswith("/_stcore/health: ok")
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=60)[0]
    assert "holds your own runs and none of the demo runs" in output, output
    assert not (artifacts / BUILDS_FILE).exists()
    assert sorted(path.name for path in (artifacts / "runs").iterdir()) == ["tiny"]
    assert health.main(["--port", str(port), "--timeout", "1"]) == 1
    assert "no answer" in capsys.readouterr().out


