"""Dimensions: is every latent dimension used? Per-dimension KL, variance of mu and mean logvar,
and latent traversals: what moving along one dimension does to a face."""

import numpy as np
import streamlit as st

from app import figures, loaders
from app.figures.dimensions import MEASURES
from app.images import captioned_grid, download_png
from app.live_faces import Slider, browser_decoding, live_faces
from app.session import current_run, require, require_result
from model.analysis.components import ComponentAnalysis
from model.analysis.dimensions import DimensionAnalysis
from model.generation import (
    DEFAULT_SHARPNESS,
    TRAVERSAL_SPAN,
    TRAVERSAL_STEPS,
    SliderLatents,
    sharpen,
    traversal_latents,
)
from model.grid import image_grid

TRAVERSED = 8  # dimensions a traversal shows at first
ALONG_KEY = "along_t"
NEAR_ZERO_KL = 0.01  # nats per dimension: below this everywhere, the posterior has collapsed

run = current_run()
require(run, "train", "encode", "analyze")
require_result(run, "dimensions")
dims = loaders.analysis(run, "dimensions", DimensionAnalysis)
z_dim = len(dims.mu_variance)
kl_factor = run.config.model.kl_factor
st.title("Dimensions")

active, total = st.columns(2)
active.metric(
    "Active units",
    f"{dims.active_count} of {z_dim}",
    help=f"Dimensions whose mu varies across the data: Var(mu) > {dims.active_threshold:g} "
    "(Burda et al. 2016). A collapsed dimension encodes nothing, whatever the image.",
)
total.metric(
    "KL to the prior per image",
    f"{dims.total_kl:.1f} nats" if dims.has_posterior else "does not apply",
    help="The KL term of the loss: the sum of the per-dimension KL, averaged over the data.",
)

if not dims.has_posterior:
    st.info(
        "This run is an autoencoder: its encoder gives each image one z, not a distribution, "
        "so there is no logvar and KL to the prior N(0, I) does not apply. The variance of z "
        "across the data (z stands in for mu) still shows which dimensions carry information."
    )
elif kl_factor < NEAR_ZERO_KL:
    st.info(
        f"This run's KL factor is {kl_factor:g}, near zero: training hardly pulls a posterior "
        "towards N(0, 1), so KL does not tell used dimensions from unused ones. It averages "
        f"{np.mean(dims.kl):.1f} nats per dimension here because logvar sits far below 0 "
        f"(mean {np.mean(dims.mean_logvar):.1f}): the posteriors are needle-thin, which says "
        "nothing about use. Read the variance of mu."
    )
elif np.all(dims.kl < NEAR_ZERO_KL):
    st.warning(
        f"KL is below {NEAR_ZERO_KL:g} nats in every dimension: the posteriors equal the prior "
        "whatever the image (posterior collapse), so z carries no information to the decoder."
    )

measures = list(MEASURES) if dims.has_posterior else ["variance"]
by = st.radio("Sort by", measures, format_func=MEASURES.get, horizontal=True, key="dims_by")
st.plotly_chart(figures.dimension_bars(dims, by), width="stretch")
st.caption(
    f"Each of the {z_dim} dimensions over the {dims.count:,} encoded images; grey: collapsed "
    f"(Var(mu) at most {dims.active_threshold:g})."
    + (" KL is that of N(mu, exp(logvar)) from N(0, 1) in each dimension, averaged over the "
       "data." if dims.has_posterior else "")
)
with st.expander(f"All {z_dim} dimensions"):
    order = dims.ranking(by)
    st.dataframe(
        {
            "dimension": order,
            "KL (nats)": np.round(dims.kl[order], 4),
            "Var(mu)": np.round(dims.mu_variance[order], 5),
            "mean logvar": np.round(dims.mean_logvar[order], 3),
            "active": dims.active[order],
        },
        hide_index=True,
    )

st.header("Latent traversals")
components = loaders.analysis(run, "components", ComponentAnalysis)
latent_name = loaders.analysed_latent(run)
data = loaders.latents(run, latent_name)


@st.fragment
def traversals() -> None:
    """The chosen point and dimensions, swept and decoded: a change reruns only this."""
    start, chosen = st.columns([1, 2])
    with start:
        kind = st.radio("Start from", ["data mean", "data point"], horizontal=True,
                        key="traverse_from")  # fmt: skip
        if kind == "data point":
            row = st.number_input("Image row", 0, len(data) - 1, 0, key="traverse_row")
            base, name = np.asarray(data[row], np.float64), f"image {row}"
        else:
            base, name = components.mean, f"the data mean of {latent_name}"
    with chosen:
        picked = st.multiselect(
            "Dimensions (rows)",
            list(range(z_dim)),
            default=dims.ranking(by)[:TRAVERSED].tolist(),
            key=f"traverse_dims_{by}",
            help=f"At first the top {TRAVERSED} by {MEASURES[by]}.",
        )
        sharpened = st.toggle("Sharpened", True, key="traverse_sharpen")
    if not picked:
        st.info("Pick at least one dimension to traverse.")
        return
    z = traversal_latents(base, picked, components.mean, components.std)
    images = loaders.decoder(run).decode(z)
    if sharpened:
        images = sharpen(images, DEFAULT_SHARPNESS)
    labels = [f"dim {d}" if step == 0 else "" for d in picked for step in range(TRAVERSAL_STEPS)]
    grid = captioned_grid(images, labels, TRAVERSAL_STEPS)
    offsets = ", ".join(f"{t:+g}" for t in np.linspace(-TRAVERSAL_SPAN, TRAVERSAL_SPAN,
                                                       TRAVERSAL_STEPS))  # fmt: skip
    st.image(grid, width="stretch", caption=(
        f"From {name}: each row sets one dimension to its data mean + t std of {latent_name}, "
        f"t = {offsets} (left to right); the other dimensions stay as they are."))  # fmt: skip
    download_png(grid, f"{run.name}_traversals.png")
    move_along(base, picked, sharpened)


def move_along(base: np.ndarray, picked: list[int], sharpened: bool) -> None:
    """One face per picked dimension, that dimension at its data mean + t std: decoded in the
    browser, the faces follow t while the slider moves."""
    st.subheader("Move along each dimension")
    std = np.asarray(components.std, np.float64)
    offsets = np.tile(np.asarray(base, np.float64), (len(picked), 1))
    directions = np.zeros_like(offsets)
    for face, dim in enumerate(picked):
        offsets[face, dim] = components.mean[dim]
        directions[face, dim] = std[dim]
    along = SliderLatents(offsets, (directions,))
    span = (-TRAVERSAL_SPAN, TRAVERSAL_SPAN, 0.05)
    if browser_decoding():
        slider = Slider("t (standard deviations)", *span, st.session_state.get(ALONG_KEY, 0.0))
        [st.session_state[ALONG_KEY]] = live_faces(
            [run], [along], [slider], columns=min(len(picked), TRAVERSED),
            sharpen=sharpened, sharpness=DEFAULT_SHARPNESS,
            key=f"along_{'_'.join(map(str, picked))}_{hash(base.tobytes())}",
        )  # fmt: skip
    else:
        st.slider("t (standard deviations)", *span[:2], 0.0, span[2], key=ALONG_KEY)
        faces = loaders.decoder(run).decode(along.at(st.session_state[ALONG_KEY]))
        faces = sharpen(faces, DEFAULT_SHARPNESS) if sharpened else faces
        st.image(image_grid(faces, min(len(picked), TRAVERSED)), width="stretch")
    st.caption(
        f"dims {', '.join(map(str, picked))} (left to right), each at its data mean "
        f"{st.session_state[ALONG_KEY]:+.2f} std; the other dimensions as in the start point."
    )


traversals()
