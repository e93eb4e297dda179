"""A stage's outputs and the manifest change together: a commit stopped at any point leaves the
old run or the new one, never a mix, and the next writer finishes or undoes it."""

import os
import signal
import subprocess
import sys

import pytest

from model.config import preset
from model.data.store import Dataset
from model.pipeline.runs import MANIFEST_FILE, Run, open_for_writing
from scripts.serve import REPO

# A process that dies (as on kill -9: no cleanup runs) just before its Nth rename.
KILLED_AT = """
import os, sys
from pathlib import Path
from model.pipeline.runs import ArtifactLayout
from tests.test_runs import _run_with_one_training
real, calls = os.replace, []
def replace(src, dst):
    calls.append(src)
    if len(calls) == int(sys.argv[2]):
        os._exit(9)
    real(src, dst)
os.replace = replace
_run_with_one_training(ArtifactLayout(Path(sys.argv[1])), "new")
"""
STOPS = [(1, "old"), (2, "old"), (3, "old"), (4, "new")]
STOP_NAMES = ["before the pending record", "before the old folder moved aside",
              "with the old folder aside", "before the new manifest"]  # fmt: skip


def _run_with_one_training(layout, text):
    """Run `r` whose train stage is one file, train/weights.txt, holding `text`."""
    with open_for_writing(layout, "r", create=True) as existing:
        run = existing or Run.new(layout.run("r"), preset("demo"), Dataset(layout.dataset("blobs")))
        run.path.mkdir(parents=True, exist_ok=True)
        with run.staging("train") as staged:
            (staged / "weights.txt").write_text(text)
            run.commit("train", staged, {"text": text}, {}, 0.0, ["weights.txt"])


def _state(layout):
    """What a reader of run `r` sees: the recorded params and the file, and whether they match."""
    run = Run.open(layout.run("r"))
    return run.stage("train")["params"]["text"], (run.path / "train" / "weights.txt").read_text(), \
        run.file_problems("train")  # fmt: skip


def test_a_commit_replaces_the_stage_and_leaves_nothing_else(layout):
    _run_with_one_training(layout, "old")
    assert _state(layout) == ("old", "old", [])
    _run_with_one_training(layout, "new")
    assert _state(layout) == ("new", "new", [])
    assert sorted(p.name for p in layout.run("r").iterdir()) == [MANIFEST_FILE, "train"]


@pytest.mark.parametrize(("killed_at", "survivor"), STOPS, ids=STOP_NAMES)
def test_a_commit_killed_anywhere_leaves_the_old_or_the_new_run(layout, killed_at, survivor):
    _run_with_one_training(layout, "old")
    killed = subprocess.run([sys.executable, "-c", KILLED_AT, str(layout.root), str(killed_at)],
                            cwd=REPO, capture_output=True, text=True, check=False)  # fmt: skip
    assert killed.returncode == 9, killed.stderr
    with open_for_writing(layout, "r"):  # the next command that writes the run
        pass
    assert _state(layout) == (survivor, survivor, [])
    assert "pending" not in Run.open(layout.run("r")).manifest
    assert sorted(p.name for p in layout.run("r").iterdir()) == [MANIFEST_FILE, "train"]


@pytest.mark.parametrize("stopped_at", [1, 2, 3, 4], ids=STOP_NAMES)
def test_a_commit_that_fails_anywhere_leaves_the_old_run(layout, monkeypatch, stopped_at):
    """A write that fails (a full disk, say) mid-commit: the old run is back at once."""
    _run_with_one_training(layout, "old")
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append((src, dst))
        if len(calls) == stopped_at:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        _run_with_one_training(layout, "new")
    monkeypatch.setattr(os, "replace", real)
    assert _state(layout) == ("old", "old", [])
    assert "pending" not in Run.open(layout.run("r")).manifest
    assert sorted(p.name for p in layout.run("r").iterdir()) == [MANIFEST_FILE, "train"]


def test_ctrl_c_waits_until_the_commit_is_done(layout, monkeypatch):
    _run_with_one_training(layout, "old")
    real = os.replace

    def replace(src, dst):
        real(src, dst)
        if str(dst).endswith("train"):  # Ctrl+C right after the new folder is in place
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        _run_with_one_training(layout, "new")
    assert _state(layout) == ("new", "new", [])  # delivered once the manifest was written


def test_a_later_stage_is_dropped_with_its_folder_when_an_earlier_one_commits(layout):
    _run_with_one_training(layout, "old")
    with open_for_writing(layout, "r") as run, run.staging("encode") as staged:
        (staged / "z.npy").write_bytes(b"z")
        run.commit("encode", staged, {}, {}, 0.0, ["z.npy"])
    assert (layout.run("r") / "latents" / "z.npy").is_file()
    _run_with_one_training(layout, "new")
    assert Run.open(layout.run("r")).stage("encode") is None
    assert not (layout.run("r") / "latents").exists()


def test_temporaries_of_killed_writers_are_removed_by_the_next_writer(layout):
    _run_with_one_training(layout, "old")
    run_dir = layout.run("r")
    leftovers = [
        run_dir / ".latents~x1y2z3.tmp",  # a killed encode's folder
        run_dir / ".manifest.json~q9.tmp.json",
        run_dir / "train" / ".checkpoint.npz~k3.tmp.npz",
        run_dir / ".train~old",
    ]
    for path in leftovers:
        if path.suffix in (".tmp", "") or path.name.endswith("~old"):
            path.mkdir()
        else:
            path.write_bytes(b"half")
    with open_for_writing(layout, "r"):
        pass
    assert not any(path.exists() for path in leftovers)
    assert _state(layout) == ("old", "old", [])
