"""Attributes: latent components against image attributes, and attribute-direction sliders that
edit a face live."""

import numpy as np
import streamlit as st

from app import figures, loaders
from app.images import download_png
from app.live_faces import Slider, browser_decoding, live_faces
from app.session import current_run, require, stop_with
from model.analysis.attributes import AttributeAnalysis
from model.generation import SliderLatents
from model.grid import image_grid
from model.pipeline.runs import ANALYSIS_DIR, RunError

MAX_ATTRIBUTES = 4
DEFAULT_ATTRIBUTES = 2  # the ones with the longest directions: their edits show
STRENGTH_LIMIT = 3.0
STRIP = np.linspace(-STRENGTH_LIMIT, STRENGTH_LIMIT, 7)  # -3, -2, ..., 3
LARGE = 180  # displayed width of the three faces, px

run = current_run()
require(run, "train", "encode", "analyze")
dataset_name = run.manifest["dataset"]["name"]
dataset = loaders.run_dataset(run)
st.title("Attributes")
if loaders.attributes(run) is None:
    st.info(
        f"The data set `{dataset_name}` has no attributes, so there is nothing to correlate "
        "with the latents. The built-in synthetic data "
        f"(`{run.layout.command('prepare_data', 'synthetic')}`) and CelebA with "
        "`list_attr_celeba.txt` (`"
        + run.layout.command("prepare_data", "celeba", "path/to/img_align_celeba",
                             "--attributes", "list_attr_celeba.txt")
        + "`) have them."
    )
    st.stop()
if f"{ANALYSIS_DIR}/attributes.npz" not in run.stage("analyze")["files"]:
    stop_with(RunError(
        f"The analysis of `{run.name}` has no attribute results: it ran before the data set "
        "had attributes.",
        fix=run.stage_command("analyze", force=True),
    ))  # fmt: skip
analysis = loaders.analysis(run, "attributes", AttributeAnalysis)
latent_name = loaders.analysed_latent(run)

st.subheader("Latent components x attributes")
st.plotly_chart(figures.attribute_heatmap(analysis), width="stretch")
st.caption(
    f"Pearson r of each component of the {latent_name}-points with each attribute over "
    f"{analysis.count:,} images. A binary attribute also gives a direction: the mean latent "
    "of the images with it minus the mean of those without."
)
if analysis.skipped:
    st.caption(
        "Skipped: "
        + "; ".join(f"{entry['name']} ({entry['reason']})" for entry in analysis.skipped)
    )

skipped = {entry["name"] for entry in analysis.skipped}
usable = [
    name
    for name in analysis.binary
    if name not in skipped and np.isfinite(analysis.direction(name)).all()
]
st.subheader("Edit a face along attribute directions")
if not usable:
    st.info("No binary attribute has a direction (every one is constant), so there is no slider.")
    st.stop()


@st.fragment
def live_edit() -> None:
    """The face, the strengths and the decoded edits: a slider move reruns only this (decoded in
    the browser, the edited face follows the sliders while they move, and this reruns at rest)."""
    in_browser = browser_decoding()
    info = dataset.info
    data, code_name = loaders.latents(run, "mu"), loaders.code_name(run)
    test_rows = info.split_range("test")
    controls, faces = st.columns([2, 3], gap="medium")
    with controls:
        row = st.number_input(
            "Image row", 0, len(data) - 1, test_rows.start if test_rows else 0, key="attr_row"
        )
        lengths = {name: float(np.linalg.norm(analysis.direction(name))) for name in usable}
        default = sorted(usable, key=lengths.get, reverse=True)[:DEFAULT_ATTRIBUTES]
        chosen = st.multiselect(
            "Attribute directions",
            usable,
            default=default,
            max_selections=MAX_ATTRIBUTES,
            key="attr_names",
            help=f"Up to {MAX_ATTRIBUTES}, one slider each.",
        )
        if not in_browser:
            for name in chosen:
                st.slider(name, -STRENGTH_LIMIT, STRENGTH_LIMIT, 0.0, 0.25,
                          key=f"attr_strength_{name}")  # fmt: skip
        directions = np.array([analysis.direction(name) for name in chosen]).reshape(
            len(chosen), -1
        )
        st.dataframe(
            {
                "attribute": chosen,
                "|direction|": np.round(np.linalg.norm(directions, axis=1), 3),
                "images with": [
                    int(analysis.counts_with[analysis.binary.index(n)]) for n in chosen
                ],
                "without": [int(analysis.counts_without[analysis.binary.index(n)]) for n in chosen],
            },
            hide_index=True,
        )

    base = np.asarray(data[row], dtype=np.float64)
    edit = SliderLatents(base[None], tuple(d[None].astype(np.float64) for d in directions))
    keys = [f"attr_strength_{name}" for name in chosen]
    strengths = [float(st.session_state.setdefault(key, 0.0)) for key in keys]
    strip = [base + s * direction for direction in directions for s in STRIP]
    decoder = loaders.decoder(run)
    reconstruction = decoder.decode(base[None])[0]  # alone, so its pixels never depend on the edit
    original = dataset.take([row])[0]
    with faces:
        if in_browser and chosen:
            st.image([original, reconstruction], width=LARGE,
                     caption=[f"row {row}", f"reconstruction (from {code_name})"])  # fmt: skip
            sliders = [Slider(name, -STRENGTH_LIMIT, STRENGTH_LIMIT, 0.25, value)
                       for name, value in zip(chosen, strengths)]  # fmt: skip
            strengths = list(live_faces(
                [run], [edit], sliders, columns=1, sharpen=False, sharpness=1.0, width=LARGE,
                key=f"attr_live_{row}_{'|'.join(chosen)}",
            ))  # fmt: skip
            for key, value in zip(keys, strengths):
                st.session_state[key] = value
        strip_z = np.asarray(strip, np.float32).reshape(-1, len(base))
        decoded = decoder.decode(np.concatenate([edit.at(*strengths), strip_z]))
        edited_face, strip_faces = decoded[0], decoded[1:]
        edit_text = ", ".join(f"{n} {s:+g}" for n, s in zip(chosen, strengths) if s) or "no edit"
        if not (in_browser and chosen):
            captions = [f"row {row}", f"reconstruction (from {code_name})", f"edited: {edit_text}"]
            st.image([original, reconstruction, edited_face], caption=captions, width=LARGE)
        trio = image_grid(np.stack([original, reconstruction, edited_face]), 3)
        download_png(trio, f"{run.name}_row{row}_edit.png")
        st.caption(
            f"The edit adds strength x direction to the point's {code_name} and decodes it live; "
            "strength 1 moves by the whole difference between the two groups' means."
        )

    if chosen:
        st.subheader("Each direction alone at several strengths")
        grid = image_grid(strip_faces, len(STRIP))
        st.image(
            grid,
            caption=f"rows: {', '.join(chosen)}; columns: strength "
            + ", ".join(f"{s:+g}" if s else "0" for s in STRIP),
            width="stretch",
        )
        download_png(grid, f"{run.name}_row{row}_strip.png", "Download strip PNG")


live_edit()
