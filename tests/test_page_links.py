"""What a link can set: every value read from the query string is checked (finite, in range, a
known name), and a bad one falls back to the page's default. Tried with NaN, infinities, 1e308,
negative, empty and markup values for every query key of every page, alone and together, and
with the crafted links of issue 27 (a t-SNE map with its cursor at NaN, a PCA plane decoded on
the server with its cursor at infinity)."""

import pytest

from scripts.serve import REPO
from tests.support import open_page

PAGES = sorted(path.stem for path in (REPO / "app" / "views").glob("*.py"))
BAD = ["nan", "inf", "-inf", "1e308", "-1", "", "<b>x</b><script>alert(1)</script>", "../../etc"]
MAP = {"proj_tsne": "pca2_ee12_p30", "proj_umap": "pca2_n15_d0.1"}


def _keys(monkeypatch, artifacts, page: str) -> list[str]:
    """The query keys `page` reads: those it writes into its own link, plus the run and the
    decoding switch every page reads."""
    at = open_page(monkeypatch, artifacts, page, run="tiny", decode="server")
    return sorted({*at.query_params, "run", "decode"})


def _shows(at) -> None:
    """The page ran to its end: no exception, a title, and no link value shown unescaped."""
    assert not at.exception, [e.value for e in at.exception]
    assert at.title
    assert not [m.value for m in at.markdown if "<script>" in m.value]


@pytest.mark.parametrize("page", PAGES)
def test_every_bad_value_of_every_key_falls_back(monkeypatch, artifacts, page):
    """Each bad value in every key the page reads at once (a key's fallback masks no other's:
    each parser sees the value; the map views' own keys are tried below)."""
    keys = _keys(monkeypatch, artifacts, page)
    for value in BAD:
        _shows(open_page(monkeypatch, artifacts, page, query=dict.fromkeys(keys, value)))


@pytest.mark.parametrize("view", ["tsne", "umap"])
def test_a_bad_map_name_falls_back_to_the_runs_first_map(monkeypatch, artifacts, view):
    for value in BAD:
        query = {"proj_view": view, f"proj_{view}": value}
        _shows(open_page(monkeypatch, artifacts, "projections", run="tiny", query=query))


@pytest.mark.parametrize("view", ["pca", "axes", "tsne", "umap"])
@pytest.mark.parametrize("decode", [None, "server"])
def test_a_crafted_cursor_falls_back_to_the_chosen_point(monkeypatch, artifacts, view, decode):
    for x, y in (("nan", "inf"), ("1e308", "-1e5")):
        query = {"proj_view": view, **MAP, "proj_cx": x, "proj_cy": y, "proj_row": "3"}
        at = open_page(monkeypatch, artifacts, "projections", run="tiny", decode=decode,
                       query=query)  # fmt: skip
        _shows(at)
        assert at.session_state["proj_view"] == view
        cursor = at.session_state["proj_cx"], at.session_state["proj_cy"]
        assert all(abs(value) < 1e3 for value in cursor), cursor  # back on the map
