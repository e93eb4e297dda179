"""Faces that follow the slider while it moves: sliders and a canvas, decoded in the browser.

`live_faces` mounts the component (app/live_faces.js) for a view whose z is affine in its
sliders, z = base + sum_k value_k * direction_k (or a point along an interpolation path): it
sends the arrays and each decoder's URL, the browser decodes and paints on every move, and the
server hears only the resting values, which it returns. `live_map_face` mounts it over a Plotly
map instead: the cursor's map coordinates are the two values, z is affine in them on a plane and
bilinear on a map's decodable grid, which the browser downloads (app.assets). `browser_decoding`
is the sidebar switch that sends a view back to the server's decoder, for a browser without
WebAssembly and to compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app.assets import RUNTIME_PREFIX, decoder_url, grid_url, runtime_url
from model.analysis.map_grid import MapGrid
from model.generation import SliderLatents
from model.grid import PADDING
from model.network_files import ONNX_FILE
from model.pipeline.runs import ANALYSIS_DIR, TRAIN_DIR, Run

BROWSER_KEY = "browser_decoding"
URL_KEY = "decode"
_COMPONENT = st.components.v2.component(
    "zspace.live_faces",
    js=(Path(__file__).with_name("live_faces.js")).read_text(),
    css="""
    .live-faces { font-family: var(--st-font, sans-serif); color: var(--st-text-color); }
    .live-faces .controls { display: grid; gap: 0.25rem 1.5rem; margin-bottom: 0.5rem;
        grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); max-width: 48rem; }
    .live-faces label { display: grid; grid-template-columns: 1fr auto; font-size: 0.875rem; }
    .live-faces input[type=range] { grid-column: 1 / 3; width: 100%;
        accent-color: var(--st-primary-color); }
    .live-faces .value { font-variant-numeric: tabular-nums; color: var(--st-primary-color); }
    .live-faces canvas { width: 100%; height: auto; display: block; }
    .live-faces .status { font-size: 0.75rem; opacity: 0.6; margin-top: 0.25rem; }
    .live-faces .readout { font-size: 0.875rem; font-variant-numeric: tabular-nums;
        margin-top: 0.25rem; }
    .live-faces[data-void=true] .readout { color: #e4572e; font-weight: 600; }
    """,
)


@dataclass(frozen=True)
class Slider:
    """One slider of the component: its label, range and step, and its value now."""

    label: str
    low: float
    high: float
    step: float
    value: float


def browser_decoding() -> bool:
    """The sidebar switch: decode this page's faces in the browser (default) or on the server;
    the link carries it (?decode=server)."""
    if BROWSER_KEY not in st.session_state:
        st.session_state[BROWSER_KEY] = st.query_params.get(URL_KEY) != "server"
    in_browser = st.sidebar.toggle(
        "Decode in the browser",
        key=BROWSER_KEY,
        help="Faces follow the slider while it moves, decoded by this browser; off: the server "
        "decodes them when the slider is released.",
    )
    if in_browser:
        st.query_params.pop(URL_KEY, None)
    else:
        st.query_params[URL_KEY] = "server"
    return in_browser


def live_faces(
    runs: list[Run],
    latents: list[SliderLatents],
    sliders: list[Slider],
    *,
    columns: int,
    sharpen: bool,
    sharpness: float,
    key: str,
    width: int | None = None,
) -> tuple[float, ...]:
    """Mount the sliders and the canvas: run i's decoder paints `latents[i]` at the sliders'
    values (one block of rows per run); the resting values, as the server should use them.
    `width`: the canvas's largest width on the page, px (default: the column's)."""
    faces = {len(each.base) for each in latents}
    sizes = {run.config.model.image_size for run in runs}
    if len(faces) != 1 or len(sizes) != 1:
        raise ValueError("every run of one canvas needs as many faces, of one image size")
    data = {
        "decoders": [
            {
                "url": decoder_url(run.name, _decoder_sha256(run)),
                "base": each.base.ravel().tolist(),
                "directions": [d.ravel().tolist() for d in each.directions],
            }
            for run, each in zip(runs, latents)
        ],
        "path": latents[0].path,
        "faces": faces.pop(),
        "z_dim": int(latents[0].base.shape[-1]),
        "image_size": sizes.pop(),
        "columns": columns,
        "display_width": width,
        "sharpen": bool(sharpen),
        "sharpness": float(sharpness),
        "sliders": [
            {"label": s.label, "min": s.low, "max": s.high, "step": s.step} for s in sliders
        ],
        "values": [float(s.value) for s in sliders],
    }
    return _mount(data, key)


def live_map_face(
    run: Run,
    under: SliderLatents | MapGrid,
    cursor: tuple[float, float],
    *,
    chart_key: str,
    key: str,
    width: int,
) -> tuple[float, float]:
    """Mount the face under the cursor of the Plotly chart with key `chart_key`: z is `under`'s
    at the cursor's (x, y), affine on a plane, bilinear on a map's grid; the cursor where it
    rests, starting from `cursor`."""
    plane = isinstance(under, SliderLatents)
    data = {
        "decoders": [
            {
                "url": decoder_url(run.name, _decoder_sha256(run)),
                "base": under.base.ravel().tolist() if plane else [],
                "directions": [d.ravel().tolist() for d in under.directions] if plane else [],
            }
        ],
        "path": None,
        "faces": 1,
        "z_dim": run.config.model.z_dim,
        "image_size": run.config.model.image_size,
        "columns": 1,
        "display_width": width,
        "sharpen": False,
        "sharpness": 1.0,
        "sliders": [],
        "values": [float(cursor[0]), float(cursor[1])],
        "map": {"chart": f".st-key-{chart_key}", "kind": "plane" if plane else "grid"},
    }
    if not plane:
        data["map"]["grid"] = {
            "url": grid_url(run.name, under.name, _analysis_sha256(run, f"grid_{under.name}")),
            "size": under.size,
            "extent": [float(v) for v in under.extent],
            "void": "".join("1" if v else "0" for v in under.void.ravel()),
        }
    x, y = _mount(data, key)
    return x, y


def _mount(data: dict, key: str) -> tuple[float, ...]:
    data = {
        "runtime": {
            "wasm": {"module": runtime_url("ort.wasm.min.mjs"), "folder": RUNTIME_PREFIX},
            "webgpu": {"module": runtime_url("ort.webgpu.min.mjs"), "folder": RUNTIME_PREFIX},
        },
        "padding": PADDING,  # laid out as model.grid.image_grid tiles
        **data,
    }
    result = _COMPONENT(
        data=data,
        key=key,
        default={"values": data["values"]},
        on_values_change=lambda: None,
    )
    values = (result or {}).get("values") or data["values"]  # a dict: .values is its method
    return tuple(float(v) for v in values)


def _decoder_sha256(run: Run) -> str:
    return run.stage("train")["files"][f"{TRAIN_DIR}/{ONNX_FILE}"]["sha256"]


def _analysis_sha256(run: Run, name: str) -> str:
    return run.stage("analyze")["files"][f"{ANALYSIS_DIR}/{name}.npz"]["sha256"]
