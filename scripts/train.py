"""Train a run's (V)AE from a preset, or resume / continue an existing run.

python -m scripts.train --preset demo              # train the demo run
python -m scripts.train --run demo --epochs 24     # continue it to 24 epochs
python -m scripts.train --preset celeba --set model.intermediate_dense=256 --run vae-xii
python -m scripts.train --preset celeba --set train.mixed_precision=true --distribute mirrored

--distribute mirrored trains on every local GPU (without one: the CPU as --cpu-devices logical
devices); --distribute multi-worker runs this process as one worker of the cluster in TF_CONFIG:
start the same command on every worker. The batch size stays the whole batch over all replicas.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from model.config import DISTRIBUTE_MODES, PRESETS

    parser = command_parser("train", __doc__)
    parser.add_argument("--preset", choices=list(PRESETS), help="start from this configuration")
    parser.add_argument(
        "--run", help="run name (default: the preset's name); letters, digits, '.', '_', '-'"
    )
    parser.add_argument("--epochs", type=int, help="train until this many epochs in total")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting, e.g. model.z_dim=128 or train.seed=3 (repeatable)",
    )
    parser.add_argument("--force", action="store_true", help="discard existing outputs, start over")
    parser.add_argument(
        "--distribute", choices=DISTRIBUTE_MODES, default="none",
        help="none (default): one device, a GPU if there is one; mirrored: all local GPUs, or "
        "the CPU split into --cpu-devices; multi-worker: a cluster from TF_CONFIG",
    )  # fmt: skip
    parser.add_argument(
        "--cpu-devices", type=int, default=2, metavar="N",
        help="logical CPU devices for --distribute mirrored without a GPU (default 2)",
    )  # fmt: skip
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.preset is None and args.run is None:
        parser.error("give --preset (a new run) or --run (an existing run)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def body() -> None:
        from model.distribute import start_replicas

        replicas = start_replicas(args.distribute, args.cpu_devices)  # before any TensorFlow op
        from model.config import preset
        from model.pipeline.runs import ArtifactLayout
        from model.pipeline.stages import train_stage, training_config

        layout = ArtifactLayout(args.artifacts)
        name = args.run if args.run is not None else args.preset
        layout.run(name)  # a name that is not allowed fails here, before anything is loaded
        config = preset(args.preset) if args.preset else training_config(layout, name, args.force)
        overrides = dict(item.partition("=")[::2] for item in args.set)
        if args.epochs is not None:
            overrides["train.epochs"] = str(args.epochs)
        config = config.with_overrides(overrides)
        precision = replicas.dtype_policy(config.train.mixed_precision) or "float32"
        print(f"train: {name} on {replicas.describe()}; {precision}", flush=True)
        report = train_stage(
            layout, name, config, force=args.force, progress=not args.quiet, replicas=replicas
        )
        replicas.meet("train done")
        print(report.message)

    return run(body)


if __name__ == "__main__":
    raise SystemExit(main())
