"""Radius: how long the encoded latents are, against the prior and random vectors."""

import math

import streamlit as st

from app import figures, loaders
from app.session import current_run, require
from model.analysis.baselines import RadiusBaselines
from model.analysis.radius import RadiusAnalysis, radii
from model.generation import sample_latents

BASELINES = {
    "uniform": "Uniform [-b, b]^d",
    "normal": "Normal N(0, s²I)",
    "none": "None",
}
MAX_SAMPLES = 5000  # random vectors drawn for the overlay (at most as many as the data)
SEED = 0

run = current_run()
require(run, "analyze")
radius = loaders.analysis(run, "radius", RadiusAnalysis)
dim = radius.dim
st.title("Radius")

with st.sidebar:
    bin_width = st.slider("Bin width", 0.05, 2.0, 0.5, 0.05, key="radius_bin_width")
    kind = st.radio(
        "Random vectors to compare",
        list(BASELINES),
        format_func=BASELINES.get,
        key="radius_baseline",
    )
    baseline, analytic = None, None
    n = min(radius.count, MAX_SAMPLES)
    if kind == "uniform":
        limit = st.slider("Uniform limit b", 0.1, 8.0, 1.5, 0.1, key="radius_limit")
        points = sample_latents("uniform", n, dim, SEED, limit=limit)
        baseline = figures.RandomRadii(f"uniform b={limit:g}", radii(points))
        analytic = limit * math.sqrt(dim / 3)
    elif kind == "normal":
        scale = st.slider("Normal scale s", 0.1, 3.0, 1.0, 0.05, key="radius_scale")
        points = sample_latents("normal", n, dim, SEED, scale=scale)
        baseline = figures.RandomRadii(f"normal s={scale:g}", radii(points))
        analytic = scale * math.sqrt(dim)
st.plotly_chart(figures.radius_overview(radius, bin_width, baseline), width="stretch")
mu_text = " and |mu|" if radius.has_mu else " (an AE has no mu)"
random_text = (
    f" {n:,} random vectors (seed {SEED}) scaled to as many points as the data;" if baseline else ""
)
st.caption(
    f"Counts of the L2 norms |z|{mu_text} of the run's {radius.count:,} encoded images per "
    f"radius bin; dotted: the counts N(0, I_{dim}) would give (a chi distribution, mode "
    f"√(d−1));{random_text} dashed: the |z| peak. Points far from the prior's shell are where "
    "the sampler must not go."
)

st.subheader("Peaks and mean radii")
st.dataframe(
    figures.radius_summary(radius, bin_width, baseline, analytic),
    hide_index=True,
    column_config={
        "points": st.column_config.NumberColumn(format="localized"),
        "peak": st.column_config.NumberColumn(format="%.3f"),
        "mean": st.column_config.NumberColumn(format="%.3f"),
        "analytic radius": st.column_config.NumberColumn(format="%.3f"),
    },
)
st.caption(
    f"Peak: centre of the fullest {bin_width:g}-wide bin (the prior: its mode √(d−1)). Analytic "
    "radius: √d for the prior, b·√(d/3) for uniform and s·√d for normal vectors, the length the "
    "mean radius approaches for large d."
)

st.subheader("Which random vectors have the data's length?")
baselines = loaders.analysis(run, "baselines", RadiusBaselines)
data_mean = float(radius.radii_z.mean(dtype="float64"))
rows = figures.baseline_rows(baselines, data_mean)
closest = min(rows, key=lambda row: abs(row["analytic / data mean"] - 1))
symbol = "b" if str(closest["sampler"]).startswith("uniform") else "s"
st.dataframe(
    rows,
    hide_index=True,
    height="content",
    column_config={
        name: st.column_config.NumberColumn(format="%.3f")
        for name in rows[0]
        if name not in ("sampler", "b or s")
    },
)
st.caption(
    f"Every uniform limit b and normal scale s of the studies against the data's mean |z| "
    f"({data_mean:.2f}); closest: {closest['sampler']} with {symbol} = {closest['b or s']:g}."
)
