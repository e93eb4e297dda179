"""Components: every latent component's distribution, and the few dominant ones."""

import numpy as np
import streamlit as st

from app import figures, loaders
from app.session import current_run, require
from model.analysis.components import ComponentAnalysis

run = current_run()
require(run, "analyze")
components = loaders.analysis(run, "components", ComponentAnalysis)
latent = loaders.analysed_latent(run)
dim = len(components.counts)
dominant = components.dominant_index.tolist()
st.title("Components")

chosen = st.multiselect(
    "Show these components alone (empty: all of them)",
    list(range(dim)),
    format_func=lambda i: f"{i} (dominant)" if i in dominant else str(i),
    key="components_only",
)
if chosen:
    fig = figures.component_histograms(components, highlight=chosen, only=chosen)
else:
    fig = figures.component_histograms(components)
st.plotly_chart(fig, width="stretch")
shown = f"components {', '.join(map(str, chosen))}" if chosen else f"all {dim} components"
st.caption(
    f"Number of points per {components.bin_width:g}-wide bin of each component of {latent}, "
    f"{shown} of {components.count:,} encoded images; coloured: "
    + ("the chosen ones." if chosen else "the dominant ones (legend: centre, half-width hw).")
    + " Most are Gaussians around 0 of similar width; dominant ones sit off 0 or are wider and "
    "shape the data cloud (in the studies, off-centre ones put the origin near its border)."
)

st.subheader("Dominant components")
st.markdown(
    f"A component is dominant when the centre of its fullest bin lies more than "
    f"{components.centre_limit:g} from 0 or its half-width (full width at half maximum) exceeds "
    f"{components.width_factor:g} × the median half-width ({components.median_half_width:.3g}); "
    f"the score is the larger of the two ratios, dominant above 1."
)
table = figures.dominant_table(components)
if table:
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "centre": st.column_config.NumberColumn(format="%.3g"),
            "half_width": st.column_config.NumberColumn("half-width", format="%.3g"),
            "score": st.column_config.NumberColumn(format="%.3f"),
        },
    )
else:
    st.info("No component is dominant: all are centred near 0 with similar widths.")

with st.expander(f"All {dim} components, highest score first"):
    order = np.argsort(-components.score, kind="stable")
    st.dataframe(
        {
            "index": order,
            "mean": np.round(components.mean[order], 3),
            "std": np.round(components.std[order], 3),
            "centre": components.centre[order],
            "half-width": np.round(components.half_width[order], 3),
            "score": np.round(components.score[order], 3),
        },
        hide_index=True,
    )
