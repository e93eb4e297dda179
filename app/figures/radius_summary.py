"""The Radius page's figure and tables: data radii against the prior and random baselines."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from scipy import stats

from app.figures.radius import PRIOR_COLOUR, RandomRadii, radius_histogram
from app.figures.theme import as_vector, check_positive
from model.analysis import radius as radius_lib
from model.analysis.baselines import RadiusBaselines
from model.analysis.radius import RadiusAnalysis


def radius_overview(
    analysis: RadiusAnalysis, bin_width: float, baseline: RandomRadii | None = None
) -> go.Figure:
    """`radius_histogram` of the analysis' |z| (and |mu|, if the model has one) with the prior's
    chi distribution, an optional random baseline, the |z| peak and the prior's mode marked."""
    radii_mu = analysis.radii_mu if analysis.has_mu else None
    fig = radius_histogram(analysis.radii_z, radii_mu, bin_width, analysis.dim, baseline)
    return fig.add_vline(
        x=analysis.prior_mode,
        line={"color": PRIOR_COLOUR, "dash": "dot", "width": 1},
        annotation_text=f"prior mode √(d−1) = {analysis.prior_mode:.2f}",
        annotation_position="top left",
        annotation_yshift=-18,  # below the peak's label when the two lines are close
    )


def radius_summary(
    analysis: RadiusAnalysis,
    bin_width: float,
    baseline: RandomRadii | None = None,
    baseline_analytic: float | None = None,
) -> list[dict[str, str | float | int | None]]:
    """Rows (radii, points, peak, mean, analytic RMS radius) for |z|, |mu|, the prior, a baseline.

    Peaks are the centres of the fullest `bin_width` bins, the prior's its exact mode √(d−1);
    the analytic radius is √d for the prior and `baseline_analytic` (b·√(d/3) or s·√d) for the
    baseline, the length the mean radius approaches for large d.
    """
    bin_width = check_positive(bin_width, "bin_width")
    dim = analysis.dim
    series = [("|z| (data)", analysis.radii_z)]
    if analysis.has_mu:
        series.append(("|mu| (data)", analysis.radii_mu))
    rows: list[dict[str, str | float | int | None]] = [
        _row(name, as_vector(radii, name), bin_width, None) for name, radii in series
    ]
    rows.append(
        {
            "radii": f"prior N(0, I): chi, {dim} dof",
            "points": None,
            "peak": analysis.prior_mode,
            "mean": float(stats.chi.mean(dim)),
            "analytic radius": math.sqrt(dim),
        }
    )
    if baseline is not None:
        radii = as_vector(baseline.radii, f"baseline {baseline.label!r}")
        rows.append(_row(baseline.label, radii, bin_width, baseline_analytic))
    return rows


def _row(
    name: str, radii: np.ndarray, bin_width: float, analytic: float | None
) -> dict[str, str | float | int | None]:
    return {
        "radii": name,
        "points": len(radii),
        "peak": radius_lib.radius_histogram(radii, bin_width).peak,
        "mean": float(np.mean(radii, dtype=np.float64)),
        "analytic radius": analytic,
    }


def baseline_rows(
    baselines: RadiusBaselines, data_mean: float
) -> list[dict[str, str | float | int]]:
    """One row per studied uniform limit b and normal scale s: analytic and sample mean radius,
    and the analytic radius as a multiple of the data's mean radius `data_mean`."""
    data_mean = check_positive(data_mean, "data_mean")
    rows: list[dict[str, str | float | int]] = []
    for sampler, values, sample, analytic in (
        (
            "uniform [-b, b]^d",
            baselines.uniform_limits,
            baselines.uniform_mean_radius,
            baselines.uniform_expected_radius,
        ),
        (
            "normal N(0, s²I)",
            baselines.normal_scales,
            baselines.normal_mean_radius,
            baselines.normal_expected_radius,
        ),
    ):
        for value, mean, expected in zip(values, sample, analytic):
            rows.append(
                {
                    "sampler": sampler,
                    "b or s": float(value),
                    "analytic radius": float(expected),
                    f"sample mean ({baselines.n:,} vectors)": float(mean),
                    "analytic / data mean": float(expected) / data_mean,
                }
            )
    return rows
