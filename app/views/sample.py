"""Sample: draw z-points, decode them live, and see where they land relative to the data."""

import numpy as np
import streamlit as st

from app import figures, loaders
from app.images import download_png, faces_over_nearest
from app.live_faces import Slider, browser_decoding, live_faces
from app.session import current_run, require
from app.share import bounded, flag, init_from_url, one_of, write_to_url
from model.analysis.density import GaussianFit, Landing, NearestData, landing
from model.analysis.memorisation import nearest_training
from model.analysis.radius import RadiusAnalysis
from model.generation import DEFAULT_SHARPNESS, R_LIMITS, sampled, sharpen
from model.grid import image_grid

SAMPLERS = {
    "normal": "Normal N(0, s²I)",
    "uniform": "Uniform [-b, b]^d",
    "gaussian": "Fitted Gaussian",
}
SPACES = {"latent": "latent space", "pixel": "pixel space"}
DEFAULTS = {"sampler": "normal", "scale": 1.0, "limit": 1.5, "n": 28, "seed": 0,
            "sharpness": DEFAULT_SHARPNESS, "sharpen": True, "nearest": "latent"}  # fmt: skip
PARSERS = {
    "sampler": one_of(*SAMPLERS), "scale": bounded(float, 0.1, 3.0),
    "limit": bounded(float, 0.1, 8.0), "n": bounded(int, 1, 64), "seed": bounded(int, 0, 2**31),
    "sharpness": bounded(float, 0.0, 10.0), "sharpen": flag, "nearest": one_of(*SPACES),
}  # fmt: skip
COLUMNS = 7
NEIGHBOURS = 8  # data points per face from one search: the nearest training image is among them
SWEEP_KEY = "sweep_settings"  # (seed, sharpness or None) the r_limit sweep shows

run = current_run()
require(run, "train", "encode", "analyze")
z_dim = run.config.model.z_dim
init_from_url(DEFAULTS, PARSERS)

st.title("Sample faces")


@st.fragment
def live_samples() -> None:
    """Everything a slider changes, rerun alone on a move (the rest of the app is kept): the
    faces go out first, then where they land. The r_limit sweep, which only the seed and the
    sharpening change, stays outside: a move of the scale does not send it again.

    Decoded in the browser, the faces follow the scale (or limit) slider while it moves, and
    this reruns once it rests; decoded on the server, it reruns at each release."""
    in_browser = browser_decoding()
    uniform = st.session_state.sampler == "uniform"
    spread = ("limit", "Uniform limit b", 0.1, 8.0, 0.1) if uniform else (
        "scale", "Scale s", 0.1, 3.0, 0.05)  # fmt: skip
    with st.sidebar:
        st.radio("Sampler", list(SAMPLERS), format_func=SAMPLERS.get, key="sampler")
        if not in_browser:
            st.slider(spread[1], *spread[2:4], step=spread[4], key=spread[0])
        st.slider("Number of faces", 1, 64, key="n")
        st.number_input("Seed", 0, 2**31, step=1, key="seed")
        st.slider("Sharpening factor", 0.0, 10.0, step=0.5, key="sharpness")
        st.toggle("Sharpened (off: raw decoder output)", key="sharpen")
    settings = st.session_state
    fit = loaders.analysis(run, "gaussian", GaussianFit)
    latents = sampled(settings.sampler, settings.n, z_dim, settings.seed, fit)
    mode = f"sharpened x{settings.sharpness:g}" if settings.sharpen else "raw"
    if in_browser:
        slider = Slider(spread[1], *spread[2:], value=settings[spread[0]])
        [settings[spread[0]]] = live_faces(
            [run], [latents], [slider], columns=COLUMNS, sharpen=settings.sharpen,
            sharpness=settings.sharpness, key=f"sample_{settings.sampler}",
        )  # fmt: skip
    write_to_url(list(DEFAULTS))
    z = latents.at(settings[spread[0]])
    decoded = loaders.decoder(run).decode(z)
    images = sharpen(decoded, settings.sharpness) if settings.sharpen else decoded
    grid = image_grid(images, COLUMNS)
    if not in_browser:
        st.image(grid, width="stretch")
    st.caption(f"{settings.n} decoded z-points ({mode}); share this view with the URL")
    download_png(grid, f"{run.name}_samples.png")

    st.subheader("Does this z land where data lives?")
    nearest = loaders.analysis(run, "nearest", NearestData)
    landed = landing(z, loaders.latent_index(run), nearest, neighbours=NEIGHBOURS)
    radius = loaders.analysis(run, "radius", RadiusAnalysis)
    data_radii = radius.radii_mu if loaders.analysed_latent(run) == "mu" else radius.radii_z
    st.plotly_chart(figures.sample_radius(data_radii, landed.radius), width="stretch")
    st.dataframe(
        {
            "face": np.arange(1, settings.n + 1),
            "|z|": np.round(landed.radius, 2),
            "distance to nearest data point": np.round(landed.nearest_distance, 3),
            "nearest-data percentile": np.round(landed.percentile, 1),
            "nearest image row": landed.nearest_index,
        },
        hide_index=True,
    )
    st.caption(
        "Percentile of the distance to the nearest encoded point among the data points' own "
        "nearest-neighbour distances: near 0 = inside the data cloud, 100 = farther out than any."
    )
    nearest_training_faces(z, decoded, images, landed)

    sweep_settings = (settings.seed, settings.sharpness if settings.sharpen else None)
    if st.session_state.setdefault(SWEEP_KEY, sweep_settings) != sweep_settings:
        st.session_state[SWEEP_KEY] = sweep_settings
        st.rerun(scope="app")  # the sweep below the fragment follows seed and sharpening


def nearest_training_faces(
    z: np.ndarray, decoded: np.ndarray, shown: np.ndarray, landed: Landing
) -> None:
    """The memorisation check: each face above the training image nearest to it (in latent
    space mostly read from the landing search's neighbours: one search, not two)."""
    st.subheader("Is a new face a copy of a training face?")
    st.radio("Nearest training image in", list(SPACES), format_func=SPACES.get, horizontal=True,
             key="nearest")  # fmt: skip
    dataset = loaders.run_dataset(run)
    if st.session_state.nearest == "latent":
        found = nearest_training(z, loaders.training_index(run, dataset), "latent",
                                 (landed.neighbour_distances, landed.neighbour_rows))  # fmt: skip
        typical = np.median(loaders.analysis(run, "nearest", NearestData).distances)
        measure = (
            f"distance from z to the training image's {loaders.analysed_latent(run)}; data "
            f"points sit a median {typical:.2f} from their nearest other data point"
        )
    else:
        found = nearest_training(decoded, loaders.training_pixel_index(dataset), "pixel")
        measure = "root mean square difference of the raw decoder output, per colour value 0-255"
    labels = [f"{d:.2f}" for d in found.distances]
    grid = faces_over_nearest(shown, dataset.take(found.rows), labels, COLUMNS)
    st.image(grid, width="stretch", caption=(
        f"Each sampled face above its nearest of the {len(dataset.info.split_range('train')):,} "
        f"training images in {SPACES[found.space]}, with the distance ({measure}). A distance "
        "far below the others' means a copy."))  # fmt: skip
    download_png(grid, f"{run.name}_nearest_training.png", "Download PNG (faces and nearest)")


live_samples()

st.subheader("The studies' r_limit sweep: uniform z in [-b, b]^d")
seed, sharpness = st.session_state[SWEEP_KEY]
st.image(image_grid(loaders.r_limit_sweep(run, seed, COLUMNS, sharpness), COLUMNS),
         width="stretch", caption="rows: b = " + ", ".join(f"{b:g}" for b in R_LIMITS))  # fmt: skip
