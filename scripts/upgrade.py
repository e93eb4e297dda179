"""Bring the runs and data sets under ARTIFACTS that an older zspace wrote up to this zspace's
formats, keeping everything they hold (weights, latents, analyses, images).

Other commands, and the dashboard, refuse an older run or data set and name this command; the
quick start runs it for you. Safe to stop at any moment and to run again: each run is either
upgraded or as it was, and a second run finishes the first.
"""

from __future__ import annotations

from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("upgrade", __doc__)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="say nothing when nothing is older")
    args = parser.parse_args(argv)

    def body() -> None:
        from model.pipeline.runs import ArtifactLayout
        from model.pipeline.upgrade import upgrade_artifacts

        count = upgrade_artifacts(ArtifactLayout(args.artifacts), report=print)
        if count or not args.quiet:
            print(f"upgrade: {count or 'nothing'} upgraded under {args.artifacts}")

    return run(body, tensorflow=False)


if __name__ == "__main__":
    raise SystemExit(main())
