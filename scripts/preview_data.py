"""Render the first images of a data set as one PNG grid, to look at them."""

from __future__ import annotations

from pathlib import Path

from scripts.common import command_parser, run


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("preview_data", __doc__)
    parser.add_argument(
        "dataset", type=Path, help="data set directory, e.g. artifacts/datasets/synthetic64"
    )
    parser.add_argument("--out", type=Path, default=Path("preview.png"), help="PNG to write")
    parser.add_argument("--count", type=int, default=64, help="number of images (default 64)")
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--start", type=int, default=0, help="first image row")
    args = parser.parse_args(argv)

    def body() -> None:
        from model.data.store import Dataset
        from model.grid import image_grid, save_png

        if args.out.is_dir():
            raise IsADirectoryError(f"--out {args.out} is a folder; give a file, e.g. faces.png")
        if not args.out.absolute().parent.is_dir():
            raise FileNotFoundError(f"--out {args.out}: folder {args.out.parent} does not exist")
        if args.columns < 1:
            raise ValueError(f"--columns must be at least 1, got {args.columns}")
        dataset = Dataset(args.dataset)
        stop = min(args.start + args.count, len(dataset))
        if args.count < 1 or args.start >= stop:
            raise ValueError(f"no images in rows [{args.start}, {stop}) of {len(dataset)}")
        save_png(image_grid(dataset.read(args.start, stop), args.columns), args.out)
        print(f"preview_data: images {args.start}..{stop - 1} -> {args.out}")

    return run(body, tensorflow=False)


if __name__ == "__main__":
    raise SystemExit(main())
