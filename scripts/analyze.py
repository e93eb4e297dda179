"""Compute a run's latent statistics and projections into <run>/analysis/ (for the dashboard).

Radius and per-component histograms, all-points correlations, the logvar check, PCA, t-SNE maps
(openTSNE) and UMAP maps (umap-learn) with a decodable grid over each, the KMeans inertia curve,
random-vector baselines, the fitted Gaussian, the nearest-data reference and the attribute
correlations and directions.
"""

from __future__ import annotations

from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run


def main(argv: list[str] | None = None) -> int:
    from model.pipeline.analysis import TSNE_VARIANTS, UMAP_NAMES, AnalysisConfig

    defaults = AnalysisConfig()
    parser = command_parser("analyze", __doc__)
    parser.add_argument("--run", required=True, help="run name under ARTIFACTS/runs/")
    parser.add_argument(
        "--latent",
        choices=("z", "mu"),
        default=defaults.latent,
        help="which latents to analyse (default z, as the studies)",
    )
    parser.add_argument(
        "--tsne",
        nargs="*",
        choices=list(TSNE_VARIANTS),
        default=list(defaults.tsne_variants),
        metavar="VARIANT",
        help=f"t-SNE maps to make (default all: {', '.join(TSNE_VARIANTS)})",
    )
    parser.add_argument(
        "--umap",
        nargs="*",
        choices=list(UMAP_NAMES),
        default=list(defaults.umap_variants),
        metavar="VARIANT",
        help=f"UMAP maps to make (default all: {', '.join(UMAP_NAMES)})",
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
        help="map every encoded point, the studies' scale (170,000 x 256: see docs/analysis.md)",
    )
    parser.add_argument(
        "--grid-size",
        type=int,
        default=defaults.grid_size,
        help=f"nodes per side of each map's decodable grid (default {defaults.grid_size})",
    )
    parser.add_argument(
        "--grid-neighbours",
        type=int,
        default=defaults.grid_neighbours,
        help=f"map points averaged per grid node (default {defaults.grid_neighbours})",
    )
    parser.add_argument(
        "--grid-void-cells",
        type=float,
        default=defaults.grid_void_cells,
        help="a grid node with no map point this many cells near is void "
        f"(default {defaults.grid_void_cells:g})",
    )
    parser.add_argument(
        "--tsne-iterations",
        type=int,
        default=defaults.tsne_iterations,
        help="main-phase iterations after 250 exaggerated ones (default 750)",
    )
    parser.add_argument(
        "--kmeans-max-k",
        type=int,
        default=max(defaults.kmeans_ks),
        help="KMeans for k = 2, 4, ... up to this (default 80)",
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="0 to 2**32 - 1 (default 0)"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing analysis")
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.kmeans_max_k < 2:
        parser.error(f"--kmeans-max-k must be at least 2, got {args.kmeans_max_k}")

    def body() -> None:
        from model.pipeline.runs import ArtifactLayout
        from model.pipeline.stages import analyze_stage

        config = AnalysisConfig(
            latent=args.latent,
            tsne_variants=tuple(args.tsne),
            tsne_cap=args.tsne_cap,
            every_point=args.every_point,
            umap_variants=tuple(args.umap),
            grid_size=args.grid_size,
            grid_neighbours=args.grid_neighbours,
            grid_void_cells=args.grid_void_cells,
            tsne_iterations=args.tsne_iterations,
            kmeans_ks=tuple(range(2, args.kmeans_max_k + 1, 2)),
            seed=args.seed,
        )
        layout = ArtifactLayout(args.artifacts)
        report = analyze_stage(layout, args.run, config, force=args.force, progress=not args.quiet)
        print(report.message)

    return run(body)


if __name__ == "__main__":
    raise SystemExit(main())
