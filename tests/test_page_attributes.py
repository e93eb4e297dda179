"""The Attributes page: component x attribute correlations, and a face edited along attribute
directions."""

import shutil

from tests.support import chart_figure, image_captions, open_page


def test_attribute_sliders_change_the_edited_face(monkeypatch, with_ae):
    # the AE: the tiny VAE's decoder barely reacts to its latents after two epochs
    app = open_page(monkeypatch, with_ae, "attributes", run="tiny-ae", decode="server")
    heatmap = chart_figure(app)
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
    assert "rows: Left" in image_captions(app)[1][0]  # the strip at -3 ... 3


def test_a_data_set_without_attributes_says_so(monkeypatch, built_runs, tmp_path):
    root = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    (root / "datasets" / "blobs" / "attributes.csv").unlink()  # dataset.json still names them
    at = open_page(monkeypatch, root, "attributes")
    assert "has no attributes" in at.info[0].value
    assert "list_attr_celeba.txt" in at.info[0].value
    assert not at.get("plotly_chart")
    at.switch_page("views/projections.py").run()
    assert not at.exception
    assert not [box for box in at.sidebar.selectbox if box.key == "proj_colour"]
