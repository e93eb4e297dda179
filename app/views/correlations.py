"""Correlations: the Pearson matrix of the latent components and scatter plots of the strongest
pairs."""

import zipfile

import numpy as np
import streamlit as st

from app import figures, loaders
from app.figures.correlations import strongest_pairs
from app.session import current_run, layout, require, run_names
from model.analysis.components import ComponentAnalysis
from model.analysis.correlations import THRESHOLD, CorrelationAnalysis, count_pairs, pairs_above
from model.generation import sample_latents

MAX_LISTED = 1000  # rows of the pair list
MAX_POINTS = 5000  # data points per scatter plot (the studies' sample size)
RANDOM_VECTORS = 10
SEED = 0


def strong_pair_count(name: str) -> int | None:
    """Pairs with |r| > THRESHOLD (the analysis threshold) in the run's correlations; None
    if the run has no readable correlations analysis."""
    try:
        other = loaders.open_run(str(layout().run(name)))
        matrix = loaders.analysis(other, "correlations", CorrelationAnalysis).matrix
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    return int(count_pairs(matrix, [THRESHOLD])[0])


def most_correlated_other_run(current: str) -> tuple[str, int] | None:
    """(name, count) of the other run with the most pairs above THRESHOLD, if any has some."""
    counts = {
        name: strong_pair_count(name)
        for name in run_names()
        if name != current
    }
    counts = {name: count for name, count in counts.items() if count}
    if not counts:
        return None
    name = max(counts, key=counts.__getitem__)
    return name, counts[name]


run = current_run()
require(run, "encode", "analyze")
latent = loaders.analysed_latent(run)
data = loaders.latents(run, latent)
correlations = loaders.analysis(run, "correlations", CorrelationAnalysis)
dominant = set(loaders.analysis(run, "components", ComponentAnalysis).dominant_index.tolist())
matrix = correlations.matrix
dim = len(matrix)
pair_count = dim * (dim - 1) // 2
st.title("Correlations")
if not count_pairs(matrix, [THRESHOLD])[0]:
    other = most_correlated_other_run(run.name)
    if other:
        st.info(
            f"This run has no pair with |r| > {THRESHOLD:g}; the `{other[0]}` run has "
            f"{other[1]:,}: pick it in the sidebar's Run picker to see the studies' strong "
            "correlations."
        )

heatmap_col, pairs_col = st.columns([3, 2])
with heatmap_col:
    st.plotly_chart(figures.correlation_heatmap(matrix), width="stretch")
    st.caption(
        f"Pearson correlation r of every pair of the {dim} components of {latent} over all "
        f"{correlations.count:,} encoded images; blue: positive, red: negative, the diagonal is 1."
    )
with pairs_col:
    st.subheader("Pairs per threshold")
    st.dataframe(
        {
            "|r| above": correlations.count_thresholds,
            "pairs": correlations.pair_counts,
        },
        hide_index=True,
    )
    st.caption(f"Of the {pair_count:,} pairs i < j, as in the studies' table.")
    default = float(np.clip(correlations.threshold, 0.05, 0.95))
    threshold = st.slider("Threshold on |r|", 0.05, 0.95, default, 0.05, key="corr_threshold")
    pair_i, pair_j, pair_r = pairs_above(matrix, threshold)
    total = len(pair_r)
    st.subheader(f"{total:,} pairs with |r| > {threshold:g}")
    if total:
        listed = slice(0, MAX_LISTED)
        st.dataframe(
            {
                "i": pair_i[listed],
                "j": pair_j[listed],
                "r": np.round(pair_r[listed], 3),
                "dominant": [
                    ", ".join(str(c) for c in (i, j) if c in dominant)
                    for i, j in zip(pair_i[listed], pair_j[listed])
                ],
            },
            hide_index=True,
            height=min(400, 38 + 35 * min(total, MAX_LISTED)),
        )
        more = f"; the first {MAX_LISTED:,} shown" if total > MAX_LISTED else ""
        st.caption(f"Sorted by |r|, strongest first{more}; dominant: which of i, j are.")
    else:
        st.info(f"No pair of components has |r| > {threshold:g}.")

st.subheader("Scatter plots of the strongest pairs")
top_i, top_j, top_r = strongest_pairs(matrix)
if not len(top_r):
    st.info("No pair of components has a nonzero r, so there is no pair to plot.")
    st.stop()
left, right = st.columns(2)
with left:
    limit = st.slider("Uniform limit b of the random vectors", 0.5, 8.0, 4.0, 0.5, key="corr_limit")
with right:
    row = st.number_input("Chosen data point: image row", 0, len(data) - 1, 0, key="corr_row")
pairs = list(zip(top_i.tolist(), top_j.tolist()))
random_points = sample_latents("uniform", RANDOM_VECTORS, dim, SEED, limit=limit)
grid = figures.pair_scatter_grid(
    data, pairs, random_points, int(row), matrix, max_points=MAX_POINTS, seed=SEED
)
st.plotly_chart(grid, width="stretch")
if len(pairs) == pair_count:
    shown = f"all {pair_count:,}"
else:
    shown = f"the {len(pairs)} strongest of all {pair_count:,}"
above = min(total, len(pairs))  # both lists are sorted by |r|
st.caption(
    f"Component j against i for {shown} pairs ({above} of them with |r| > {threshold:g}; "
    f"titles: i-j and r): {min(len(data), MAX_POINTS):,} data points (blue), "
    f"{RANDOM_VECTORS} uniform random vectors in [-{limit:g}, {limit:g}]^d (red, seed {SEED}), "
    f"image {row} (orange) and the origin (yellow)."
)
