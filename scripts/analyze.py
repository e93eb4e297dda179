"""Compute a run's latent statistics and projections into <run>/analysis/ (for the dashboard).

Radius and per-component histograms, all-points correlations, the logvar check, PCA, t-SNE maps
(openTSNE), the KMeans inertia curve, random-vector baselines, the fitted Gaussian, the
nearest-data reference and the attribute correlations and directions.
"""

from __future__ import annotations

from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run


def main(argv: list[str] | None = None) -> int:
    from model.pipeline.analysis import TSNE_VARIANTS, AnalysisConfig

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
        "--tsne-cap",
        type=int,
        help="at most this many points per t-SNE map (default: all, up to 20,000)",
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
