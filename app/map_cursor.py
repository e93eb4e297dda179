"""The face under a map's cursor, beside the map (the Projections page).

Decoded in the browser, the face follows the cursor over the Plotly chart with no rerun
(app.live_faces); where the cursor rests, the server reports the z's radius, its nearest data
point and percentile, and puts the cursor in the link. Decoded on the server, the cursor is two
number inputs and the face is the server's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from app import loaders
from app.live_faces import live_map_face
from app.share import write_to_url
from model.analysis.density import NearestData, landing
from model.analysis.map_grid import MapGrid, grid_latents
from model.generation import SliderLatents
from model.pipeline.runs import Run

CURSOR_KEYS = ("proj_cx", "proj_cy")
FACE_WIDTH = 168  # px, as the chosen point's images


@dataclass(frozen=True)
class Under:
    """What lies under a map's points: an affine plane or a map's decodable grid."""

    latents: SliderLatents | MapGrid
    identity: str  # changes with the map, the plane or its base: the cursor then starts anew
    bounds: tuple[float, float, float, float]  # the map's points span x0..x1, y0..y1

    def holds(self, x: float, y: float) -> bool:
        """(x, y) is finite and no farther from the map's points than the map is wide: where
        a cursor a link sets may rest (the browser's own cursor may go anywhere over the map)."""
        x0, x1, y0, y1 = self.bounds
        margin = max(x1 - x0, y1 - y0, 1.0)
        return bool(x0 - margin <= x <= x1 + margin and y0 - margin <= y <= y1 + margin)

    def at(self, x: float, y: float) -> tuple[np.ndarray, bool | None]:
        """z (1, d) float32 at (x, y), and whether it is void (None on a plane: no grid)."""
        if isinstance(self.latents, SliderLatents):
            return self.latents.at(x, y), None
        z, void = grid_latents(self.latents, [[x, y]])
        return z, bool(void[0])


def cursor_panel(
    run: Run, under: Under, start: tuple[float, float], chart_key: str, in_browser: bool
) -> None:
    """The face at the cursor and where its z lands; the cursor starts at `start` when the map
    changes, else where it last rested; a session's first map keeps a cursor its link set."""
    if st.session_state.get("proj_cursor_of") != under.identity:
        from_link = "proj_cursor_of" not in st.session_state and all(
            key in st.session_state for key in CURSOR_KEYS
        )
        st.session_state["proj_cursor_of"] = under.identity
        if not (from_link and under.holds(*(st.session_state[key] for key in CURSOR_KEYS))):
            st.session_state.proj_cx, st.session_state.proj_cy = start
    x, y = float(st.session_state.proj_cx), float(st.session_state.proj_cy)
    st.subheader("Under the cursor")
    if in_browser:
        x, y = live_map_face(
            run, under.latents, (x, y), chart_key=chart_key, key=f"cursor_{under.identity}",
            width=FACE_WIDTH,
        )  # fmt: skip
        if not np.isfinite([x, y]).all():  # not from this page's own script: back to the start
            x, y = start
        st.session_state.proj_cx, st.session_state.proj_cy = x, y
        st.caption("Move the cursor over the map: the face follows it, decoded in this browser.")
    else:
        left, right = st.columns(2)
        left.number_input("cursor x", key="proj_cx", format="%.3f", step=0.1)
        right.number_input("cursor y", key="proj_cy", format="%.3f", step=0.1)
        x, y = float(st.session_state.proj_cx), float(st.session_state.proj_cy)
    write_to_url(list(CURSOR_KEYS))
    z, void = under.at(x, y)
    if not in_browser:
        st.image(loaders.decoder(run).decode(z)[0], width=FACE_WIDTH,
                 caption=f"decoded at ({x:.3f}, {y:.3f})")  # fmt: skip
    landed = landing(z, loaders.latent_index(run), loaders.analysis(run, "nearest", NearestData))
    where = {"cursor (x, y)": f"{x:.3f}, {y:.3f}", "|z|": f"{landed.radius[0]:.2f}",
             "distance to nearest data point": f"{landed.nearest_distance[0]:.3f}",
             "nearest-data percentile": f"{landed.percentile[0]:.1f}",
             "nearest image row": str(landed.nearest_index[0])}  # fmt: skip
    if void is not None:
        where["grid cell"] = "void" if void else "near data"
    st.dataframe({"": list(where), "at the cursor": list(where.values())}, hide_index=True)
    st.caption(
        ("Void: no map point within the grid's radius of this cell. " if void else "")
        + "The percentile ranks the distance to the nearest encoded point among the data "
        "points' own nearest-neighbour distances: 100 = farther out than any."
    )
