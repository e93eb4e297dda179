"""The Compare page: runs side by side (radius histograms, logvar statistics, the same samples)."""

import shutil

from tests.support import chart_figure, image_captions, open_page


def test_compare_one_run(monkeypatch, built_runs):
    app = open_page(monkeypatch, built_runs / "artifacts", "compare", decode="server")
    assert app.multiselect(key="cmp_runs").value == ["tiny"]
    assert len(app.get("plotly_chart")) == 1
    assert list(app.table[-1].value.columns) == ["tiny"]  # the logvar table
    assert image_captions(app) == [["tiny"]]
    assert not app.warning


def test_compare_runs_side_by_side_and_list_what_is_missing(monkeypatch, built_runs, with_ae):
    root = with_ae.parent / "compare" / "artifacts"
    if not root.exists():
        shutil.copytree(with_ae, root)
        shutil.copytree(built_runs / "encoded" / "runs" / "tiny", root / "runs" / "not-analysed")
    at = open_page(monkeypatch, root, "compare", run="tiny", decode="server")
    assert at.multiselect(key="cmp_runs").value == ["tiny", "not-analysed", "tiny-ae"]
    # the same z, decoded by the three runs
    assert [c[0] for c in image_captions(at)] == ["tiny", "not-analysed", "tiny-ae"]
    assert not at.info  # same z_dim: one set of z-points
    radius = chart_figure(at)
    assert [trace["name"].split(" ")[0] for trace in radius["data"]] == ["tiny", "tiny-ae"]
    table = at.table[-1].value
    assert list(table.columns) == ["tiny", "tiny-ae"]
    assert table.loc["logvar min", "tiny"] != "no logvar"
    assert (table["tiny-ae"] == "no logvar").all() and (table["tiny"] != "no logvar").all()
    assert "not-analysed" in at.warning[0].value
    assert at.code[0].value == f"python -m scripts.analyze --run not-analysed --artifacts {root}"

    at.multiselect(key="cmp_runs").unselect("not-analysed").run()
    assert not at.exception and not at.warning
    before = at.get("image")[0].value
    at.number_input(key="cmp_seed").set_value(3).run()
    assert at.get("image")[0].value != before
