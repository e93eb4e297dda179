"""Projections: PCA planes, original latent axes and cached t-SNE and UMAP maps of every encoded
point; the face under the cursor, decoded as it moves; pick a point to see its image, its
reconstruction and its nearest neighbours. The link holds the view and the cursor."""

from pathlib import Path

import numpy as np
import streamlit as st

from app import figures, loaders
from app.images import download_png
from app.live_faces import browser_decoding
from app.map_cursor import Under, cursor_panel
from app.session import current_run, require
from app.share import bounded, matching, one_of, read_from_url, write_to_url
from model.analysis.map_grid import MapGrid
from model.analysis.map_input import fits
from model.analysis.pca import PcaResult
from model.analysis.planes import axes_plane, pca_plane
from model.analysis.tsne_map import STUDY_VARIANTS, TsneMap
from model.analysis.umap_map import UMAP_VARIANTS, UmapMap
from model.grid import image_grid

VIEWS = {"pca": "PCA plane", "axes": "Latent axes", "tsne": "t-SNE map", "umap": "UMAP map"}
MAPS = ("tsne", "umap")  # the views of saved maps
STUDY_PLANES = ((1, 2), (1, 18), (8, 35))  # the studies' PCA planes, 1-based
CENTRES = {"mean": "mean of the points", "origin": "origin (0, 0)", "chosen": "chosen point"}
OTHERS = {"chosen": "the chosen point's", "mean": "0 (the mean)"}
FULL = "full"
# The settings a link holds (`?proj_view=tsne&proj_cx=...`), each with its parser; what a
# parser accepts is then fitted to the run (keep_valid, clamp, the cursor's own check).
COMPONENT = bounded(int, 0, 1 << 20)
MAP_VARIANT = matching(r"[A-Za-z0-9_.]{1,64}")
COORDINATE = bounded(float, -1e6, 1e6)
LINKED = {"proj_view": one_of(*VIEWS), "proj_pc_x": COMPONENT, "proj_pc_y": COMPONENT,
          "proj_ax_x": COMPONENT, "proj_ax_y": COMPONENT, "proj_tsne": MAP_VARIANT,
          "proj_umap": MAP_VARIANT, "proj_others": one_of(*OTHERS),
          "proj_row": bounded(int, 0, 1 << 62), "proj_cx": COORDINATE,
          "proj_cy": COORDINATE}  # fmt: skip
NO_COLOUR = "none"
MAP_KEY, ROW_KEY, PICKED_KEY = "proj_map", "proj_row", "proj_picked"
MAX_NEIGHBOURS = 24
PICKED_SHOWN = 28  # thumbnails of a box / lasso selection
THUMB, LARGE = 84, 168  # displayed image widths, px

run = current_run()
require(run, "train", "encode", "analyze")
dataset = loaders.run_dataset(run)
latent_name = loaders.analysed_latent(run)
data = loaders.latents(run, latent_name)
count, dim = data.shape
pca = loaders.analysis(run, "pca", PcaResult)
analysed = [Path(file).stem for file in run.stage("analyze")["files"]]
map_names = {
    kind: sorted(n.removeprefix(f"{kind}_") for n in analysed if n.startswith(f"{kind}_"))
    for kind in MAPS
}
views = [view for view in VIEWS if view not in MAPS or map_names[view]]
# Every map the studies made that this run's z_dim allows, added to the analysis it has.
add_maps = run.layout.command(
    "analyze", "--run", run.name,
    "--tsne", *(params.name for params in STUDY_VARIANTS if fits(params, dim)),
    "--umap", *(params.name for params in UMAP_VARIANTS if fits(params, dim)),
)  # fmt: skip
read_from_url(LINKED)  # keep_valid and clamp below replace what a link cannot set
info = dataset.info
attribute_names = (
    [*info.binary_attributes, *info.continuous_attributes]
    if loaders.attributes(run) is not None
    else []
)


def keep_valid(key: str, choices: list, default: object) -> None:
    """Reset a widget's stored value that this run does not offer (e.g. after switching runs)."""
    if st.session_state.get(key) not in choices:
        st.session_state[key] = default


def clamp(key: str, low: int, high: int, default: int) -> None:
    value = st.session_state.get(key, default)
    st.session_state[key] = int(min(max(value, low), high))


def set_plane(x: int, y: int) -> None:
    st.session_state.proj_pc_x, st.session_state.proj_pc_y = x, y


def on_pick() -> None:
    """A click, box or lasso on the map: remember the rows and choose the first."""
    rows = figures.selected_rows(st.session_state[MAP_KEY]["selection"]["points"])
    st.session_state[PICKED_KEY] = rows
    if rows:
        st.session_state[ROW_KEY] = rows[0]


keep_valid("proj_view", views, "pca")
in_browser = browser_decoding()
with st.sidebar:
    st.radio("Map", views, format_func=VIEWS.get, key="proj_view")
    view = st.session_state.proj_view
    if not all(map_names.values()):
        st.caption(
            f"No {' or '.join(VIEWS[kind] + 's' for kind in MAPS if not map_names[kind])} in "
            f"this run's analysis yet: a background build adds them, or `{add_maps}` (only the "
            "maps and their grids are computed)."
        )
    if view == "pca":
        components = pca.n_components
        clamp("proj_pc_x", 1, components, 1)
        clamp("proj_pc_y", 1, components, min(2, components))
        st.number_input("x: principal component", 1, components, key="proj_pc_x")
        st.number_input("y: principal component", 1, components, key="proj_pc_y")
        st.caption("The studies' planes:")
        for column, (a, b) in zip(st.columns(len(STUDY_PLANES)), STUDY_PLANES):
            column.button(
                f"{a}-{b}",
                on_click=set_plane,
                args=(a, b),
                key=f"proj_plane_{a}_{b}",
                disabled=max(a, b) > components,
                width="stretch",
            )
        keep_valid("proj_others", list(OTHERS), "chosen")
        st.radio(
            "The other components of the face under the cursor",
            list(OTHERS),
            format_func=OTHERS.get,
            key="proj_others",
            help="z = mean + x v_i + y v_j + the sum over every other component k of c_k v_k: "
            "c_k the chosen point's own coordinates, or 0.",
        )
    elif view == "axes":
        clamp("proj_ax_x", 0, dim - 1, 0)
        clamp("proj_ax_y", 0, dim - 1, min(1, dim - 1))
        st.number_input("x: latent component", 0, dim - 1, key="proj_ax_x")
        st.number_input("y: latent component", 0, dim - 1, key="proj_ax_y")
    else:
        keep_valid(f"proj_{view}", map_names[view], map_names[view][0])
        st.selectbox(VIEWS[view], map_names[view], key=f"proj_{view}")
    if attribute_names:
        keep_valid("proj_colour", [NO_COLOUR, *attribute_names], NO_COLOUR)
        st.selectbox("Colour by attribute", [NO_COLOUR, *attribute_names], key="proj_colour")
    clamp("proj_k", 1, min(MAX_NEIGHBOURS, count - 1), 8)
    st.slider("Nearest neighbours", 1, min(MAX_NEIGHBOURS, count - 1), key="proj_k")

# --- the map's points ---------------------------------------------------------------------
map_rows = np.arange(count)
if view == "pca":
    px, py = st.session_state.proj_pc_x, st.session_state.proj_pc_y
    x, y = pca.coordinates[:, px - 1], pca.coordinates[:, py - 1]
    ratio = pca.explained_variance_ratio
    x_title, y_title = (f"PC {i} ({ratio[i - 1]:.1%} of the variance)" for i in (px, py))
    title = f"PCA plane {px}-{py} of {count:,} {latent_name}-points"
    about = "PCA coordinates are centred on the data's mean, so the origin is the mean."
elif view == "axes":
    ax, ay = st.session_state.proj_ax_x, st.session_state.proj_ax_y
    x, y = np.asarray(data[:, ax]), np.asarray(data[:, ay])
    x_title, y_title = f"{latent_name}[{ax}]", f"{latent_name}[{ay}]"
    title = f"Latent components {ax} and {ay} of {count:,} {latent_name}-points"
    about = "The original latent axes: the origin is the prior's centre."
elif view == "tsne":
    tsne = loaders.analysis(run, f"tsne_{st.session_state.proj_tsne}", TsneMap)
    x, y, map_rows = tsne.embedding[:, 0], tsne.embedding[:, 1], tsne.indices
    x_title, y_title = "t-SNE 1", "t-SNE 2"
    title = (
        f"t-SNE map {tsne.name}: {len(map_rows):,} of {count:,} points, KL {tsne.kl_divergence:.3f}"
    )
    p = tsne.params
    source = "raw latents" if p["pca_components"] is None else f"first {p['pca_components']} PCs"
    about = (
        f"perplexity {p['perplexity']:g}, early exaggeration {p['early_exaggeration']:g} "
        f"({p['early_exaggeration_iter']} iterations), then {p['n_iter']} iterations; input: "
        f"{source}; {p['backend']}, seed {p['seed']}, {p['n_jobs']} thread(s); "
        f"KL divergence {tsne.kl_divergence:.4f}; {tsne.seconds:.1f} s"
    )
else:
    umap = loaders.analysis(run, f"umap_{st.session_state.proj_umap}", UmapMap)
    x, y, map_rows = umap.embedding[:, 0], umap.embedding[:, 1], umap.indices
    x_title, y_title = "UMAP 1", "UMAP 2"
    title = f"UMAP map {umap.name}: {len(map_rows):,} of {count:,} points"
    p = umap.params
    source = "raw latents" if p["pca_components"] is None else f"first {p['pca_components']} PCs"
    about = (
        f"{p['n_neighbors']} neighbours, min_dist {p['min_dist']:g}; input: {source}; "
        f"umap-learn {p['umap_version']}, seed {p['seed']}, one thread; {umap.seconds:.1f} s"
    )
map_name = None if view in ("pca", "axes") else f"{view}_{st.session_state[f'proj_{view}']}"
grid = None
if map_name is not None and f"grid_{map_name}" in analysed:
    grid = loaders.analysis(run, f"grid_{map_name}", MapGrid)

row_limit = count - 1
clamp(ROW_KEY, 0, row_limit, info.split_range("test").start if info.split_range("test") else 0)
row = st.session_state[ROW_KEY]
k = st.session_state.proj_k
index = loaders.latent_index(run)
distances, neighbours = index.query(np.asarray(index.latents[row : row + 1]), k, exclude=[row])
distances, neighbours = distances[0], neighbours[0]

extent = float(max(np.ptp(x), np.ptp(y)))
sides = figures.zoom_sides(extent)
with st.sidebar:
    keep_valid("proj_zoom", [FULL, *sides], FULL)
    st.select_slider(
        "Zoom: side of the square shown",
        [FULL, *sides],
        key="proj_zoom",
        format_func=lambda side: "full range" if side == FULL else f"{side:g}",
    )
    st.radio(
        "Zoom around",
        list(CENTRES),
        format_func=CENTRES.get,
        key="proj_centre",
        disabled=st.session_state.proj_zoom == FULL,
    )
    st.toggle(
        "Mark the chosen point and its neighbours",
        True,
        key="proj_marks",
        help="Moving the marks redraws the map, which resets the zoom of Plotly's toolbar; "
        "turn them off to keep that zoom while you click from point to point.",
    )

chosen_at = figures.positions_on_map(map_rows, [row])
neighbours_at = figures.positions_on_map(map_rows, neighbours)
centre = (float(np.mean(x)), float(np.mean(y)))
if st.session_state.proj_centre == "origin":
    centre = (0.0, 0.0)
elif st.session_state.proj_centre == "chosen" and chosen_at[0] >= 0:
    centre = (float(x[chosen_at[0]]), float(y[chosen_at[0]]))
colour_name = st.session_state.get("proj_colour", NO_COLOUR)
colour = None
if colour_name != NO_COLOUR:
    table = loaders.attributes(run)
    colour = None if table is None else table.column(colour_name)[map_rows]

fig = figures.projection_scatter(
    x,
    y,
    colour,
    colour_name,
    zoom=None if st.session_state.proj_zoom == FULL else st.session_state.proj_zoom,
    hover_index=map_rows.astype(np.int32),
    centre=centre,
    x_title=x_title,
    y_title=y_title,
    title=title,
)
if grid is not None:
    figures.shade_void(fig, grid)
chosen = (x[chosen_at[0]], y[chosen_at[0]], row) if chosen_at[0] >= 0 else None
if st.session_state.proj_marks:
    on_map = neighbours_at >= 0
    figures.mark_neighbourhood(
        fig,
        chosen,
        x[neighbours_at[on_map]],
        y[neighbours_at[on_map]],
        neighbours[on_map],
        distances[on_map],
    )
fig.update_layout(legend={"orientation": "h", "x": 0, "y": -0.16, "yanchor": "top"})

# --- page ---------------------------------------------------------------------------------
st.title("Projections")
map_column, point_column = st.columns([3, 2], gap="medium")
with map_column:
    st.plotly_chart(
        fig,
        width="stretch",
        key=MAP_KEY,
        on_select=on_pick,
        selection_mode=("points", "box", "lasso"),
    )
    st.caption(about)
    if chosen is None:
        st.caption(f"Row {row} is not on this map (it holds {len(map_rows):,} of {count:,} rows).")
    if grid is not None:
        g = grid.params
        st.caption(
            f"Shaded: void cells of the map's {g['size']} x {g['size']} decodable grid, with no "
            f"map point within {g['radius']:.3g} ({g['void_cells']:g} cell) of their centre. "
            f"The face under the cursor is the inverse-distance mean z of the {g['neighbours']} "
            "map points nearest each grid node, bilinear between nodes."
        )
    elif map_name is not None:
        st.caption(
            "This map has no decodable grid yet: a background build adds it, or "
            f"`{run.stage_command('analyze')}`."
        )
    st.caption(
        "Click a point (or draw a box or lasso from the toolbar) to choose it. Zoom in to a "
        "small square to see the thin curved filaments the studies found around voids."
    )

point = np.asarray(data[row], dtype=np.float64)
bounds = (float(np.min(x)), float(np.max(x)), float(np.min(y)), float(np.max(y)))
under = None
if view == "pca" and px != py:
    others = st.session_state.proj_others
    plane = pca_plane(pca, px - 1, py - 1, point if others == "chosen" else None)
    base_of = f"row{row}" if others == "chosen" else "mean"
    under = Under(plane, f"pca{px}-{py}-{base_of}", bounds)
elif view == "axes" and ax != ay:
    under = Under(axes_plane(point, ax, ay), f"axes{ax}-{ay}-row{row}", bounds)
elif grid is not None:
    under = Under(grid, map_name, bounds)
start = (float(x[chosen_at[0]]), float(y[chosen_at[0]])) if chosen_at[0] >= 0 else centre

with point_column:
    if under is not None:
        st.fragment(cursor_panel)(run, under, start, MAP_KEY, in_browser)
    elif view in ("pca", "axes"):
        st.caption("Choose two different axes to see the face under the cursor.")
    st.subheader("Chosen point")
    st.number_input("Image row", 0, row_limit, key=ROW_KEY)
    original = dataset.take([row])
    code = loaders.latents(run, "mu")
    reconstruction = loaders.decoder(run).decode(np.asarray(code[row : row + 1]))
    decoded_from = loaders.code_name(run)
    st.image(
        [original[0], reconstruction[0]],
        width=LARGE,
        caption=[f"row {row}", f"reconstruction (from {decoded_from})"],
    )
    st.markdown(f"**{k} nearest neighbours** (row: distance in {latent_name}-space)")
    neighbour_images = dataset.take(neighbours)
    st.image(
        list(neighbour_images),
        width=THUMB,
        caption=[f"{r}: {d:.2f}" for r, d in zip(neighbours, distances)],
    )
    strip = image_grid(np.concatenate([original, reconstruction, neighbour_images]), k + 2)
    download_png(strip, f"{run.name}_row{row}_neighbours.png")
    st.caption("The PNG holds the image, its reconstruction, then the neighbours nearest first.")

picked = [r for r in st.session_state.get(PICKED_KEY, []) if r < count]  # another run's pick
if len(picked) > 1:
    st.subheader(f"Selection: {len(picked):,} points")
    shown = np.asarray(picked[:PICKED_SHOWN])
    st.image(list(dataset.take(shown)), width=THUMB, caption=[f"row {r}" for r in shown])
    st.download_button(
        "Download the selected rows (CSV)",
        "row\n" + "\n".join(map(str, picked)),
        f"{run.name}_selection.csv",
        "text/csv",
    )
    if len(picked) > PICKED_SHOWN:
        st.caption(f"The first {PICKED_SHOWN} of {len(picked):,} selected points.")

write_to_url([name for name in LINKED if name in st.session_state])

st.subheader("PCA: explained variance")
shown_components = min(len(pca.explained_variance_ratio), 256)
st.plotly_chart(figures.explained_variance(pca, shown_components), width="stretch")
st.caption(
    f"All {dim} eigenvalues of the covariance of the {latent_name}-points"
    + (f" (the first {shown_components} shown)" if shown_components < dim else "")
    + f"; the maps use the first {pca.n_components} components."
)
