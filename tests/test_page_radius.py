"""The Radius page: the data's radii beside the prior's and random vectors'."""

import numpy as np
import pytest

from tests.support import Z_DIM, chart_figures, figure_array, open_page, trace_names


def test_radius_page_draws_data_prior_and_a_uniform_baseline(monkeypatch, artifacts):
    at = open_page(monkeypatch, artifacts, "radius")
    assert at.title[0].value == "Radius"
    (figure,) = chart_figures(at)
    names = trace_names(figure)
    assert names[:2] == ["|z|", "|mu|"]
    assert any(name.startswith("uniform b=1.5") for name in names)
    assert any(name.startswith("prior N(0, I): chi, 8 dof") for name in names)
    marks = [shape["x0"] for shape in figure["layout"]["shapes"]]
    assert pytest.approx(np.sqrt(Z_DIM - 1)) in marks  # the prior's mode next to the peak
    summary, baselines = (frame.value for frame in at.dataframe)
    prior = "prior N(0, I): chi, 8 dof"
    assert summary["radii"].tolist()[:3] == ["|z| (data)", "|mu| (data)", prior]
    assert summary["analytic radius"].iloc[-1] == pytest.approx(1.5 * np.sqrt(Z_DIM / 3))
    assert len(baselines) == 9 + 4  # the studies' uniform limits and normal scales


def test_radius_bin_width_and_baseline_controls_change_the_figure(monkeypatch, artifacts):
    at = open_page(monkeypatch, artifacts, "radius")
    bars = len(figure_array(chart_figures(at)[0]["data"][0]["x"]))
    at.sidebar.slider(key="radius_bin_width").set_value(1.0).run()
    assert not at.exception
    assert len(figure_array(chart_figures(at)[0]["data"][0]["x"])) < bars

    at.sidebar.radio(key="radius_baseline").set_value("normal").run()
    at.sidebar.slider(key="radius_scale").set_value(2.0).run()
    assert not at.exception
    assert any(name.startswith("normal s=2") for name in trace_names(chart_figures(at)[0]))
    assert at.dataframe[0].value["analytic radius"].iloc[-1] == pytest.approx(2 * np.sqrt(Z_DIM))

    at.sidebar.radio(key="radius_baseline").set_value("none").run()
    assert not at.exception
    names = trace_names(chart_figures(at)[0])
    assert not any(name.startswith(("uniform", "normal")) for name in names)
    assert len(at.dataframe[0].value) == 3  # |z|, |mu|, prior
