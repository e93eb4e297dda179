"""The Projections, Attributes and Compare pages, run headless with AppTest on the tiny run."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")


def _app(monkeypatch, root: Path, run: str | None = None, decode: str | None = None) -> AppTest:
    """The dashboard on `root`'s runs (`run` picked); `decode="server"`: faces decoded on the
    server, as with the sidebar's switch off."""
    monkeypatch.setenv("ZSPACE_ARTIFACTS", str(root))
    at = AppTest.from_file(ENTRY, default_timeout=120)
    if run is not None:
        at.query_params["run"] = run
    if decode is not None:
        at.query_params["decode"] = decode
    at.run()
    assert not at.exception
    return at


def _page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _figure(at: AppTest, number: int = 0) -> dict:
    """The Plotly spec of the page's `number`-th chart, as the browser gets it."""
    return json.loads(at.get("plotly_chart")[number].proto.spec)


def _title(figure: dict) -> str:
    return figure["layout"]["title"]["text"]


def _captions(at: AppTest) -> list[list[str]]:
    return [element.captions for element in at.get("image")]


@pytest.fixture
def app(monkeypatch, built_runs) -> AppTest:
    return _app(monkeypatch, built_runs / "artifacts")


# --- Projections ----------------------------------------------------------------------------


def test_projections_switches_pca_planes_latent_axes_and_tsne_maps(app):
    _page(app, "projections")
    assert len(app.get("plotly_chart")) == 2  # the map and the explained variance
    pca_12 = _figure(app)
    assert _title(pca_12).startswith("PCA plane 1-2 of 96")
    assert pca_12["data"][0]["type"] == "scattergl"
    assert _title(_figure(app, 1)).startswith("Explained variance")

    app.sidebar.number_input(key="proj_pc_y").set_value(4).run()
    pca_14 = _figure(app)
    assert _title(pca_14).startswith("PCA plane 1-4")
    assert pca_14["data"][0]["y"] != pca_12["data"][0]["y"]
    assert pca_14["data"][0]["x"] == pca_12["data"][0]["x"]
    assert app.sidebar.button(key="proj_plane_8_35").disabled  # the run keeps 6 components
    app.sidebar.button(key="proj_plane_1_2").click().run()
    assert _title(_figure(app)).startswith("PCA plane 1-2")

    app.sidebar.radio(key="proj_view").set_value("axes").run()
    app.sidebar.number_input(key="proj_ax_x").set_value(7).run()
    axes = _figure(app)
    assert _title(axes).startswith("Latent components 7 and 1")
    assert axes["layout"]["xaxis"]["title"]["text"] == "z[7]"

    app.sidebar.radio(key="proj_view").set_value("tsne").run()
    assert app.sidebar.selectbox(key="proj_tsne").options == ["pca2_ee12_p30", "raw_ee16_p10"]
    first = _figure(app)
    assert "pca2_ee12_p30" in _title(first) and "KL" in _title(first)
    assert any("perplexity 30" in c.value and "first 2 PCs" in c.value for c in app.caption)
    app.sidebar.selectbox(key="proj_tsne").set_value("raw_ee16_p10").run()
    second = _figure(app)
    assert "raw_ee16_p10" in _title(second)
    assert second["data"][0]["x"] != first["data"][0]["x"]
    assert any("perplexity 10" in c.value and "exaggeration 16" in c.value for c in app.caption)


def test_projections_colour_and_zoom(app):
    _page(app, "projections")
    app.sidebar.selectbox(key="proj_colour").set_value("Left").run()
    names = [trace.get("name") for trace in _figure(app)["data"]]
    assert names[:2] == ["not Left", "Left"]
    app.sidebar.selectbox(key="proj_colour").set_value("brightness").run()
    assert _figure(app)["data"][0]["marker"]["showscale"] is True

    zoom = app.sidebar.select_slider(key="proj_zoom")
    assert zoom.value == "full"
    side = zoom.options[-1]  # the smallest square offered
    zoom.set_value(float(side)).run()
    x_range = _figure(app)["layout"]["xaxis"]["range"]
    assert x_range[1] - x_range[0] == pytest.approx(float(side))


def test_entering_a_row_shows_its_image_reconstruction_and_neighbours(app, built_runs):
    _page(app, "projections")
    app.number_input(key="proj_row").set_value(5).run()
    assert not app.exception
    point, neighbours = _captions(app)[:2]
    assert point == ["row 5", "reconstruction (from mu)"]
    rows = [int(caption.split(":")[0]) for caption in neighbours]
    # the 8 nearest other encoded points, nearest first
    z = np.load(built_runs / "artifacts" / "runs" / "tiny" / "latents" / "z.npy")
    distances = np.linalg.norm(z - z[5], axis=1)
    distances[5] = np.inf
    assert rows == list(np.argsort(distances, kind="stable")[:8])
    # the map marks the chosen point and its neighbours
    marks = {trace["name"]: trace for trace in _figure(app)["data"][1:]}
    assert set(marks) == {"nearest neighbours", "row 5"}
    assert app.get("download_button")  # the PNG of the point and its neighbours

    app.sidebar.slider(key="proj_k").set_value(3).run()
    assert len(_captions(app)[1]) == 3
    app.sidebar.toggle(key="proj_marks").set_value(False).run()  # keeps the browser's zoom
    assert len(_figure(app)["data"]) == 1 and len(_captions(app)[1]) == 3


def test_projections_works_for_an_ae(monkeypatch, with_ae):
    at = _page(_app(monkeypatch, with_ae, run="tiny-ae"), "projections")
    assert _captions(at)[0][1] == "reconstruction (from z)"
    at.sidebar.radio(key="proj_view").set_value("tsne").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="proj_tsne").options == ["raw_ee16_p10"]


# --- Attributes -----------------------------------------------------------------------------


def test_attribute_sliders_change_the_edited_face(monkeypatch, with_ae):
    # the AE: the tiny VAE's decoder barely reacts to its latents after two epochs
    app = _page(_app(monkeypatch, with_ae, run="tiny-ae", decode="server"), "attributes")
    heatmap = _figure(app)
    assert heatmap["data"][0]["type"] == "heatmap"
    assert heatmap["data"][0]["y"] == ["Left", "brightness"]
    assert app.multiselect(key="attr_names").value == ["Left"]  # the only binary attribute
    before = app.get("image")[0].value
    assert len(before) == 3  # original, reconstruction, edited
    app.slider(key="attr_strength_Left").set_value(-3.0).run()
    assert not app.exception
    after = app.get("image")[0].value
    assert after[:2] == before[:2] and after[2] != before[2]
    assert app.get("image")[0].captions == ["row 80", "reconstruction (from z)", "edited: Left -3"]
    assert "rows: Left" in _captions(app)[1][0]  # the strip at -3 ... 3


def test_a_data_set_without_attributes_says_so(monkeypatch, built_runs, tmp_path):
    root = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    (root / "datasets" / "blobs" / "attributes.csv").unlink()  # dataset.json still names them
    at = _page(_app(monkeypatch, root), "attributes")
    assert "has no attributes" in at.info[0].value
    assert "list_attr_celeba.txt" in at.info[0].value
    assert not at.get("plotly_chart")
    _page(at, "projections")
    assert not [box for box in at.sidebar.selectbox if box.key == "proj_colour"]


# --- Compare --------------------------------------------------------------------------------


def test_compare_one_run(monkeypatch, built_runs):
    app = _page(_app(monkeypatch, built_runs / "artifacts", decode="server"), "compare")
    assert app.multiselect(key="cmp_runs").value == ["tiny"]
    assert len(app.get("plotly_chart")) == 1
    assert list(app.table[-1].value.columns) == ["tiny"]  # the logvar table
    assert _captions(app) == [["tiny"]]
    assert not app.warning


def test_compare_runs_side_by_side_and_list_what_is_missing(monkeypatch, built_runs, with_ae):
    root = with_ae.parent / "compare" / "artifacts"
    if not root.exists():
        shutil.copytree(with_ae, root)
        shutil.copytree(built_runs / "encoded" / "runs" / "tiny", root / "runs" / "not-analysed")
    at = _page(_app(monkeypatch, root, run="tiny", decode="server"), "compare")
    assert at.multiselect(key="cmp_runs").value == ["tiny", "not-analysed", "tiny-ae"]
    assert [c[0] for c in _captions(at)] == ["tiny", "not-analysed", "tiny-ae"]  # same z, 3 runs
    assert not at.info  # same z_dim: one set of z-points
    radius = _figure(at)
    assert [trace["name"].split(" ")[0] for trace in radius["data"]] == ["tiny", "tiny-ae"]
    table = at.table[-1].value
    assert list(table.columns) == ["tiny", "tiny-ae"]
    assert table.loc["logvar min", "tiny"] != "no logvar"
    assert (table["tiny-ae"] == "no logvar").all() and (table["tiny"] != "no logvar").all()
    assert "not-analysed" in at.warning[0].value
    assert at.code[0].value == "python -m scripts.analyze --run not-analysed"

    at.multiselect(key="cmp_runs").unselect("not-analysed").run()
    assert not at.exception and not at.warning
    before = at.get("image")[0].value
    at.number_input(key="cmp_seed").set_value(3).run()
    assert at.get("image")[0].value != before
