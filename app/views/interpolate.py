"""Interpolate: walk from one z to another, straight or on the sphere, decoding every step."""

import hashlib

import numpy as np
import streamlit as st

from app import loaders
from app.images import download_png, faces_over_nearest
from app.live_faces import Slider, browser_decoding, live_faces
from app.session import current_run, require
from model.analysis.density import NearestData, landing
from model.analysis.memorisation import nearest_training
from model.generation import (
    DEFAULT_SHARPNESS,
    SliderLatents,
    interpolate,
    sample_latents,
    sharpen,
)
from model.grid import image_grid

PATHS = {"spherical": "Spherical (slerp)", "linear": "Linear"}
NEIGHBOURS = 8  # data points per step from one search: the nearest training image is among them
WALK_KEY = "walk_t"
WALK_WIDTH = 256  # px: the walked face, large enough to see it change

run = current_run()
require(run, "train", "encode", "analyze")
latent_name = loaders.analysed_latent(run)
data = loaders.latents(run, latent_name)
st.title("Interpolate")


def endpoint(label: str, default_row: int, default_seed: int) -> tuple[np.ndarray, str]:
    """One endpoint: a data point's latent or a random N(0, I) z."""
    st.markdown(f"**{label}**")
    kind = st.radio(f"{label} is", ["data point", "random z"], horizontal=True, key=f"{label}_kind")
    if kind == "data point":
        row = st.number_input(
            f"{label}: image row", 0, len(data) - 1, default_row, key=f"{label}_row"
        )
        return np.asarray(data[row], np.float32), f"image {row}"
    seed = st.number_input(f"{label}: seed", 0, 2**31, default_seed, key=f"{label}_seed")
    return sample_latents("normal", 1, data.shape[1], seed)[0], f"random z (seed {seed})"


@st.fragment
def live_path() -> None:
    """The endpoints, the path and its decoded steps: a change reruns only this, and the strip
    goes out before the nearest-data search."""
    left, right = st.columns(2)
    with left:
        start, start_name = endpoint("Start", 0, 1)
    with right:
        end, end_name = endpoint("End", min(1, len(data) - 1), 2)
    path_kind = st.radio("Path", list(PATHS), format_func=PATHS.get, horizontal=True)
    steps = st.slider("Steps", 3, 16, 8)
    sharpened = st.toggle("Sharpened", True)
    factor = st.slider(
        "Sharpening factor", 0.0, 10.0, DEFAULT_SHARPNESS, 0.5, disabled=not sharpened
    )

    points = interpolate(start, end, steps, path_kind)
    images = loaders.decoder(run).decode(points)
    if sharpened:
        images = sharpen(images, factor)
    strip = image_grid(images, steps)
    caption = f"{start_name} -> {end_name}, {PATHS[path_kind].lower()}"
    st.image(strip, caption=caption, width="stretch")
    download_png(strip, f"{run.name}_interpolation.png")
    nearest = loaders.analysis(run, "nearest", NearestData)
    landed = landing(points, loaders.latent_index(run), nearest, neighbours=NEIGHBOURS)
    st.dataframe(
        {
            "step": np.arange(steps),
            "|z|": np.round(landed.radius, 2),
            "nearest-data percentile": np.round(landed.percentile, 1),
            "nearest image row": landed.nearest_index,
        },
        hide_index=True,
    )
    st.caption(
        "A linear path between two points on the data shell cuts through the sparse interior "
        "(smaller |z|, higher percentiles); the spherical path keeps the radius."
    )
    dataset = loaders.run_dataset(run)
    candidates = (landed.neighbour_distances, landed.neighbour_rows)
    found = nearest_training(points, loaders.training_index(run, dataset), "latent", candidates)
    labels = [f"{d:.2f}" for d in found.distances]
    nearest_grid = faces_over_nearest(images, dataset.take(found.rows), labels, steps, first=0)
    st.image(nearest_grid, width="stretch",
             caption="Every step (#) above the training image nearest to it in latent space, with "
             "the distance: where a step only copies a training face, its distance drops "
             "towards 0.")  # fmt: skip
    walk(start, end, path_kind, sharpened, factor, nearest)


def walk(
    start: np.ndarray, end: np.ndarray, path_kind: str, sharpened: bool, factor: float,
    nearest: NearestData,
) -> None:  # fmt: skip
    """One face anywhere on the path: decoded in the browser, it follows the position slider
    while it moves; where it lands once the slider rests."""
    st.subheader("Walk the path")
    path = SliderLatents(start[None].astype(np.float64), (end[None].astype(np.float64),),
                         path=path_kind)  # fmt: skip
    in_browser = browser_decoding()
    if in_browser:
        ends = hashlib.sha256(start.tobytes() + end.tobytes()).hexdigest()[:12]
        slider = Slider("Position t", 0.0, 1.0, 0.01, st.session_state.get(WALK_KEY, 0.5))
        [st.session_state[WALK_KEY]] = live_faces(
            [run], [path], [slider], columns=1, sharpen=sharpened, sharpness=factor,
            width=WALK_WIDTH, key=f"walk_{path_kind}_{ends}",
        )  # fmt: skip
    else:
        st.slider("Position t", 0.0, 1.0, 0.5, 0.01, key=WALK_KEY)
    t = st.session_state[WALK_KEY]
    z = path.at(t)
    if not in_browser:
        face = loaders.decoder(run).decode(z)
        st.image(sharpen(face, factor) if sharpened else face, width=WALK_WIDTH)
    landed = landing(z, loaders.latent_index(run), nearest, neighbours=1)
    st.caption(
        f"t = {t:.2f}: |z| = {landed.radius[0]:.2f}, nearest-data percentile "
        f"{landed.percentile[0]:.1f} (the nearest encoded point is image {landed.nearest_index[0]})"
    )


live_path()
