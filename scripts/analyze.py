"""Compute a run's latent statistics and projections into <run>/analysis/ (for the dashboard).

Radius and per-component histograms, all-points correlations, the logvar check, PCA, t-SNE maps
(openTSNE) and UMAP maps (umap-learn) with a decodable grid over each, the KMeans inertia curve,
random-vector baselines, the fitted Gaussian, the nearest-data reference and the attribute
correlations and directions.

`analyze --run NAME` brings the run's analysis up to date with the settings it was made with
(an analysis from before a result existed gets just that result); a run not yet analysed gets
the defaults below. A setting given here that differs from the recorded one is refused unless
--force, which computes the analysis again (with the recorded settings and those given).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run


def main(argv: list[str] | None = None) -> int:
    from model.pipeline.analysis import TSNE_VARIANTS, UMAP_NAMES, AnalysisConfig

    defaults = AnalysisConfig()
    parser = command_parser("analyze", __doc__)
    parser.add_argument("--run", required=True, help="run name under ARTIFACTS/runs/")
    parser.add_argument(
        "--latent", choices=("z", "mu"), help="which latents to analyse (default z, as the studies)"
    )
    parser.add_argument(
        "--tsne",
        nargs="*",
        choices=list(TSNE_VARIANTS),
        metavar="VARIANT",
        help="t-SNE maps to make (default: all that the run's z_dim allows, of "
        f"{', '.join(TSNE_VARIANTS)})",
    )
    parser.add_argument(
        "--umap",
        nargs="*",
        choices=list(UMAP_NAMES),
        metavar="VARIANT",
        help="UMAP maps to make (default: all that the run's z_dim allows, of "
        f"{', '.join(UMAP_NAMES)})",
    )
    points = parser.add_mutually_exclusive_group()
    points.add_argument(
        "--tsne-cap",
        type=int,
        help="at most this many points per t-SNE and UMAP map (default: all, up to 20,000)",
    )
    points.add_argument(
        "--every-point",
        action="store_true",
        default=None,
        help="map every encoded point, the studies' scale (170,000 x 256: see docs/analysis.md)",
    )
    parser.add_argument(
        "--grid-size",
        type=int,
        help=f"nodes per side of each map's decodable grid (default {defaults.grid_size})",
    )
    parser.add_argument(
        "--grid-neighbours",
        type=int,
        help=f"map points averaged per grid node (default {defaults.grid_neighbours})",
    )
    parser.add_argument(
        "--grid-void-cells",
        type=float,
        help="a grid node with no map point this many cells near is void "
        f"(default {defaults.grid_void_cells:g})",
    )
    parser.add_argument(
        "--tsne-iterations",
        type=int,
        help="main-phase iterations after 250 exaggerated ones (default 750)",
    )
    parser.add_argument(
        "--kmeans-max-k",
        type=int,
        help=f"KMeans for k = 2, 4, ... up to this (default {max(defaults.kmeans_ks)})",
    )
    parser.add_argument("--seed", type=int, help="0 to 2**32 - 1 (default 0)")
    parser.add_argument("--force", action="store_true", help="replace an existing analysis")
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.kmeans_max_k is not None and args.kmeans_max_k < 2:
        parser.error(f"--kmeans-max-k must be at least 2, got {args.kmeans_max_k}")
    given = {
        "latent": args.latent,
        "tsne_variants": None if args.tsne is None else tuple(args.tsne),
        "umap_variants": None if args.umap is None else tuple(args.umap),
        "tsne_cap": args.tsne_cap,
        "every_point": args.every_point,
        "grid_size": args.grid_size,
        "grid_neighbours": args.grid_neighbours,
        "grid_void_cells": args.grid_void_cells,
        "tsne_iterations": args.tsne_iterations,
        "kmeans_ks": None
        if args.kmeans_max_k is None
        else tuple(range(2, args.kmeans_max_k + 1, 2)),
        "seed": args.seed,
    }
    given = {name: value for name, value in given.items() if value is not None}

    def body() -> None:
        from model.pipeline.runs import ArtifactLayout, Run
        from model.pipeline.stages import analysis_config, analyze_stage

        layout = ArtifactLayout(args.artifacts)
        recorded = analysis_config(layout, args.run)
        if recorded is None:  # the defaults: every map the run's z_dim allows
            z_dim = Run.open(layout.run(args.run)).config.model.z_dim
            recorded = defaults.maps_within(z_dim)
        if "tsne_cap" in given:
            recorded = dataclasses.replace(recorded, every_point=False)
        if given.get("every_point"):
            recorded = dataclasses.replace(recorded, tsne_cap=None)
        config = dataclasses.replace(recorded, **given)
        report = analyze_stage(layout, args.run, config, force=args.force, progress=not args.quiet)
        print(report.message)

    return run(body)


if __name__ == "__main__":
    raise SystemExit(main())
