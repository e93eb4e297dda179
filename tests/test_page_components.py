"""The Components page: every component's histogram, the dominant ones, chosen ones alone."""

from model.analysis.components import ComponentAnalysis
from tests.support import Z_DIM, analysis_result, chart_figures, open_page, trace_names


def test_components_page_overlays_all_and_shows_chosen_ones_alone(monkeypatch, artifacts):
    analysis = analysis_result(artifacts, "components", ComponentAnalysis)
    at = open_page(monkeypatch, artifacts, "components")
    (figure,) = chart_figures(at)
    assert len(figure["data"]) == Z_DIM
    assert "dominant" in at.markdown[0].value and "median half-width" in at.markdown[0].value
    dominant = analysis.dominant_index.tolist()
    if dominant:
        table = at.dataframe[0].value
        assert table["index"].tolist() == dominant
        assert list(table.columns) == ["index", "centre", "half_width", "score"]
    else:
        assert "No component is dominant" in at.info[0].value

    at.multiselect(key="components_only").set_value([2, 5]).run()
    assert not at.exception
    names = trace_names(chart_figures(at)[0])
    assert len(names) == 2 and names[0].startswith("2:") and names[1].startswith("5:")
