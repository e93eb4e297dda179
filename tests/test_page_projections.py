"""The Projections page: PCA planes, latent axes and t-SNE maps, coloured and zoomed; a picked
point's image, reconstruction and neighbours."""

import numpy as np
import pytest

from tests.support import chart_figure, image_captions, open_page, title


def test_projections_switches_pca_planes_latent_axes_and_tsne_maps(monkeypatch, built_runs):
    app = open_page(monkeypatch, built_runs / "artifacts", "projections")
    assert len(app.get("plotly_chart")) == 2  # the map and the explained variance
    pca_12 = chart_figure(app)
    assert title(pca_12).startswith("PCA plane 1-2 of 96")
    assert pca_12["data"][0]["type"] == "scattergl"
    assert title(chart_figure(app, 1)).startswith("Explained variance")

    app.sidebar.number_input(key="proj_pc_y").set_value(4).run()
    pca_14 = chart_figure(app)
    assert title(pca_14).startswith("PCA plane 1-4")
    assert pca_14["data"][0]["y"] != pca_12["data"][0]["y"]
    assert pca_14["data"][0]["x"] == pca_12["data"][0]["x"]
    assert app.sidebar.button(key="proj_plane_8_35").disabled  # the run keeps 6 components
    app.sidebar.button(key="proj_plane_1_2").click().run()
    assert title(chart_figure(app)).startswith("PCA plane 1-2")

    app.sidebar.radio(key="proj_view").set_value("axes").run()
    app.sidebar.number_input(key="proj_ax_x").set_value(7).run()
    axes = chart_figure(app)
    assert title(axes).startswith("Latent components 7 and 1")
    assert axes["layout"]["xaxis"]["title"]["text"] == "z[7]"

    app.sidebar.radio(key="proj_view").set_value("tsne").run()
    assert app.sidebar.selectbox(key="proj_tsne").options == ["pca2_ee12_p30", "raw_ee16_p10"]
    first = chart_figure(app)
    assert "pca2_ee12_p30" in title(first) and "KL" in title(first)
    assert any("perplexity 30" in c.value and "first 2 PCs" in c.value for c in app.caption)
    app.sidebar.selectbox(key="proj_tsne").set_value("raw_ee16_p10").run()
    second = chart_figure(app)
    assert "raw_ee16_p10" in title(second)
    assert second["data"][0]["x"] != first["data"][0]["x"]
    assert any("perplexity 10" in c.value and "exaggeration 16" in c.value for c in app.caption)


def test_projections_colour_and_zoom(monkeypatch, built_runs):
    app = open_page(monkeypatch, built_runs / "artifacts", "projections")
    app.sidebar.selectbox(key="proj_colour").set_value("Left").run()
    names = [trace.get("name") for trace in chart_figure(app)["data"]]
    assert names[:2] == ["not Left", "Left"]
    app.sidebar.selectbox(key="proj_colour").set_value("brightness").run()
    assert chart_figure(app)["data"][0]["marker"]["showscale"] is True

    zoom = app.sidebar.select_slider(key="proj_zoom")
    assert zoom.value == "full"
    side = zoom.options[-1]  # the smallest square offered
    zoom.set_value(float(side)).run()
    x_range = chart_figure(app)["layout"]["xaxis"]["range"]
    assert x_range[1] - x_range[0] == pytest.approx(float(side))


def test_entering_a_row_shows_its_image_reconstruction_and_neighbours(monkeypatch, built_runs):
    app = open_page(monkeypatch, built_runs / "artifacts", "projections")
    app.number_input(key="proj_row").set_value(5).run()
    assert not app.exception
    point, neighbours = image_captions(app)[:2]
    assert point == ["row 5", "reconstruction (from mu)"]
    rows = [int(caption.split(":")[0]) for caption in neighbours]
    # the 8 nearest other encoded points, nearest first
    z = np.load(built_runs / "artifacts" / "runs" / "tiny" / "latents" / "z.npy")
    distances = np.linalg.norm(z - z[5], axis=1)
    distances[5] = np.inf
    assert rows == list(np.argsort(distances, kind="stable")[:8])
    # the map marks the chosen point and its neighbours
    marks = {trace["name"]: trace for trace in chart_figure(app)["data"][1:]}
    assert set(marks) == {"nearest neighbours", "row 5"}
    assert app.get("download_button")  # the PNG of the point and its neighbours

    app.sidebar.slider(key="proj_k").set_value(3).run()
    assert len(image_captions(app)[1]) == 3
    app.sidebar.toggle(key="proj_marks").set_value(False).run()  # keeps the browser's zoom
    assert len(chart_figure(app)["data"]) == 1 and len(image_captions(app)[1]) == 3


def test_projections_works_for_an_ae(monkeypatch, with_ae):
    at = open_page(monkeypatch, with_ae, "projections", run="tiny-ae")
    assert image_captions(at)[0][1] == "reconstruction (from z)"
    at.sidebar.radio(key="proj_view").set_value("tsne").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="proj_tsne").options == ["raw_ee16_p10"]


def test_umap_maps_shade_their_void_and_decode_under_the_cursor_on_the_server(
    monkeypatch, built_runs
):
    from model.analysis.map_grid import MapGrid, grid_latents
    from model.analysis.results import load_result

    root = built_runs / "artifacts"
    app = open_page(monkeypatch, root, "projections", decode="server",
                    query={"proj_view": "umap"})  # fmt: skip
    assert app.sidebar.selectbox(key="proj_umap").options == ["pca2_n15_d0.1"]
    figure = chart_figure(app)
    assert title(figure).startswith("UMAP map pca2_n15_d0.1: 96 of 96 points")
    assert figure["data"][0]["type"] == "heatmap" and figure["data"][0]["name"] == "void"
    assert any("15 neighbours" in c.value and "first 2 PCs" in c.value for c in app.caption)
    assert any("24 x 24 decodable grid" in c.value for c in app.caption)
    grid = load_result(MapGrid, root / "runs" / "tiny" / "analysis" / "grid_umap_pca2_n15_d0.1.npz")
    far = (float(grid.extent[1]) + 1.0, float(grid.extent[3]) + 1.0)  # beyond every point
    app.number_input(key="proj_cx").set_value(far[0]).run()
    app.number_input(key="proj_cy").set_value(far[1]).run()
    assert not app.exception
    at_cursor = _cursor_table(app)
    z = grid_latents(grid, [far])[0]
    assert at_cursor["grid cell"] == "void"
    assert at_cursor["|z|"] == f"{np.linalg.norm(z):.2f}"
    assert f"decoded at ({far[0]:.3f}, {far[1]:.3f})" in image_captions(app)[0]
    assert float(app.query_params["proj_cx"]) == far[0]  # the link holds the cursor


def test_a_link_with_a_cursor_opens_on_that_face(monkeypatch, built_runs):
    from model.analysis.pca import PcaResult
    from model.analysis.planes import pca_plane
    from model.analysis.results import load_result

    root = built_runs / "artifacts"
    query = {"proj_view": "pca", "proj_others": "mean", "proj_cx": "1.5", "proj_cy": "-0.5"}
    app = open_page(monkeypatch, root, "projections", decode="server", query=query)
    assert app.number_input(key="proj_cx").value == 1.5
    pca = load_result(PcaResult, root / "runs" / "tiny" / "analysis" / "pca.npz")
    z = pca_plane(pca, 0, 1).at(1.5, -0.5)
    at_cursor = _cursor_table(app)
    assert at_cursor["|z|"] == f"{np.linalg.norm(z):.2f}"
    assert at_cursor["cursor (x, y)"] == "1.500, -0.500"
    assert "grid cell" not in at_cursor  # a plane has no grid
    app.sidebar.number_input(key="proj_pc_y").set_value(1).run()  # the plane 1-1 is a line
    assert not app.exception and not app.dataframe
    assert any("two different axes" in c.value for c in app.caption)


def _cursor_table(app) -> dict[str, str]:
    [table] = app.dataframe
    return dict(zip(table.value[""], table.value["at the cursor"]))


@pytest.mark.slow
def test_a_run_analysed_without_maps_names_the_command_that_adds_just_them(monkeypatch, encoded):
    """As the quick start leaves `demo` when it is stopped before the maps: the page names the
    command, which computes the maps and their grids and keeps every other result."""
    from model.pipeline.analysis import AnalysisConfig
    from model.pipeline.stages import analyze_stage
    from tests.support import SMALL_ANALYSIS, run_suggested, suggested_commands

    without = {**SMALL_ANALYSIS, "tsne_variants": (), "umap_variants": ()}
    analyze_stage(encoded, "tiny", AnalysisConfig(**without), progress=False)
    kept = (encoded.run("tiny") / "analysis" / "pca.npz").stat().st_ino
    at = open_page(monkeypatch, encoded.root, "projections")
    assert at.sidebar.radio(key="proj_view").options == ["PCA plane", "Latent axes"]
    [caption] = [c.value for c in at.sidebar.caption if "No t-SNE map" in c.value]
    [add_maps] = suggested_commands(caption)
    assert add_maps == (
        "python -m scripts.analyze --run tiny --tsne raw_ee12_p30 raw_ee16_p10 pca2_ee12_p30 "
        f"pca4_ee12_p30 --umap raw_n15_d0.1 pca2_n15_d0.1 pca4_n15_d0.1 --artifacts {encoded.root}"
    )
    assert run_suggested(add_maps) == 0
    assert (encoded.run("tiny") / "analysis" / "pca.npz").stat().st_ino == kept
    at = open_page(monkeypatch, encoded.root, "projections")
    assert at.sidebar.radio(key="proj_view").options[2:] == ["t-SNE map", "UMAP map"]
    assert not [c.value for c in at.sidebar.caption if "No t-SNE map" in c.value]
