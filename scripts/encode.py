"""Encode every image of a run's data set into z, mu and logvar (latents/*.npy)."""

from __future__ import annotations

from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("encode", __doc__)
    parser.add_argument("--run", required=True, help="run name under ARTIFACTS/runs/")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--force", action="store_true", help="replace existing latents")
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    def body() -> None:
        from model.pipeline.runs import ArtifactLayout
        from model.pipeline.stages import encode_stage

        layout = ArtifactLayout(args.artifacts)
        report = encode_stage(
            layout,
            args.run,
            force=args.force,
            batch_size=args.batch_size,
            progress=not args.quiet,
        )
        print(report.message)

    return run(body)


if __name__ == "__main__":
    raise SystemExit(main())
