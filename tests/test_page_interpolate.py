"""The Interpolate page: a path between two endpoints, each step above its nearest image."""

from tests.support import image_urls, joined_captions, open_page


def test_interpolate_page_walks_between_two_data_points(monkeypatch, built_runs):
    app = open_page(monkeypatch, built_runs / "artifacts", "interpolate")
    table = app.dataframe[0].value
    assert len(table) == 8 and table["nearest image row"].iloc[0] == 0
    images = image_urls(app)
    assert len(images) == 2  # the steps, then each step above its nearest training image
    nearest = images[1]
    assert "nearest to it in latent space" in joined_captions(app)[1]
    app.slider[0].set_value(5).run()
    assert len(app.dataframe[0].value) == 5
    assert image_urls(app)[1] != nearest
