"""The Overview page: the model card, training curves and reconstructions of the picked run."""

import shutil

from tests.support import active_units, open_page


def test_an_empty_artifacts_folder_says_what_to_run(monkeypatch, tmp_path):
    at = open_page(monkeypatch, tmp_path)
    assert "No runs under" in at.warning[0].value
    assert at.code[0].value == f"python -m scripts.quickstart --artifacts {tmp_path}"


def test_overview_shows_the_run(monkeypatch, built_runs):
    app = open_page(monkeypatch, built_runs / "artifacts")
    assert app.title[0].value == "Run `tiny`"
    assert app.sidebar.selectbox[0].value == "tiny"
    tables = [str(t.value) for t in app.table]
    assert any("vae" in t and "8" in t for t in tables)
    assert len(app.get("plotly_chart")) == 1
    assert len(app.get("image")) == 1  # originals above reconstructions


def test_a_run_without_latents_explains_instead_of_failing(monkeypatch, built_runs, tmp_path):
    shutil.copytree(built_runs / "artifacts", tmp_path / "artifacts")
    shutil.rmtree(tmp_path / "artifacts" / "runs" / "tiny" / "latents")
    at = open_page(monkeypatch, tmp_path / "artifacts")
    assert any("scripts.encode --run tiny" in i.value for i in at.info)


def test_model_card_shows_the_active_units(monkeypatch, built_runs):
    root = built_runs / "artifacts"
    at = open_page(monkeypatch, root, "overview")
    card = " ".join(at.table[0].value["value"])
    assert f"{active_units(root / 'runs' / 'tiny', 'mu')} of 8" in card
