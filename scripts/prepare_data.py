"""Build a data set under ARTIFACTS/datasets/NAME from one of the sources.

  python -m scripts.prepare_data synthetic                     # built-in faces (the default)
  python -m scripts.prepare_data celeba path/to/img_align_celeba[.zip] [--attributes FILE]
  python -m scripts.prepare_data folder path/to/images --size 64

A data set that already exists with the same settings is left as it is; one with other
settings is only replaced with --force.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run


@dataclass(frozen=True)
class Source:
    default_name: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    build: Callable[[argparse.Namespace, Path], Any]
    # The settings a built data set must have for this request to count as already done.
    expected: Callable[[argparse.Namespace], dict[str, Any]]


def _synthetic_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=int, default=20_000, help="images in all (default 20000)")
    parser.add_argument("--test", type=int, default=2_000, help="of which test (default 2000)")
    parser.add_argument("--size", type=int, default=64, help="image side in px (default 64)")
    parser.add_argument("--seed", type=int, default=0)


def _celeba_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, help="img_align_celeba folder or its .zip")
    parser.add_argument("--attributes", type=Path, help="list_attr_celeba.txt (found if beside)")
    parser.add_argument("--size", type=int, default=96, help="image side in px (default 96)")
    parser.add_argument("--train", type=int, default=170_000, help="first N images (170000)")
    parser.add_argument("--test", type=int, default=10_000, help="next N images (10000)")


def _folder_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, help="folder of JPG/PNG images (searched recursively)")
    parser.add_argument("--size", type=int, default=64, help="image side in px (default 64)")
    parser.add_argument("--test", type=int, help="test images (default: 10 %%)")


def _build_synthetic(args: argparse.Namespace, path: Path) -> Any:
    from model.data.synthetic import build_synthetic

    return build_synthetic(
        path,
        count=args.count,
        test_count=args.test,
        image_size=args.size,
        seed=args.seed,
        workers=args.workers,
        overwrite=args.force,
        progress=not args.quiet,
    )


def _build_celeba(args: argparse.Namespace, path: Path) -> Any:
    from model.data.celeba import build_celeba

    return build_celeba(
        args.source,
        path,
        image_size=args.size,
        n_train=args.train,
        n_test=args.test,
        attributes_file=args.attributes,
        workers=args.workers,
        overwrite=args.force,
        progress=not args.quiet,
    )


def _build_folder(args: argparse.Namespace, path: Path) -> Any:
    from model.data.folder import build_folder

    return build_folder(
        args.source,
        path,
        image_size=args.size,
        n_test=args.test,
        workers=args.workers,
        overwrite=args.force,
        progress=not args.quiet,
    )


SOURCES: dict[str, Source] = {
    "synthetic": Source(
        "synthetic64",
        _synthetic_arguments,
        _build_synthetic,
        lambda a: {
            "kind": "synthetic",
            "seed": a.seed,
            "image_size": a.size,
            "count": a.count,
            "test": a.test,
        },
    ),
    "celeba": Source(
        "celeba",
        _celeba_arguments,
        _build_celeba,
        lambda a: {
            "kind": "celeba",
            "path": str(a.source),
            "image_size": a.size,
            "requested_split": {"train": a.train, "test": a.test},
        },
    ),
    "folder": Source(
        "folder",
        _folder_arguments,
        _build_folder,
        lambda a: {"kind": "folder", "path": str(a.source), "image_size": a.size},
    ),
}


def describe(info: Any) -> dict[str, Any]:
    """The settings of a built data set, in the terms of `Source.expected`."""
    start, stop = info.split["test"]
    return {
        **info.source,
        "image_size": info.image_size,
        "count": info.count,
        "test": stop - start,
    }


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("prepare_data", __doc__)
    commands = parser.add_subparsers(dest="kind", required=True, metavar="SOURCE")
    for name, source in SOURCES.items():
        sub = commands.add_parser(name, help=f"{name} images (default name: {source.default_name})")
        source.add_arguments(sub)
        sub.add_argument("--name", default=source.default_name, help="data set directory name")
        sub.add_argument("--workers", type=int, help="processes (default: all cores)")
        sub.add_argument("--force", action="store_true", help="replace an existing data set")
        sub.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
        sub.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    source = SOURCES[args.kind]

    def body() -> None:
        from model.data.store import INFO_FILE, Dataset, tidy_dataset
        from model.pipeline.runs import ArtifactLayout

        path = ArtifactLayout(args.artifacts).dataset(args.name)
        tidy_dataset(path)  # what a killed build left, before the data set is looked at
        if (path / INFO_FILE).is_file() and not args.force:
            existing = describe(Dataset(path).info)
            expected = source.expected(args)
            different = {k: v for k, v in expected.items() if existing.get(k) != v}
            if not different:
                print(f"prepare_data: {path} is up to date")
                return
            raise FileExistsError(
                f"{path} exists with other settings ({', '.join(different)} differ: "
                f"{ {k: existing.get(k) for k in different} }); pass --force to replace it"
            )
        info = source.build(args, path)
        print(
            f"prepare_data: {info.count} images of {info.image_size} px -> {path}"
            + (
                f" ({len(info.skipped)} files skipped, listed in dataset.json)"
                if info.skipped
                else ""
            )
        )

    return run(body, tensorflow=False)


if __name__ == "__main__":
    raise SystemExit(main())
