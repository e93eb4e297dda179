"""Runs built in turn with their progress in builds.json, and the dashboard's view of it."""

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import model.pipeline.builds
from model.files import write_json
from model.locks import Busy, exclusive
from model.pipeline.analysis import AnalysisConfig
from model.pipeline.build_status import BUILDS_FILE, BuildStatus, RunProgress, read_build_status
from model.pipeline.builds import BUILD_LOCK, build_runs
from model.pipeline.runs import RunError
from tests.support import SMALL_ANALYSIS, tiny_config

ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
ANALYSIS = AnalysisConfig(**{**SMALL_ANALYSIS, "tsne_variants": ("raw_ee16_p10",)})


def test_progress_fractions_and_viewability():
    assert RunProgress("a").fraction == 0.0 and not RunProgress("a").viewable
    assert RunProgress("a", "train", 3, 12).fraction == pytest.approx(3 / 12 / 3)
    assert RunProgress("a", "encode").fraction == pytest.approx(1 / 3)
    assert RunProgress("a", "analyze", 4, 8).fraction == pytest.approx((2 + 0.5) / 3)
    maps = RunProgress("a", "maps", 1, 4, "tsne (step 2 of 4)")
    assert maps.viewable and not maps.finished and maps.fraction == 0.25
    assert maps.describe() == "adding its t-SNE and UMAP maps, tsne (step 2 of 4)"
    assert RunProgress("a", "ready").fraction == 1.0 and RunProgress("a", "ready").finished
    assert RunProgress("a", "maps").describe() == "ready to look at; its maps come last"


def test_a_status_knows_whether_its_builder_is_alive(tmp_path):
    assert read_build_status(tmp_path) is None
    (tmp_path / BUILDS_FILE).write_text("{not json")
    assert read_build_status(tmp_path) is None
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    for pid, alive in ((os.getpid(), True), (gone.pid, False)):
        status = BuildStatus(pid, os.uname().nodename, 0.0, (RunProgress("a", "train"),))
        write_json(tmp_path / BUILDS_FILE, status.to_dict())
        assert read_build_status(tmp_path) == status
        assert read_build_status(tmp_path).alive is alive


def test_maps_last_shows_every_run_first_then_adds_the_maps(layout, monkeypatch):
    """Both runs are analysed without maps first (viewable), then both get their maps, and
    only them (the other results are the very files made first); a second build finds
    everything current and redoes nothing."""
    calls, states, reports = [], [], []
    real_analyze, real_write = model.pipeline.builds.analyze_stage, model.pipeline.builds.write_json

    def analyze(layout, run, analysis, *args, **kwargs):
        calls.append((run, analysis.tsne_variants))
        if analysis.tsne_variants:  # the maps: the first results are kept as they are
            inodes.setdefault(run, (layout.run(run) / "analysis" / "radius.npz").stat().st_ino)
        reports.append(real_analyze(layout, run, analysis, *args, **kwargs).message)
        return reports[-1]

    def write(path, data):
        states.append(tuple((entry["run"], entry["state"]) for entry in data["runs"]))
        real_write(path, data)

    monkeypatch.setattr(model.pipeline.builds, "analyze_stage", analyze)
    monkeypatch.setattr(model.pipeline.builds, "write_json", write)
    runs = {name: tiny_config(**{"train.epochs": "1"}) for name in ("one", "two")}
    inodes: dict[str, int] = {}
    build_runs(layout, runs, maps="last", analysis=ANALYSIS, progress=False)
    assert calls == [("one", ()), ("two", ()), ("one", ("raw_ee16_p10",)),
                     ("two", ("raw_ee16_p10",))]  # fmt: skip
    assert reports[2].startswith("analyze: added tsne maps raw_ee16_p10; umap maps pca2_n15_d0.1")
    for name, inode in inodes.items():
        assert (layout.run(name) / "analysis" / "radius.npz").stat().st_ino == inode
    assert (("one", "maps"), ("two", "train")) in states  # `one` was viewable while `two` trained
    final = read_build_status(layout.root)
    assert [p.state for p in final.runs] == ["ready", "ready"] and final.pid == os.getpid()
    for name in runs:
        assert (layout.run(name) / "analysis" / "tsne_raw_ee16_p10.npz").is_file()

    calls.clear()
    build_runs(layout, runs, maps="last", analysis=ANALYSIS, progress=False)
    assert all("up to date" in message for message in reports[-len(calls):])
    assert [p.state for p in read_build_status(layout.root).runs] == ["ready", "ready"]


def test_a_failing_run_is_marked_failed_and_the_error_raised(layout):
    runs = {"lost": tiny_config(dataset="nowhere")}
    with pytest.raises(RunError, match="nowhere"):
        build_runs(layout, runs, analysis=ANALYSIS, progress=False)
    (progress,) = read_build_status(layout.root).runs
    assert progress.state == "failed" and "train" in progress.detail


def _app_with_status(monkeypatch, root: Path, pid: int, runs: tuple[RunProgress, ...]) -> AppTest:
    status = BuildStatus(pid, os.uname().nodename, 0.0, runs)
    write_json(root / BUILDS_FILE, status.to_dict())
    monkeypatch.setenv("ZSPACE_ARTIFACTS", str(root))
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_the_sidebar_shows_the_build_and_hides_runs_not_yet_analysed(
    monkeypatch, built_runs, tmp_path
):
    root = tmp_path / "artifacts"
    shutil.copytree(built_runs / "encoded", root)  # `tiny`: trained and encoded, not analysed
    building = (RunProgress("tiny", "analyze", 3, 9, "pca (step 4 of 9)"),)
    at = _app_with_status(monkeypatch, root, os.getpid(), building)
    assert not at.sidebar.selectbox  # no run to pick yet
    assert "still being built" in at.info[0].value
    assert "Being built in the background:" in [c.value for c in at.sidebar.caption]

    stopped = subprocess.Popen([sys.executable, "-c", "pass"])
    stopped.wait()
    at = _app_with_status(monkeypatch, root, stopped.pid, building)
    assert at.sidebar.selectbox[0].options == ["tiny"]  # a dead build hides nothing
    assert any("the build stopped" in c.value for c in at.sidebar.caption)


def test_an_analysed_run_stays_pickable_while_its_maps_are_added(monkeypatch, built_runs, tmp_path):
    root = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    maps = RunProgress("tiny", "maps", 4, 9, "tsne (step 5 of 9)")
    at = _app_with_status(monkeypatch, root, os.getpid(), (maps,))
    assert at.sidebar.selectbox[0].options == ["tiny"]
    rerun_analysis = dataclasses.replace(maps, state="analyze")  # e.g. checked again on a rerun
    at = _app_with_status(monkeypatch, root, os.getpid(), (rerun_analysis,))
    assert at.sidebar.selectbox[0].options == ["tiny"]


def test_a_second_build_is_refused_and_leaves_the_first_ones_status(layout):
    status = BuildStatus(12345, "elsewhere", 0.0, (RunProgress("tiny", "train", 1, 2),))
    write_json(layout.root / BUILDS_FILE, status.to_dict())
    with exclusive(layout.root / BUILD_LOCK, "the build"), pytest.raises(Busy):
        build_runs(layout, {"tiny": tiny_config()}, maps="skip", progress=False)
    assert read_build_status(layout.root) == status
