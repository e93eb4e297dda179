"""The command-line entry points, run as a user would: exit codes, outputs, messages."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.data.store import Dataset
from model.runs import Run
from scripts import analyze, build, encode, prepare_data, preview_data, quickstart, train
from tests.conftest import TINY_OVERRIDES

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command", [prepare_data, train, encode, analyze, build, preview_data, quickstart]
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

    analysis = ["--tsne", "raw_ee16_p10", "--tsne-iterations", "50", "--kmeans-max-k", "6"]
    assert analyze.main(["--run", "demo", *analysis, *root]) == 0
    Run.open(tmp_path / "runs" / "demo").check("analyze")
    assert (tmp_path / "runs" / "demo" / "analysis" / "tsne_raw_ee16_p10.npz").is_file()
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
    assert "model.z_dim must be a positive number" in capsys.readouterr().err
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
