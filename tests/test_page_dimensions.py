"""The Dimensions page: per-dimension use (KL, Var(mu), active units) and latent traversals."""

import json
import shutil

import numpy as np

from tests.support import active_units, chart_figures, image_urls, open_page, run_suggested


def test_dimensions_page_counts_active_units_and_sorts_by_kl(monkeypatch, built_runs):
    root = built_runs / "artifacts"
    at = open_page(monkeypatch, root, "dimensions")
    assert at.metric[0].value == f"{active_units(root / 'runs' / 'tiny', 'mu')} of 8"
    assert at.metric[1].value.endswith("nats")
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    mu = np.load(root / "runs" / "tiny" / "latents" / "mu.npy").astype(np.float64)
    logvar = np.load(root / "runs" / "tiny" / "latents" / "logvar.npy").astype(np.float64)
    kl = (0.5 * (mu**2 + np.exp(logvar) - 1 - logvar)).mean(axis=0)
    order = [str(i) for i in np.argsort(-kl, kind="stable")]
    assert figure["layout"]["xaxis"]["categoryarray"] == order
    at.radio(key="dims_by").set_value("variance").run()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["yaxis"]["type"] == "log"


def test_traversal_grid_follows_the_point_and_the_dimensions(monkeypatch, built_runs):
    at = open_page(monkeypatch, built_runs / "artifacts", "dimensions")
    first = image_urls(at)
    assert len(first) == 1 and at.multiselect(key="traverse_dims_kl").value  # top 8 of 8
    assert "t = -3, -2.25" in at.get("image")[0].captions[0]
    at.multiselect(key="traverse_dims_kl").set_value([0, 5]).run()
    assert not at.exception
    two_rows = image_urls(at)
    assert two_rows != first
    at.radio(key="traverse_from").set_value("data point").run()
    at.number_input(key="traverse_row").set_value(7).run()
    assert not at.exception
    assert image_urls(at) != two_rows and "From image 7" in at.get("image")[0].captions[0]
    at.multiselect(key="traverse_dims_kl").set_value([]).run()
    assert "Pick at least one dimension" in at.info[0].value


def test_an_ae_is_told_that_kl_does_not_apply(monkeypatch, with_ae):
    at = open_page(monkeypatch, with_ae, "dimensions", run="tiny-ae")
    assert at.metric[1].value == "does not apply"
    assert "autoencoder" in at.info[0].value and "KL to the prior" in at.info[0].value
    assert at.radio(key="dims_by").options == ["Var(mu) across the data"]
    assert at.metric[0].value == f"{active_units(with_ae / 'runs' / 'tiny-ae', 'z')} of 8"
    assert len(image_urls(at)) == 1  # traversals work without mu


def test_a_tiny_kl_run_is_told_why_kl_says_little(monkeypatch, built_runs, tmp_path):
    root = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    manifest_path = root / "runs" / "tiny" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["config"]["model"]["kl_factor"] = 1e-5
    manifest_path.write_text(json.dumps(manifest))
    at = open_page(monkeypatch, root, "dimensions")
    assert "KL factor is 1e-05, near zero" in at.info[0].value


def test_an_analysis_from_before_the_page_names_the_command(monkeypatch, built_runs, tmp_path):
    root = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    manifest_path = root / "runs" / "tiny" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["stages"]["analyze"]["files"]["analysis/dimensions.npz"]  # as zspace made it
    manifest["stages"]["analyze"]["params"]["steps"].remove("dimensions")  # before the step
    manifest_path.write_text(json.dumps(manifest))
    at = open_page(monkeypatch, root, "dimensions")
    assert "made before zspace computed `dimensions`" in at.warning[0].value
    assert at.code[0].value == f"python -m scripts.analyze --run tiny --artifacts {root}"
    assert run_suggested(at.code[0].value) == 0  # it adds just that result
    again = open_page(monkeypatch, root, "dimensions")
    assert not any("made before" in warning.value for warning in again.warning)
    assert not again.code and chart_figures(again)
