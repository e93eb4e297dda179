"""What holds for every page: each runs without TensorFlow (as in the serving image), for an AE
run, and names the command when its analysis is missing."""

import shutil
import subprocess
import sys

import pytest

from scripts.serve import REPO
from tests.support import chart_figures, open_page, trace_names


@pytest.mark.slow
def test_every_page_works_without_tensorflow(built_runs):
    """As in the serving image: TensorFlow, Keras, tf2onnx, onnx, openTSNE and scikit-learn
    made unimportable, every page still runs, and none of them is loaded afterwards."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.without_tensorflow", str(built_runs / "artifacts"), "tiny"],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": ok") == len(list((REPO / "app" / "views").glob("*.py")))
    assert "loaded: []" in done.stdout


@pytest.mark.parametrize("page", ["radius", "components", "correlations"])
def test_pages_work_for_an_ae_run(monkeypatch, with_ae, page):
    at = open_page(monkeypatch, with_ae, page, run="tiny-ae")
    assert at.session_state["run"] == "tiny-ae"
    assert chart_figures(at)
    if page == "radius":
        assert "|mu|" not in trace_names(chart_figures(at)[0])
        assert "|mu| (data)" not in at.dataframe[0].value["radii"].tolist()


@pytest.mark.parametrize("page", ["radius", "components", "correlations"])
def test_a_run_without_analysis_names_the_command(monkeypatch, built_runs, tmp_path, page):
    shutil.copytree(built_runs / "artifacts", tmp_path / "artifacts")
    shutil.rmtree(tmp_path / "artifacts" / "runs" / "tiny" / "analysis")
    at = open_page(monkeypatch, tmp_path / "artifacts", page)
    assert "analyze output" in at.warning[0].value
    root = tmp_path / "artifacts"
    assert at.code[0].value == f"python -m scripts.analyze --run tiny --artifacts {root}"
    assert not chart_figures(at)
