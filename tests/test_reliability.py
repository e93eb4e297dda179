"""The reliability promises of docs/runs.md, tried as a person would: commands with bad names,
stops, kills, two writers at once, a failing --force, a full disk, settings too large for the
machine.
After each, the person's runs and data sets are what they were, and the command said in one
line what happened and what to type next."""

import hashlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import model.autoencoder
from model.checkpoint import read_checkpoint_record
from model.pipeline.runs import ArtifactLayout, Run
from scripts import (
    analyze,
    encode,
    import_model,
    prepare_data,
    preview_data,
    serve,
    train,
    upgrade,
)
from scripts.serve import REPO
from tests.support import one_error_line, run_suggested, suggested_commands

PYTHON = [sys.executable, "-m"]


def _tree(root: Path) -> dict[str, str]:
    """Every file under `root` and its sha256: what a person would lose."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def artifacts(built_runs, tmp_path) -> Path:
    """A copy of the analysed tiny run `tiny` (2 epochs) and its data set `blobs`."""
    root = tmp_path / "work" / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    return root


@pytest.mark.parametrize("name", ["", "../runs", "../../x", "/tmp/zspace-x", ".", "a/b"])
def test_a_data_set_name_cannot_replace_another_folder(artifacts, name, capsys):
    before = _tree(artifacts.parent)
    args = ["synthetic", "--count", "50", "--test", "10", "--size", "32", "--workers", "1",
            "--name", name, "--force", "--quiet", "--artifacts", str(artifacts)]  # fmt: skip
    assert prepare_data.main(args) == 2
    assert "data set name" in one_error_line(capsys.readouterr().err)
    assert _tree(artifacts.parent) == before and not Path("/tmp/zspace-x").exists()


@pytest.mark.parametrize("name", ["", "../../etc", "a/b", ".", ".."])
def test_a_run_name_cannot_replace_another_folder(artifacts, name, capsys):
    before = _tree(artifacts.parent)
    args = ["--preset", "demo", "--run", name, "--force", "--quiet", "--artifacts", str(artifacts)]
    assert train.main(args) == 2
    assert f"run name {name!r} is not allowed" in one_error_line(capsys.readouterr().err)
    assert _tree(artifacts.parent) == before


def _start_training(artifacts: Path, epochs: int) -> subprocess.Popen:
    command = [*PYTHON, "scripts.train", "--run", "tiny", "--epochs", str(epochs), "--quiet",
               "--artifacts", str(artifacts)]  # fmt: skip
    return subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)


def _wait_for_epoch(artifacts: Path, process: subprocess.Popen, epoch: int) -> None:
    checkpoint = artifacts / "runs" / "tiny" / "train.partial" / "checkpoint.npz"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        if checkpoint.exists() and read_checkpoint_record(checkpoint)["epoch"] >= epoch:
            return
        time.sleep(0.02)
    raise AssertionError(f"no epoch {epoch} within 3 minutes")


@pytest.mark.slow
def test_a_stopped_or_killed_continuation_keeps_the_finished_run(
    artifacts, built_runs, capsys, caplog
):
    """Continue the 2-epoch run to 60 epochs; the finished run stays readable throughout, a
    second writer is refused, Ctrl+C and kill -9 both leave it as it was, and the command the
    message names continues to the same weights as one uninterrupted training."""
    run_dir = artifacts / "runs" / "tiny"
    finished = _tree(run_dir)
    root = ["--quiet", "--artifacts", str(artifacts)]
    training = _start_training(artifacts, 60)
    _wait_for_epoch(artifacts, training, 3)
    Run.open(run_dir).check("train", "encode", "analyze")  # the dashboard still reads it
    assert train.main(["--run", "tiny", "--epochs", "60", *root]) == 1
    refused = one_error_line(capsys.readouterr().err)
    assert f"run tiny is being written by process {training.pid} " in refused
    assert "python -m scripts.train --run tiny --epochs 60" in refused
    assert encode.main(["--run", "tiny", "--force", *root]) == 1  # every writer waits its turn

    training.send_signal(signal.SIGINT)
    assert training.wait(timeout=60) == 130
    stopped = training.stderr.read().strip().splitlines()[-1]
    assert re.fullmatch(
        r"stopped: run tiny is unchanged \(2 epochs\); the training to 60 epochs is saved at "
        r"epoch \d+ in \S+/train.partial: `python -m scripts.train --run tiny --epochs 60 "
        r"--artifacts \S+` "
        "continues it", stopped,
    ), stopped  # fmt: skip
    assert _tree(run_dir).items() >= finished.items()  # plus train.partial/
    assert encode.main(["--run", "tiny", "--batch-size", "40", *root]) == 0
    assert "up to date" in capsys.readouterr().out

    killed = _start_training(artifacts, 60)
    _wait_for_epoch(artifacts, killed, 12)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert {k: v for k, v in _tree(run_dir).items() if "partial" not in k} == finished
    assert train.main(["--run", "tiny", *root]) == 0  # the unfinished training's own target
    assert f"took over the lock of process {killed.pid}" in caplog.text
    continued = Run.open(run_dir)
    assert continued.stage("train")["metrics"]["epochs"] == 60
    assert continued.stage("encode") is None and not (run_dir / "latents").exists()
    assert not (run_dir / "train.partial").exists()

    clean = ArtifactLayout(artifacts.parent / "clean")
    shutil.copytree(built_runs / "artifacts", clean.root)
    assert train.main(["--run", "tiny", "--epochs", "60", "--quiet", "--artifacts",
                       str(clean.root)]) == 0  # fmt: skip
    _assert_same_weights(run_dir / "train" / "decoder.keras", clean.run("tiny") / "train" /
                         "decoder.keras")  # fmt: skip


def _assert_same_weights(a: Path, b: Path) -> None:
    from model.network_files import load_network

    for x, y in zip(load_network(a).get_weights(), load_network(b).get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_forced_training_that_fails_keeps_the_run(artifacts, monkeypatch, capsys):
    run_dir = artifacts / "runs" / "tiny"
    before = _tree(run_dir)
    real = model.autoencoder.reconstruction_loss
    monkeypatch.setattr(
        model.autoencoder, "reconstruction_loss", lambda x, y, kind: real(x, y, kind) * np.nan
    )
    args = ["--run", "tiny", "--force", "--quiet", "--artifacts", str(artifacts)]
    assert train.main(args) == 2
    assert "loss became non-finite" in one_error_line(capsys.readouterr().err)
    assert {k: v for k, v in _tree(run_dir).items() if "partial" not in k} == before
    Run.open(run_dir).check("train", "encode", "analyze")


@pytest.mark.slow
def test_a_killed_analysis_leaves_no_temporary_files(artifacts):
    """kill -9 in the middle of `analyze --force`: the old analysis stays, and the next
    analysis removes what the killed one left."""
    run_dir = artifacts / "runs" / "tiny"
    before = _tree(run_dir)
    command = [*PYTHON, "scripts.analyze", "--run", "tiny", "--force", "--quiet", "--artifacts",
               str(artifacts), "--tsne", "raw_ee16_p10", "--tsne-iterations", "20000",
               "--umap"]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(run_dir.glob(".analysis~*.tmp/radius.npz")) and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert list(run_dir.glob(".analysis~*.tmp"))
    assert _tree(run_dir).items() >= before.items()
    assert analyze.main(["--run", "tiny", "--tsne", "--umap", "--kmeans-max-k", "4", "--quiet",
                         "--force", "--artifacts", str(artifacts)]) == 0  # fmt: skip
    assert not [p for p in run_dir.rglob(".*") if p.name != ".gitkeep"]


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB file system of its own (tmpfs), to fill up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> None:
    """Take all of `disk` but about `leave` bytes."""
    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "wb") as handle:
        handle.write(b"\0" * max(0, free - leave))


@pytest.mark.parametrize("stage", ["prepare_data", "train", "encode", "analyze"])
def test_a_full_disk_is_one_line_and_loses_nothing(artifacts, small_disk, stage, capsys):
    root = small_disk / "artifacts"
    shutil.copytree(artifacts, root)
    before = _tree(root)
    common = ["--quiet", "--artifacts", str(root)]
    command, args, leave = {
        "prepare_data": (prepare_data.main, ["synthetic", "--count", "400", "--test", "40",
                         "--size", "32", "--workers", "1", "--name", "more"],
                         400 * 32 * 32 * 3 + 8192),  # the images fit, their attributes do not
        "train": (train.main, ["--run", "tiny", "--epochs", "3"], 200_000),
        "encode": (encode.main, ["--run", "tiny", "--force"], 16384),
        "analyze": (analyze.main, ["--run", "tiny", "--force", "--tsne", "raw_ee16_p10",
                    "--umap", "--kmeans-max-k", "4"], 40_000),
    }[stage]  # fmt: skip
    _fill(small_disk, leave)
    assert command([*args, *common]) == 1
    error = one_error_line(capsys.readouterr().err)
    assert error.startswith("error: No space left on device writing (") and str(root) in error
    assert "free some space and run the command again" in error
    (small_disk / "filler").unlink()
    assert {k: v for k, v in _tree(root).items() if "partial" not in k} == before
    assert not [p for p in root.rglob(".*")]  # no temporary files or locks left behind
    Run.open(root / "runs" / "tiny").check("train", "encode", "analyze")


def test_settings_too_large_for_the_machine_are_refused_at_once(artifacts, capsys):
    root = ["--quiet", "--artifacts", str(artifacts)]
    cases = [
        (train.main, ["--preset", "demo", "--run", "big", "--set", "model.kernel_size=1000",
                      "--set", "dataset=blobs", "--set", "model.image_size=32"],
         "model.kernel_size 1000 is wider than the 32 px images"),
        (train.main, ["--preset", "demo", "--run", "big", "--set", "model.z_dim=10000000",
                      "--set", "dataset=blobs", "--set", "model.image_size=32"],
         "needs about .* of memory, and this machine has"),
        (prepare_data.main, ["synthetic", "--size", "100000", "--count", "50", "--test", "5"],
         "building 100000 px images needs about .* of memory"),
        (prepare_data.main, ["synthetic", "--size", "64", "--count", "10000000000", "--test", "5"],
         "10,000,000,000 images of 64 px needs about .* of disk"),
        (analyze.main, ["--run", "tiny", "--force", "--kmeans-max-k", "100000"],
         "k=100000, but there are only 96 latents"),
        (analyze.main, ["--run", "tiny", "--force", "--seed", "-1"],
         "seed must be a whole number from 0 to 4294967295, got -1"),
        (train.main, ["--run", "tiny", "--force", "--set", "train.seed=-1"],
         "train.seed must be a whole number"),
        (train.main, ["--run", "tiny", "--force", "--set", "model.kl_factor=nan"],
         "model.kl_factor must be a number >= 0, got nan"),
    ]  # fmt: skip
    before = _tree(artifacts)
    for command, args, message in cases:
        started = time.monotonic()
        assert command([*args, *root]) == 2, args
        assert re.search(message, one_error_line(capsys.readouterr().err)), args
        assert time.monotonic() - started < 20, args  # refused before any work
    assert _tree(artifacts) == before


def test_files_and_folders_in_the_wrong_place_are_one_line(artifacts, tmp_path, capsys):
    data = str(artifacts / "datasets" / "blobs")
    assert preview_data.main([data, "--out", str(tmp_path)]) == 2
    assert "is a folder; give a file" in one_error_line(capsys.readouterr().err)
    assert preview_data.main([data, "--out", str(tmp_path / "no" / "such" / "x.png")]) == 2
    assert "does not exist" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "no").exists()
    args = ["--encoder", str(tmp_path), "--decoder", str(tmp_path), "--data", "blobs",
            "--run", "mine", "--artifacts", str(artifacts)]  # fmt: skip
    assert import_model.main(args) == 2
    assert "is a folder, not a .keras file" in one_error_line(capsys.readouterr().err)
    assert prepare_data.main(["folder", data + "/images.npy", "--artifacts", str(artifacts)]) == 2
    assert "is not a folder" in one_error_line(capsys.readouterr().err)


def test_running_out_of_memory_is_one_line(artifacts, monkeypatch, capsys):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("model.data.synthetic.render_batch", exhausted)
    args = ["synthetic", "--count", "50", "--test", "5", "--size", "32", "--workers", "1",
            "--name", "faces", "--quiet", "--artifacts", str(artifacts)]  # fmt: skip
    assert prepare_data.main(args) == 1
    assert "out of memory" in one_error_line(capsys.readouterr().err)
    assert not (artifacts / "datasets" / "faces").exists()
    assert not list((artifacts / "datasets").glob(".*"))


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG file that says it is width x height (RGB) but holds one row: Pillow reads only the
    header when it opens a file, so the size is all a bomb check sees."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = zlib.compress(b"\0" * (1 + 3 * width))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row)
                     + chunk(b"IEND", b""))  # fmt: skip


def test_huge_images_are_skipped_with_the_reason_not_warnings(tmp_path, capfd):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(4):
        Image.new("RGB", (80, 60), (40 * i, 90, 200)).save(folder / f"ok{i}.png")
    _png_header_only(folder / "big.png", 13_000, 13_000)  # under Pillow's error limit
    _png_header_only(folder / "bigger.png", 8_000, 6_000)  # under Pillow's warning limit
    _png_header_only(folder / "bomb.png", 100_000, 100_000)  # over Pillow's error limit
    args = ["folder", str(folder), "--size", "32", "--test", "1", "--workers", "2", "--quiet",
            "--artifacts", str(tmp_path / "artifacts")]  # fmt: skip
    assert prepare_data.main(args) == 0
    output = capfd.readouterr()
    assert "DecompressionBomb" not in output.err + output.out
    from model.data.store import Dataset

    skipped = {s["file"]: s["reason"] for s in Dataset(tmp_path / "artifacts" / "datasets" /
                                                      "folder").info.skipped}  # fmt: skip
    assert set(skipped) == {"big.png", "bigger.png", "bomb.png"}
    assert skipped["big.png"] == (
        "13000 by 13000 px is 169 megapixels, more than the 40 zspace decodes"
    )
    assert skipped["bigger.png"].startswith("8000 by 6000 px is 48 megapixels")
    assert "larger than zspace decodes" in skipped["bomb.png"]


def test_serve_refuses_a_bad_port_and_a_busy_one_before_loading_anything(capsys):
    with pytest.raises(SystemExit) as bad:
        serve.main(["--port", "99999"])
    assert bad.value.code == 2
    assert "port 99999 is not between 1 and 65535" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("localhost", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        assert serve.main(["--port", str(port), "--artifacts", "/nonexistent"]) == 1
        assert time.monotonic() - started < 5
    captured = capsys.readouterr()
    assert f"port {port} on localhost is in use" in one_error_line(captured.err)
    assert "loading the runs" not in captured.out
    assert serve.main(["--address", "no-such-host.invalid", "--port", "8599"]) == 1
    assert "cannot listen on no-such-host.invalid:8599" in one_error_line(capsys.readouterr().err)


def test_a_run_whose_manifest_cannot_be_read_is_set_aside_and_the_others_go_on(
    artifacts, capsys
):
    broken = artifacts / "runs" / "broken"
    shutil.copytree(artifacts / "runs" / "tiny", broken)
    (broken / "manifest.json").write_text("{ not json")
    root = ["--quiet", "--artifacts", str(artifacts)]
    for command, args in ((train.main, ["--run", "broken"]),
                          (train.main, ["--run", "broken", "--force"]),
                          (encode.main, ["--run", "broken", "--force"])):  # fmt: skip
        assert command([*args, *root]) == 2
        line = one_error_line(capsys.readouterr().err)
        assert "manifest.json is not valid JSON" in line and "set it aside" in line
    assert upgrade.main(root) == 0  # the others are upgraded; this one is named
    [note] = [line for line in capsys.readouterr().out.splitlines() if "broken" in line]
    [aside] = suggested_commands(note)
    assert aside == f"mv {broken} {artifacts}/broken.set-aside"
    assert run_suggested(aside) == 0
    assert (artifacts / "broken.set-aside" / "train" / "decoder.onnx").is_file()  # all kept
    assert [path.name for path in ArtifactLayout(artifacts).runs()] == ["tiny"]
    assert upgrade.main(root) == 0 and "broken" not in capsys.readouterr().out


def test_an_unreadable_unfinished_training_is_named_with_how_to_drop_it(artifacts, capsys):
    partial = artifacts / "runs" / "tiny" / "train.partial"
    partial.mkdir()
    (partial / "checkpoint.npz").write_bytes(b"garbage")
    root = ["--quiet", "--artifacts", str(artifacts)]
    assert train.main(["--run", "tiny", *root]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "checkpoint.npz cannot be read" in line and "pass --force" in line
    [drop] = suggested_commands(line)
    assert drop == f"rm -r {partial}"
    forced = ArtifactLayout(artifacts.parent / "forced")
    shutil.copytree(artifacts, forced.root)
    assert train.main(["--run", "tiny", "--force", "--quiet", "--artifacts", str(forced.root)]) == 0
    assert run_suggested(drop) == 0
    assert train.main(["--run", "tiny", *root]) == 0  # the finished run: up to date
    assert "up to date" in capsys.readouterr().out


def test_a_command_on_a_run_that_does_not_exist_leaves_no_folder(tmp_path, capsys):
    root = tmp_path / "empty"
    root.mkdir()
    for command in (encode.main, analyze.main):
        assert command(["--run", "nope", "--quiet", "--artifacts", str(root)]) == 2
        line = one_error_line(capsys.readouterr().err)
        assert f"python -m scripts.train --preset demo --run nope --artifacts {root}" in line
    assert train.main(["--run", "nope", "--quiet", "--artifacts", str(root)]) == 2
    capsys.readouterr()
    assert list(root.iterdir()) == []


def test_an_up_to_date_data_set_clears_what_a_killed_build_left(tmp_path, capsys):
    args = ["synthetic", "--count", "40", "--test", "8", "--size", "32", "--name", "big",
            "--workers", "1", "--quiet", "--artifacts", str(tmp_path)]  # fmt: skip
    assert prepare_data.main(args) == 0
    left = [tmp_path / "datasets" / ".big~old", tmp_path / "datasets" / ".big~x1y2.tmp"]
    for path in left:
        path.mkdir()
        (path / "images.npy").write_bytes(b"half")
    assert prepare_data.main(args) == 0
    assert "up to date" in capsys.readouterr().out
    assert not any(path.exists() for path in left)


@pytest.mark.slow
def test_a_quiet_analysis_says_only_what_it_made(artifacts):
    command = [*PYTHON, "scripts.analyze", "--run", "tiny", "--force", "--quiet", "--tsne",
               "raw_ee16_p10", "--umap", "--kmeans-max-k", "4", "--artifacts", str(artifacts)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith("analyze: ") and len(done.stdout.splitlines()) == 1
