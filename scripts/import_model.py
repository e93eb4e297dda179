"""Register your own Keras 3 encoder and decoder, trained elsewhere, as a zspace run.

The encoder takes images (None, S, S, 3) in [0, 1], S the data set's image size, and gives
[z_mean, z_log_var] (a VAE; a third output, its own z, is allowed) or z (an AE). The decoder
takes z (None, z_dim) and gives images (None, S, S, 3) in [0, 1]. Both are checked (shapes,
image size, z_dim, finite outputs in range on a sample batch) before the run is written;
then `encode` and `analyze` make it explorable in the dashboard.
"""

from __future__ import annotations

from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("import_model", __doc__)
    parser.add_argument("--encoder", type=Path, required=True, help="the encoder (.keras)")
    parser.add_argument("--decoder", type=Path, required=True, help="the decoder (.keras)")
    parser.add_argument(
        "--data",
        required=True,
        help="the data set: a directory under ARTIFACTS/datasets/ made by prepare_data, or "
        "its name",
    )
    parser.add_argument("--run", required=True, help="name of the new run under ARTIFACTS/runs/")
    parser.add_argument(
        "--kl-factor",
        type=float,
        default=1.0,
        help="the KL weight the VAE was trained with, for the record (default 1: the ELBO)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the eps `encode` samples")
    parser.add_argument("--force", action="store_true", help="replace an existing run")
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    args = parser.parse_args(argv)

    def body() -> None:
        from model.import_model import dataset_name, import_model
        from model.pipeline.runs import ArtifactLayout

        layout = ArtifactLayout(args.artifacts)
        report = import_model(
            layout,
            args.run,
            args.encoder,
            args.decoder,
            dataset_name(layout, args.data),
            kl_factor=args.kl_factor,
            seed=args.seed,
            force=args.force,
        )
        print(report.message)
        artifacts = "" if args.artifacts == DEFAULT_ARTIFACTS else f" --artifacts {args.artifacts}"
        print("next, to explore it in the dashboard:")
        for stage in ("encode", "analyze"):
            print(f"  python -m scripts.{stage} --run {args.run}{artifacts}")

    return run(body)


if __name__ == "__main__":
    raise SystemExit(main())
