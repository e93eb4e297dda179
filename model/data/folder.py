"""Any folder of JPG/PNG images as a data set: centre square crop, LANCZOS resize, no attributes."""

from __future__ import annotations

import logging
from pathlib import Path

from model.budget import check_dataset_fits
from model.data.image_files import (
    IMAGE_EXTENSIONS,
    ImageSource,
    Recipe,
    ingest,
    ingest_in_memory,
    list_folder_images,
    report_ingested,
)
from model.data.store import DatasetInfo, create_dataset, make_split

logger = logging.getLogger(__name__)

TEST_FRACTION = 0.1  # default share of the usable images held out for testing


def default_test_count(usable: int) -> int:
    """10 % of the usable images, rounded down."""
    return int(usable * TEST_FRACTION)


def build_folder(
    source: Path,
    path: Path,
    *,
    image_size: int = 64,
    n_test: int | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> DatasetInfo:
    """Build a data set at `path` from every image under `source`, sorted by relative path.

    Non-RGB images are converted to RGB and listed in `converted`; unreadable images and images
    smaller than `image_size` are skipped and listed in `skipped`. The last `n_test` usable
    images (default 10 %) form the test split.
    """
    source = Path(source)
    if image_size < 1:
        raise ValueError(f"image_size must be positive, got {image_size}")
    if n_test is not None and n_test < 0:
        raise ValueError(f"n_test must be >= 0, got {n_test}")
    if not source.exists():
        raise FileNotFoundError(f"image folder {source} does not exist")
    if not source.is_dir():
        raise ValueError(f"{source} is not a folder (unpack an archive first)")
    entries = list_folder_images(source)
    if not entries:
        raise ValueError(
            f"no image files ({', '.join(IMAGE_EXTENSIONS)}, any case) in {source} "
            "or its subfolders"
        )
    recipe = Recipe(image_size, convert_modes=True, min_side=image_size, exif_transpose=True)
    check_dataset_fits(Path(path), len(entries), image_size, ingest_in_memory(workers))
    with create_dataset(Path(path), image_size, overwrite=overwrite) as writer:
        done = ingest(
            ImageSource(source, is_zip=False),
            entries,
            recipe,
            writer.add_images,
            workers=workers,
            progress=progress,
            description="images",
        )
        usable = report_ingested(logger, source, done)
        test = default_test_count(usable) if n_test is None else min(n_test, usable - 1)
        if n_test is not None and test != n_test:
            logger.warning(
                "only %d usable images in %s; test split shrunk from %d to %d",
                usable, source, n_test, test,
            )  # fmt: skip
        info = writer.finish(
            source={"kind": "folder", "path": str(source), "files_found": len(entries)},
            split=make_split(usable, usable - test, test),
            skipped=done.skipped,
            converted=done.converted,
        )
    return info
