"""The dashboard's pages, run headless with Streamlit's AppTest against a tiny built run."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.live_faces import BROWSER_KEY
from scripts.serve import REPO

ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")


def _app(monkeypatch, root) -> AppTest:
    monkeypatch.setenv("ZSPACE_ARTIFACTS", str(root))
    return AppTest.from_file(ENTRY, default_timeout=120)


@pytest.fixture
def app(monkeypatch, built_runs) -> AppTest:
    at = _app(monkeypatch, built_runs / "artifacts")
    at.run()
    assert not at.exception
    return at


def test_an_empty_artifacts_folder_says_what_to_run(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path)
    at.run()
    assert not at.exception
    assert "No runs under" in at.warning[0].value
    assert at.code[0].value == "python -m scripts.quickstart"


def test_overview_shows_the_run(app):
    assert app.title[0].value == "Run `tiny`"
    assert app.sidebar.selectbox[0].value == "tiny"
    tables = [str(t.value) for t in app.table]
    assert any("vae" in t and "8" in t for t in tables)
    assert len(app.get("plotly_chart")) == 1
    assert len(app.get("image")) == 1  # originals above reconstructions


def test_a_run_without_latents_explains_instead_of_failing(monkeypatch, built_runs, tmp_path):
    import shutil

    shutil.copytree(built_runs / "artifacts", tmp_path / "artifacts")
    shutil.rmtree(tmp_path / "artifacts" / "runs" / "tiny" / "latents")
    at = _app(monkeypatch, tmp_path / "artifacts")
    at.run()
    assert not at.exception
    assert any("scripts.encode --run tiny" in i.value for i in at.info)


def _image_urls(at) -> list[str]:
    """Media URLs of every st.image; they change whenever the pixels do."""
    return [url for element in at.get("image") for url in element.value]


def _captions(at) -> list[str]:
    """The caption of every st.image, in page order."""
    return [" ".join(element.captions) for element in at.get("image")]


def _decoding_on_the_server(at: AppTest) -> AppTest:
    """The sidebar's switch off: the server decodes, as before faces were decoded in browsers."""
    at.session_state[BROWSER_KEY] = False
    return at


def test_sample_page_decodes_faces_and_a_slider_changes_them(app):
    _decoding_on_the_server(app).switch_page("views/sample.py").run()
    assert not app.exception
    before = _image_urls(app)
    assert len(before) == 3  # the samples, each above its nearest training image, the sweep
    table = app.dataframe[0].value
    assert len(table) == 28 and table["nearest-data percentile"].between(0, 100).all()
    app.sidebar.slider(key="scale").set_value(2.5).run()
    assert not app.exception
    after = _image_urls(app)
    assert after[0] != before[0] and after[1] != before[1]
    assert after[2] == before[2]  # the sweep ignores the scale
    assert app.query_params["scale"] == "2.5"  # the link carries the settings
    app.sidebar.number_input(key="seed").set_value(3).run()
    assert not app.exception
    reseeded = _image_urls(app)
    assert reseeded[0] != after[0] and reseeded[2] != after[2]  # the sweep follows the seed


def test_sample_page_finds_each_faces_nearest_training_image_in_either_space(app):
    _decoding_on_the_server(app).switch_page("views/sample.py").run()
    latent = _image_urls(app)[1]
    assert "nearest of the 80 training images in latent space" in _captions(app)[1]
    app.radio(key="nearest").set_value("pixel").run()
    assert not app.exception
    assert "in pixel space" in _captions(app)[1]
    assert _image_urls(app)[1] != latent
    assert app.query_params["nearest"] == "pixel"


def test_sample_settings_come_from_the_url(monkeypatch, built_runs):
    at = _app(monkeypatch, built_runs / "artifacts")
    at.query_params.update({"sampler": "uniform", "limit": "3.0", "n": "7", "seed": "5"})
    at.run()
    _decoding_on_the_server(at).switch_page("views/sample.py").run()
    assert not at.exception
    assert at.sidebar.radio(key="sampler").value == "uniform"
    assert at.sidebar.slider(key="limit").value == 3.0
    assert len(at.dataframe[0].value) == 7


def test_decoded_in_the_browser_the_sample_page_sends_the_arrays_and_keeps_the_statistics(
    monkeypatch, built_runs
):
    from model.generation import sampled

    at = _app(monkeypatch, built_runs / "artifacts")
    at.query_params.update({"scale": "2.0", "n": "5", "seed": "3"})
    at.run()
    at.switch_page("views/sample.py").run()
    assert not at.exception
    [live] = [e for e in at.main if getattr(e, "type", "") == "bidi_component"] or [None]
    assert live is not None, [getattr(e, "type", e) for e in at.main]
    assert len(_image_urls(at)) == 2  # no server-decoded grid: the faces over their nearest, sweep
    assert not at.sidebar.get("slider") or "scale" not in [s.key for s in at.sidebar.slider]
    table = at.dataframe[0].value
    z = sampled("normal", 5, 8, 3).at(2.0)
    np.testing.assert_allclose(table["|z|"], np.round(np.linalg.norm(z, axis=1), 2))


def test_interpolate_page_walks_between_two_data_points(app):
    app.switch_page("views/interpolate.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert len(table) == 8 and table["nearest image row"].iloc[0] == 0
    images = _image_urls(app)
    assert len(images) == 2  # the steps, then each step above its nearest training image
    nearest = images[1]
    assert "nearest to it in latent space" in _captions(app)[1]
    app.slider[0].set_value(5).run()
    assert len(app.dataframe[0].value) == 5
    assert _image_urls(app)[1] != nearest


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


def test_a_run_from_before_onnx_decoders_says_how_to_add_one(monkeypatch, built_runs, tmp_path):
    import shutil

    from model.runs import Run

    shutil.copytree(built_runs / "artifacts", tmp_path / "artifacts")
    run = Run.open(tmp_path / "artifacts" / "runs" / "tiny")
    del run.manifest["stages"]["train"]["files"]["train/decoder.onnx"]
    run.save()
    (run.path / "train" / "decoder.onnx").unlink()
    at = _app(monkeypatch, tmp_path / "artifacts")
    at.run()
    at.switch_page("views/sample.py").run()
    assert not at.exception
    assert "before zspace kept an ONNX copy" in at.warning[0].value
    assert at.code[0].value == "python -m scripts.train --run tiny"
