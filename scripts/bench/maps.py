"""Maps at the studies' scale: one t-SNE map and one UMAP map of 20,000 and of 170,000 latents
of 256 dimensions on this machine's cores (time and peak RSS, each in a fresh process), the
decodable grid's share of a map's time, and the grid's k-NN mean against UMAP's own
`inverse_transform` (time for the grid's nodes, error at the map's points; reported as
unavailable where umap-learn's inverse fails, as 0.5.12 does under numba 0.68)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model.analysis.map_grid import GridParams
from scripts.bench.common import emit, emit_unavailable, in_child, latents_file

_GRID = f"{GridParams().size} x {GridParams().size}, k = {GridParams().neighbours}"


def _map_and_grid(path: str, count: int, kind: str) -> dict[str, Any]:
    """One map of `kind` ('tsne' or 'umap', default settings) and its grid."""
    import numpy as np

    from model.analysis.map_grid import build_map_grid

    latents = np.load(path, mmap_mode="r")[:count]
    if kind == "tsne":
        from model.analysis.tsne import run_tsne
        from model.analysis.tsne_map import TsneParams

        result = run_tsne(latents, TsneParams(), progress=True)
    else:
        from model.analysis.umap_embed import run_umap
        from model.analysis.umap_map import UmapParams

        result = run_umap(latents, UmapParams(), progress=True)
    grid = build_map_grid(kind, result.embedding, np.asarray(latents[result.indices]))
    return {"map_seconds": result.seconds, "grid_seconds": grid.seconds}


def _grid_against_inverse(path: str, count: int, probes: int) -> dict[str, Any]:
    """Both estimates of z under the map: for the grid's nodes (time) and at `probes` of the
    map's own points (error against their true z, in latent units)."""
    import time
    import warnings

    import numpy as np

    from model.analysis.map_grid import build_map_grid, grid_latents, node_positions
    from model.analysis.umap_embed import umap_class

    latents = np.asarray(np.load(path, mmap_mode="r")[:count])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reducer = umap_class()(random_state=0, n_jobs=1).fit(latents)
        embedding = reducer.embedding_
        started = time.perf_counter()
        grid = build_map_grid("umap", embedding, latents)
        grid_seconds = time.perf_counter() - started
        nodes = node_positions(grid.extent, GridParams().size).reshape(-1, 2)
        rows = np.random.default_rng(0).choice(count, size=probes, replace=False)
        truth = latents[rows]
        found = {
            "grid_seconds": grid_seconds,
            "grid_error": _median_error(grid_latents(grid, embedding[rows])[0], truth),
            "spread": _median_error(truth, truth.mean(axis=0)),
        }
        try:
            started = time.perf_counter()
            reducer.inverse_transform(nodes)
            found["inverse_seconds"] = time.perf_counter() - started
            inverse = reducer.inverse_transform(embedding[rows])
            found["inverse_error"] = _median_error(inverse, truth)
        except Exception as error:  # noqa: BLE001 (numba's compile of umap-learn's inverse fails)
            found["inverse_failed"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return found


def _median_error(estimates: Any, truth: Any) -> float:
    import numpy as np

    return float(np.median(np.linalg.norm(estimates - truth, axis=1)))


def bench_maps(workdir: Path, sizes: dict[str, int]) -> None:
    dim = sizes["latent_dim"]
    path = latents_file(workdir, sizes["maps_large"], dim)
    for count in (sizes["maps_small"], sizes["maps_large"]):
        shape = {"points": count, "dim": dim, "threads": 1}
        for kind in ("tsne", "umap"):
            done = in_child(_map_and_grid, str(path), count, kind)
            emit(f"maps_{kind}_seconds_{count}", done["map_seconds"], "s",
                 peak_rss_mib=round(done["peak_rss_mib"]), **shape)  # fmt: skip
            emit(f"maps_{kind}_grid_share_{count}", 100 * done["grid_seconds"] /
                 done["map_seconds"], "%", grid_seconds=round(done["grid_seconds"], 3),
                 grid=_GRID, **shape)  # fmt: skip
    count = sizes["maps_small"]
    found = in_child(_grid_against_inverse, str(path), count, sizes["maps_probes"])
    nodes = GridParams().size ** 2
    shape = {"points": count, "dim": dim, "nodes": nodes, "probes": sizes["maps_probes"]}
    emit("maps_grid_error", found["grid_error"], "latent units",
         seconds=round(found["grid_seconds"], 3),
         median_distance_to_mean=round(found["spread"], 3), **shape)  # fmt: skip
    if "inverse_failed" in found:
        emit_unavailable("maps_umap_inverse_transform_error", found["inverse_failed"], **shape)
        return
    emit("maps_umap_inverse_transform_error", found["inverse_error"], "latent units",
         seconds=round(found["inverse_seconds"], 3), **shape)  # fmt: skip
