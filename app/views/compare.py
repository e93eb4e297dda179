"""Compare: two or three runs side by side: radius histograms, logvar statistics, and N(0, I)
samples from one seed decoded by each run."""

import math

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from app import figures, loaders
from app.cards import card
from app.images import download_png
from app.live_faces import Slider, browser_decoding, live_faces
from app.session import current_run, layout, require, run_names
from model.analysis.logvar_stats import LogvarAnalysis
from model.analysis.radius import RadiusAnalysis
from model.generation import DEFAULT_SHARPNESS, sampled, sharpen
from model.grid import image_grid
from model.pipeline.runs import ANALYSIS_DIR, Run, RunError

PREFERRED = ("demo", "demo-ae", "demo-tiny-kl")  # the built-in data's VAE / AE / tiny-KL trio
MAX_RUNS = 3
SCALE_KEY = "cmp_scale"
BIN_WIDTHS = (0.5, 0.25, 0.1, 0.05)

run = current_run()
require(run, "train")
names = run_names()
preferred = [name for name in PREFERRED if name in names]
default = list(dict.fromkeys([*preferred, run.name, *names]))
st.title("Compare runs")
chosen = st.multiselect(
    "Runs", names, default=default[:MAX_RUNS], max_selections=MAX_RUNS, key="cmp_runs"
)
if not chosen:
    st.info(f"Pick one to {MAX_RUNS} runs to compare.")
    st.stop()
if len(chosen) == 1:
    st.caption(
        f"Add a second run to compare it with, e.g. `{layout().command('build', 'demo-ae')}` "
        "(it trains, encodes and analyses the preset as a run of the same name)."
    )

missing: list[tuple[str, str, str]] = []  # run, problem, command that fixes it
runs: dict[str, Run] = {}
for name in chosen:
    try:
        runs[name] = loaders.open_run(str(layout().run(name)))
    except RunError as error:
        missing.append((name, str(error), error.fix or ""))


def ready(*stages: str) -> dict[str, Run]:
    """The chosen runs whose `stages` outputs are intact; each other run is listed with the
    first stage it lacks (stages run in order, so that is the command to run next)."""
    found = {}
    for name, each in runs.items():
        for stage in stages:
            problems = loaders.stage_problems(each, stage)
            if problems:
                missing.append((name, problems[0], each.stage_command(stage)))
                break
        else:
            found[name] = each
    return found


trained, analysed = ready("train"), ready("train", "encode", "analyze")

columns = st.columns(len(runs)) if runs else []
for column, (name, each) in zip(columns, runs.items()):
    model = each.config.model
    train = each.stage("train")
    with column:
        st.subheader(f"`{name}`")
        card(
            {
                "kind": model.kind,
                "KL factor": f"{model.kl_factor:g}" if model.kind == "vae" else "none (AE)",
                "z_dim": model.z_dim,
                "image size": f"{model.image_size} px",
                "data set": f"{each.manifest['dataset']['name']} "
                f"({each.manifest['dataset']['count']:,} images)",
                "epochs": "trained elsewhere (imported)" if each.imported
                else train["metrics"]["epochs"] if train else "not trained",
                "prior radius mode sqrt(d - 1)": f"{math.sqrt(model.z_dim - 1):.2f}",
            }
        )

if missing:
    st.subheader("Not shown")
    for name, problem, command in dict.fromkeys(missing):
        st.warning(f"`{name}`: {problem}")
        if command:
            st.code(command, language="bash")

st.subheader("Radius |z|")
if analysed:
    left, right = st.columns(2)
    width = left.select_slider("Bin width", BIN_WIDTHS, 0.5, key="cmp_bin")
    normalize = right.toggle("Fraction of each run's points per bin", True, key="cmp_normalize")
    radii = {
        name: loaders.analysis(each, "radius", RadiusAnalysis).radii_z
        for name, each in analysed.items()
    }
    st.plotly_chart(figures.radius_comparison(radii, width, normalize), width="stretch")
    st.caption(
        "Each run's |z| on common bins. Radii grow with z_dim: N(0, I_d) puts them near "
        "sqrt(d - 1) (the cards above), so runs of one z_dim compare best."
    )
else:
    st.info("None of the chosen runs is analysed yet (see the commands above).")

st.subheader("logvar statistics")
if analysed:
    logvars = {
        name: loaders.analysis(each, "logvar", LogvarAnalysis)
        if f"{ANALYSIS_DIR}/logvar.npz" in each.stage("analyze")["files"]
        else None
        for name, each in analysed.items()
    }
    st.table(pd.DataFrame(figures.logvar_comparison(logvars)).set_index("quantity"))
    st.caption(
        "A tiny-KL VAE has very negative logvar and z almost exactly at mu: it behaves like an "
        "AE. An AE has no logvar at all."
    )

@st.fragment
def live_samples() -> None:
    """The same N(0, s^2 I) samples decoded by each run: a control change reruns only this
    (decoded in the browser, every run's faces follow the scale slider while it moves)."""
    st.subheader("The same N(0, s²I) samples, decoded by each run")
    if not trained:
        return
    in_browser = browser_decoding()
    seed_column, count_column, sharp_column = st.columns(3)
    seed = seed_column.number_input("Seed", 0, 2**31, 0, key="cmp_seed")
    count = count_column.slider("Faces", 1, 14, 7, key="cmp_n")
    sharpened = sharp_column.toggle(f"Sharpened (x{DEFAULT_SHARPNESS:g})", False, key="cmp_sharp")
    dims = {name: each.config.model.z_dim for name, each in trained.items()}
    if len(set(dims.values())) > 1:
        st.info(
            "The runs' z_dims differ ("
            + ", ".join(f"{name}: {dim}" for name, dim in dims.items())
            + f"), so each run draws its own N(0, I) samples from seed {seed}: the faces "
            "do not come from the same z."
        )
    latents = {name: sampled("normal", count, dims[name], seed) for name in trained}
    scale = st.session_state.setdefault(SCALE_KEY, 1.0)
    if in_browser:
        rested = [
            live_faces(
                [trained[name] for name in group], [latents[name] for name in group],
                [Slider("Scale s", 0.1, 3.0, 0.05, scale)], columns=count, sharpen=sharpened,
                sharpness=DEFAULT_SHARPNESS, key=f"cmp_live_{'|'.join(group)}",
            )[0]
            for group in _by_image_size(trained)
        ]  # fmt: skip
        moved = [value for value in rested if value != scale]  # the one slider a person moved
        st.session_state[SCALE_KEY] = moved[0] if moved else scale
    else:
        st.slider("Scale s", 0.1, 3.0, step=0.05, key=SCALE_KEY)
    rows = {}
    for name, each in trained.items():
        faces = loaders.decoder(each).decode(latents[name].at(st.session_state[SCALE_KEY]))
        rows[name] = sharpen(faces, DEFAULT_SHARPNESS) if sharpened else faces
        if not in_browser:
            st.image(image_grid(rows[name], count), caption=name, width="stretch")
    size = max(faces.shape[1] for faces in rows.values())
    grid = image_grid(
        np.concatenate(
            [
                faces
                if faces.shape[1] == size
                else np.stack([np.asarray(Image.fromarray(f).resize((size, size))) for f in faces])
                for faces in rows.values()
            ]
        ),
        count,
    )
    download_png(grid, f"compare_{'_'.join(rows)}_seed{seed}.png")
    st.caption(
        f"Rows: {', '.join(rows)}; {'sharpened' if sharpened else 'raw decoder output'}. "
        "Only a VAE trained with a real KL term decodes faces from random z."
    )


def _by_image_size(runs: dict[str, Run]) -> list[list[str]]:
    """The runs' names grouped by image size: one canvas shows runs of one size."""
    groups: dict[int, list[str]] = {}
    for name, each in runs.items():
        groups.setdefault(each.config.model.image_size, []).append(name)
    return list(groups.values())

live_samples()
