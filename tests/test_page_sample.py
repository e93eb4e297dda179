"""The Sample page: faces sampled at a scale or limit, decoded on the server or in the browser,
each above its nearest training image; the settings in the URL."""


import numpy as np

from tests.support import image_urls, joined_captions, open_page


def test_sample_page_decodes_faces_and_a_slider_changes_them(monkeypatch, built_runs):
    app = open_page(monkeypatch, built_runs / "artifacts", "sample", decode="server")
    before = image_urls(app)
    assert len(before) == 3  # the samples, each above its nearest training image, the sweep
    table = app.dataframe[0].value
    assert len(table) == 28 and table["nearest-data percentile"].between(0, 100).all()
    app.sidebar.slider(key="scale").set_value(2.5).run()
    assert not app.exception
    after = image_urls(app)
    assert after[0] != before[0] and after[1] != before[1]
    assert after[2] == before[2]  # the sweep ignores the scale
    assert app.query_params["scale"] == "2.5"  # the link carries the settings
    app.sidebar.number_input(key="seed").set_value(3).run()
    assert not app.exception
    reseeded = image_urls(app)
    assert reseeded[0] != after[0] and reseeded[2] != after[2]  # the sweep follows the seed


def test_sample_page_finds_each_faces_nearest_training_image_in_either_space(
    monkeypatch, built_runs
):
    app = open_page(monkeypatch, built_runs / "artifacts", "sample", decode="server")
    latent = image_urls(app)[1]
    assert "nearest of the 80 training images in latent space" in joined_captions(app)[1]
    app.radio(key="nearest").set_value("pixel").run()
    assert not app.exception
    assert "in pixel space" in joined_captions(app)[1]
    assert image_urls(app)[1] != latent
    assert app.query_params["nearest"] == "pixel"


def test_sample_settings_come_from_the_url(monkeypatch, built_runs):
    query = {"sampler": "uniform", "limit": "3.0", "n": "7", "seed": "5"}
    at = open_page(monkeypatch, built_runs / "artifacts", "sample", decode="server", query=query)
    assert at.sidebar.radio(key="sampler").value == "uniform"
    assert at.sidebar.slider(key="limit").value == 3.0
    assert len(at.dataframe[0].value) == 7


def test_decoded_in_the_browser_the_sample_page_sends_the_arrays_and_keeps_the_statistics(
    monkeypatch, built_runs
):
    from model.generation import sampled

    query = {"scale": "2.0", "n": "5", "seed": "3"}
    at = open_page(monkeypatch, built_runs / "artifacts", "sample", query=query)
    [live] = [e for e in at.main if getattr(e, "type", "") == "bidi_component"] or [None]
    assert live is not None, [getattr(e, "type", e) for e in at.main]
    assert len(image_urls(at)) == 2  # no server-decoded grid: the faces over their nearest, sweep
    assert not at.sidebar.get("slider") or "scale" not in [s.key for s in at.sidebar.slider]
    table = at.dataframe[0].value
    z = sampled("normal", 5, 8, 3).at(2.0)
    np.testing.assert_allclose(table["|z|"], np.round(np.linalg.norm(z, axis=1), 2))


