"""Build runs from their presets: train, encode and analyze each in turn.

python -m scripts.build                          # the studies' trio on the built-in faces
python -m scripts.build demo-ae                  # one run

Progress is also written to ARTIFACTS/builds.json, which the dashboard shows in its sidebar.
Every finished stage is kept: running the command again continues where it stopped.
"""

from __future__ import annotations

from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run

DEMO_RUNS = ("demo", "demo-ae", "demo-tiny-kl")


def main(argv: list[str] | None = None) -> int:
    from model.config import PRESETS

    parser = command_parser("build", __doc__)
    parser.add_argument(
        "runs", nargs="*", default=list(DEMO_RUNS), choices=list(PRESETS), metavar="PRESET",
        help=f"presets to build, in order (default: {' '.join(DEMO_RUNS)})",
    )  # fmt: skip
    parser.add_argument(
        "--maps", choices=("with", "last", "skip"), default="with",
        help="t-SNE and UMAP maps: with each run's analysis (default); last: every run's "
        "analysis without them first, then the maps of all, so each run can be looked at "
        "sooner; skip: none",
    )  # fmt: skip
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    def body() -> None:
        from model.config import preset
        from model.pipeline.builds import build_runs
        from model.pipeline.runs import ArtifactLayout

        runs = {name: preset(name) for name in args.runs}
        build_runs(
            ArtifactLayout(args.artifacts), runs, args.maps, progress=not args.quiet,
            on_stage=lambda report: print(report.message, flush=True),
        )  # fmt: skip

    return run(body)


if __name__ == "__main__":
    raise SystemExit(main())
