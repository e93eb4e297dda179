"""Radius histograms of latents against the prior's chi distribution and random baselines.

Builders take raw radii and compute the histograms themselves, so a page can re-bin live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import plotly.graph_objects as go
from scipy import stats

from app.figures.theme import PALETTE, as_vector, check_positive, themed
from model.analysis import radius as radius_lib

HistStyle = Literal["bars", "steps"]
MAX_BINS = 10_000  # a figure with more bins is too heavy for the browser
PRIOR_COLOUR = "#222"
BASELINE_COLOUR = "#d62728"


@dataclass(frozen=True)
class RandomRadii:
    """Radii of random vectors drawn for comparison, e.g. label "uniform b=1.5"."""

    label: str
    radii: np.ndarray


def common_edges(
    radii_sets: list[np.ndarray], bin_width: float, dim: int | None = None
) -> np.ndarray:
    """Edges 0, w, 2w, ... covering every radius, and the prior's bulk when `dim` is given."""
    bin_width = check_positive(bin_width, "bin_width")
    furthest = max(float(r.max()) for r in radii_sets)
    if dim is not None:
        if int(dim) != dim or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim}")
        furthest = max(furthest, float(stats.chi.isf(radius_lib.PRIOR_TAIL, dim)))
    bins = int(np.ceil(furthest / bin_width))
    if bins > MAX_BINS:
        raise ValueError(
            f"bin_width {bin_width:g} gives {bins} bins up to radius {furthest:.4g}; "
            f"at most {MAX_BINS} are drawn"
        )
    return radius_lib.radius_edges(furthest, bin_width)


def histogram_trace(
    edges: np.ndarray, counts: np.ndarray, name: str, colour: str, style: HistStyle
) -> go.Bar | go.Scatter:
    """One histogram as overlaid bars or a step line; hover shows the bin and its count."""
    centres = (edges[:-1] + edges[1:]) / 2
    bins = np.column_stack([edges[:-1], edges[1:]])
    hover = f"{name}<br>[%{{customdata[0]:.4g}}, %{{customdata[1]:.4g}})<br>%{{y:,.4g}}"
    common = {"x": centres, "y": counts, "name": name, "customdata": bins}
    if style == "bars":
        return go.Bar(
            **common,
            width=float(edges[1] - edges[0]),
            marker={"color": colour, "line": {"width": 0}},
            opacity=0.55,
            hovertemplate=hover + "<extra></extra>",
        )
    if style == "steps":
        return go.Scatter(
            **common,
            mode="lines",
            line={"color": colour, "shape": "hvh", "width": 1.5},
            hovertemplate=hover + "<extra></extra>",
        )
    raise ValueError(f"style must be 'bars' or 'steps', got {style!r}")


def radius_histogram(
    radii_z: np.ndarray,
    radii_mu: np.ndarray | None,
    bin_width: float,
    dim: int | None = None,
    baseline: RandomRadii | None = None,
    style: HistStyle = "bars",
) -> go.Figure:
    """Counts of |z| (and |mu|) per radius bin, the N(0, I_dim) prior's expected counts for as
    many points, an optional random baseline scaled to as many points, and the |z| peak marked.

    No `radii_mu` (an AE) draws |z| alone; no `dim` leaves out the prior.
    """
    radii_z = as_vector(radii_z, "radii_z")
    count = len(radii_z)
    series = [("|z|", radii_z, PALETTE[0], 1.0)]  # name, radii, colour, count scale
    if radii_mu is not None:
        series.append(("|mu|", as_vector(radii_mu, "radii_mu"), PALETTE[1], 1.0))
    if baseline is not None:
        radii = as_vector(baseline.radii, f"baseline {baseline.label!r}")
        series.append((baseline.label, radii, BASELINE_COLOUR, count / len(radii)))
    edges = common_edges([radii for _, radii, _, _ in series], bin_width, dim)
    hists = [radius_lib.radius_histogram(radii, bin_width, edges[-1]) for _, radii, _, _ in series]
    fig = go.Figure()
    for (name, _, colour, scale), hist in zip(series, hists):
        if scale != 1.0:
            name = f"{name} (scaled to {count:,} points)"
        fig.add_trace(histogram_trace(edges, hist.counts * scale, name, colour, style))
    peak = hists[0].peak
    if dim is not None:
        fig.add_trace(prior_trace(edges, int(dim), count))
    fig.add_vline(
        x=peak,
        line={"color": PALETTE[0], "dash": "dash", "width": 1.5},
        annotation_text=f"peak |z| {peak:g}",
        annotation_position="top right",
    )
    themed(
        fig,
        f"Radius of {count:,} latents, bin width {bin_width:g}",
        "radius (L2 norm)",
        "points per bin",
    )
    return fig.update_layout(barmode="overlay", bargap=0)


def prior_trace(edges: np.ndarray, dim: int, count: int) -> go.Scatter:
    """Expected counts per bin of `count` radii of z ~ N(0, I_dim): chi with dim dof."""
    return go.Scatter(
        x=(edges[:-1] + edges[1:]) / 2,
        y=radius_lib.prior_radius_counts(edges, dim, count),
        name=f"prior N(0, I): chi, {dim} dof",
        mode="lines",
        line={"color": PRIOR_COLOUR, "dash": "dot", "width": 2},
        hovertemplate="prior<br>radius %{x:.4g}<br>expected %{y:,.1f}<extra></extra>",
    )


def radius_comparison(
    named_radii: Mapping[str, np.ndarray],
    bin_width: float,
    normalize: bool = False,
    style: HistStyle = "steps",
) -> go.Figure:
    """Several runs' |z| histograms on common bins, each named with its peak.

    `normalize` shows the fraction of each run's points per bin, for runs of different sizes.
    """
    if not named_radii:
        raise ValueError("named_radii is empty: no run to compare")
    named = {name: as_vector(r, f"radii of {name!r}") for name, r in named_radii.items()}
    edges = common_edges(list(named.values()), bin_width)
    fig = go.Figure()
    for k, (name, radii) in enumerate(named.items()):
        hist = radius_lib.radius_histogram(radii, bin_width, edges[-1])
        counts = hist.counts / len(radii) if normalize else hist.counts
        label = f"{name} (peak {hist.peak:g})"
        fig.add_trace(histogram_trace(edges, counts, label, PALETTE[k % len(PALETTE)], style))
    y_title = "fraction of points per bin" if normalize else "points per bin"
    themed(fig, f"Radius |z| by run, bin width {bin_width:g}", "radius (L2 norm)", y_title)
    return fig.update_layout(barmode="overlay", bargap=0)


def sample_radius(
    data_radii: np.ndarray, sample_radii: np.ndarray, bin_width: float = 0.5
) -> go.Figure:
    """The data's radius histogram with each sampled z's radius marked below it; hover gives
    the sample's number and its radius percentile among the data."""
    data_radii = as_vector(data_radii, "data_radii")
    sample_radii = as_vector(sample_radii, "sample_radii")
    edges = common_edges([data_radii, sample_radii], bin_width)
    hist = radius_lib.radius_histogram(data_radii, bin_width, edges[-1])
    percentile = 100 * np.searchsorted(np.sort(data_radii), sample_radii) / len(data_radii)
    fig = go.Figure(histogram_trace(edges, hist.counts, "data |z|", PALETTE[0], "bars"))
    fig.add_trace(
        go.Scatter(
            x=sample_radii,
            y=np.zeros(len(sample_radii)),
            customdata=np.column_stack([np.arange(1, len(sample_radii) + 1), percentile]),
            mode="markers",
            name="sampled z",
            marker={"symbol": "triangle-up", "size": 11, "color": BASELINE_COLOUR},
            hovertemplate="face %{customdata[0]}<br>|z| %{x:.3f}<br>"
            "percentile %{customdata[1]:.1f}<extra></extra>",
        )
    )
    themed(
        fig,
        f"Where {len(sample_radii)} sampled z-points fall among {len(data_radii):,} data radii",
        "radius (L2 norm)",
        "data points per bin",
    )
    return fig.update_layout(barmode="overlay", bargap=0)
