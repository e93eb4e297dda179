"""Correlations: the Pearson matrix of the latent components and scatter plots of the top pairs."""

import numpy as np
import streamlit as st

from app import figures, loaders
from app.session import current_run, require
from model.analysis.components import ComponentAnalysis
from model.analysis.correlations import CorrelationAnalysis, pairs_above
from model.generation import sample_latents

MAX_PAIRS = 16  # the studies' 4 x 4 grid
MAX_LISTED = 1000  # rows of the pair list
MAX_POINTS = 5000  # data points per scatter plot (the studies' sample size)
RANDOM_VECTORS = 10
SEED = 0

run = current_run()
require(run, "encode", "analyze")
latent = loaders.analysed_latent(run)
data = loaders.latents(run, latent)
if data is None:
    data = loaders.latents(run, "z")  # an AE's mu is its z
correlations = loaders.analysis(run, "correlations", CorrelationAnalysis)
dominant = set(loaders.analysis(run, "components", ComponentAnalysis).dominant_index.tolist())
matrix = correlations.matrix
dim = len(matrix)
st.title("Correlations")

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
    st.caption(f"Of the {dim * (dim - 1) // 2:,} pairs i < j, as in the studies' table.")
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

st.subheader("Scatter plots of the top pairs")
if not total:
    upper_i, upper_j = np.triu_indices(dim, k=1)
    upper_r = np.nan_to_num(matrix[upper_i, upper_j])
    hint = ""
    if upper_r.size:
        k = int(np.argmax(np.abs(upper_r)))
        hint = f" The strongest pair is {upper_i[k]}-{upper_j[k]} (r = {upper_r[k]:.2f})."
    st.info(f"No pair has |r| > {threshold:g}, so there is nothing to plot.{hint}")
    st.stop()
left, right = st.columns(2)
with left:
    limit = st.slider("Uniform limit b of the random vectors", 0.5, 8.0, 4.0, 0.5, key="corr_limit")
with right:
    row = st.number_input("Chosen data point: image row", 0, len(data) - 1, 0, key="corr_row")
pairs = list(zip(pair_i[:MAX_PAIRS].tolist(), pair_j[:MAX_PAIRS].tolist()))
random_points = sample_latents("uniform", RANDOM_VECTORS, dim, SEED, limit=limit)
grid = figures.pair_scatter_grid(
    data, pairs, random_points, int(row), matrix, max_points=MAX_POINTS, seed=SEED
)
if total < MAX_PAIRS:
    st.info(
        f"Only {total} pairs have |r| > {threshold:g}, so the grid shows {total} plots, "
        f"not {MAX_PAIRS}."
    )
st.plotly_chart(grid, width="stretch")
shown = f"the top {MAX_PAIRS}" if total > MAX_PAIRS else f"all {total}"
st.caption(
    f"Component j against i for {shown} pairs with |r| > {threshold:g} (titles: i-j and r): "
    f"{min(len(data), MAX_POINTS):,} data points "
    f"(blue), {RANDOM_VECTORS} uniform random vectors in [-{limit:g}, {limit:g}]^d (red, seed "
    f"{SEED}), image {row} (orange) and the origin (yellow)."
)
