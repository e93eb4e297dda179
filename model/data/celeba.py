"""CelebA as the studies prepared it: crop (0, 40, 178, 218), LANCZOS resize, first N for training.

`build_celeba` reads `img_align_celeba/` or `img_align_celeba.zip` and, when it can find one,
`list_attr_celeba.txt`, and writes a data set through `model.data.store`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from model.budget import check_dataset_fits
from model.data.image_files import (
    IMAGE_EXTENSIONS,
    ImageEntry,
    ImageSource,
    Recipe,
    ingest,
    ingest_in_memory,
    list_folder_images,
    list_zip_images,
    open_source,
    report_ingested,
)
from model.data.store import AttributeTable, DatasetInfo, create_dataset, make_split

logger = logging.getLogger(__name__)

CELEBA_SIZE = (178, 218)  # (width, height) of every img_align_celeba image
CELEBA_CROP = (0, 40, 178, 218)  # the studies' crop box: the lower 178 x 178 square
ATTRIBUTES_NAME = "list_attr_celeba.txt"
CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
    "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup",
    "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard",
    "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns",
    "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat",
    "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young",
)  # fmt: skip
_FIRST_ROW_LINE = 3


@dataclass(frozen=True)
class CelebaAttributes:
    """The rows of list_attr_celeba.txt: `values[rows[filename]]` holds that image's -1/1 values."""

    path: Path
    rows: dict[str, int]
    values: np.ndarray

    def check_names(self, names: list[str]) -> None:
        """ValueError naming the first image that has no row."""
        missing = [name for name in names if name not in self.rows]
        if missing:
            last = _FIRST_ROW_LINE + len(self.rows) - 1
            raise ValueError(
                f"{self.path}: no attribute row for image {missing[0]}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + f"; its rows on lines {_FIRST_ROW_LINE}-{last} do not match the images"
            )

    def table_for(self, names: list[str]) -> AttributeTable:
        """Attributes of the named images, in that order, as 0/1 (CelebA's -1 becomes 0)."""
        self.check_names(names)
        selected = self.values[[self.rows[name] for name in names]]
        binary = (selected > 0).astype(np.float32)
        return AttributeTable(CELEBA_ATTRIBUTES, binary, CELEBA_ATTRIBUTES)


def read_celeba_attributes(path: Path) -> CelebaAttributes:
    """Parse list_attr_celeba.txt; ValueError names the line and what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"attribute file {path} not found")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if not lines or not lines[0].strip().isdigit():
        first = repr(lines[0][:40]) if lines else "nothing (the file is empty)"
        raise ValueError(f"{path}, line 1: expected the number of images, found {first}")
    declared = int(lines[0])
    header = lines[1].split() if len(lines) > 1 else []
    if tuple(header) != CELEBA_ATTRIBUTES:
        raise ValueError(f"{path}, line 2: {_header_problem(header)}")
    rows: dict[str, int] = {}
    values = np.empty((max(len(lines) - 2, 0), len(CELEBA_ATTRIBUTES)), dtype=np.int8)
    for number, line in enumerate(lines[2:], start=_FIRST_ROW_LINE):
        parts = line.split()
        if not parts:
            continue
        name, fields = parts[0], parts[1:]
        if len(fields) != len(CELEBA_ATTRIBUTES):
            raise ValueError(
                f"{path}, line {number}: {len(fields)} values for {name}, "
                f"expected {len(CELEBA_ATTRIBUTES)}"
            )
        if not set(fields) <= {"-1", "1"}:
            bad = next(v for v in fields if v not in ("-1", "1"))
            raise ValueError(f"{path}, line {number}: value {bad!r} for {name}, expected -1 or 1")
        if name in rows:
            raise ValueError(f"{path}, line {number}: a second row for {name}")
        values[len(rows)] = [int(v) for v in fields]
        rows[name] = len(rows)
    if len(rows) != declared:
        raise ValueError(
            f"{path}, line 1: says {declared} images but the file has {len(rows)} rows"
        )
    return CelebaAttributes(path, rows, values[: len(rows)])


def _header_problem(header: list[str]) -> str:
    if len(header) != len(CELEBA_ATTRIBUTES):
        return f"{len(header)} attribute names, expected CelebA's {len(CELEBA_ATTRIBUTES)}"
    index = next(i for i, (a, b) in enumerate(zip(header, CELEBA_ATTRIBUTES)) if a != b)
    return f"attribute {index + 1} is {header[index]!r}, expected {CELEBA_ATTRIBUTES[index]!r}"


def attribute_candidates(source: Path) -> list[Path]:
    """Where `build_celeba` looks for list_attr_celeba.txt: the source folder and its parent."""
    folder = source if source.is_dir() else source.parent
    return [
        place / sub / ATTRIBUTES_NAME for place in (folder, folder.parent) for sub in (".", "Anno")
    ]


def celeba_entries(source: ImageSource) -> list[ImageEntry]:
    """CelebA image files in name order, named by file name (a zip's folder prefix dropped)."""
    if not source.is_zip:
        entries = list_folder_images(source.path, recursive=False)
        if not entries:
            raise ValueError(_no_images_message(source.path))
        return entries
    entries = [ImageEntry(e.key, PurePosixPath(e.key).name) for e in list_zip_images(source.path)]
    if not entries:
        raise ValueError(f"zip archive {source.path} holds no {'/'.join(IMAGE_EXTENSIONS)} files")
    entries.sort(key=lambda e: e.name)
    names = [e.name for e in entries]
    duplicate = next((a for a, b in itertools.pairwise(names) if a == b), None)
    if duplicate is not None:
        raise ValueError(f"zip archive {source.path} holds {duplicate} more than once")
    return entries


def _no_images_message(folder: Path) -> str:
    message = f"no {'/'.join(IMAGE_EXTENSIONS)} files in {folder}"
    subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if subfolders:
        message += f" (it has subfolders: {', '.join(subfolders[:3])}; pass the one with images)"
    return message


def _check_arguments(image_size: int, n_train: int, n_test: int) -> None:
    if image_size < 1:
        raise ValueError(f"image_size must be positive, got {image_size}")
    if n_train < 1 or n_test < 0:
        raise ValueError(f"need n_train >= 1 and n_test >= 0, got {n_train} and {n_test}")


def check_crop(crop: Sequence[int]) -> tuple[int, int, int, int]:
    """The crop box as a tuple, checked to be a square inside CelebA's 178 x 218 images."""
    if len(crop) != 4:
        raise ValueError(f"crop must be (left, top, right, bottom), got {crop}")
    left, top, right, bottom = (int(v) for v in crop)
    width, height = CELEBA_SIZE
    if not (0 <= left < right <= width and 0 <= top < bottom <= height):
        raise ValueError(f"crop box {crop} does not fit inside CelebA's {width} x {height} images")
    if right - left != bottom - top:
        raise ValueError(f"crop box {crop} is {right - left} x {bottom - top}, not square")
    return (left, top, right, bottom)


def plan_split(usable: int, n_train: int, n_test: int) -> tuple[int, int]:
    """(train, test) sizes for `usable` images: the test set shrinks first, then the train set."""
    train = min(n_train, usable)
    return train, min(n_test, usable - train)


def build_celeba(
    source: Path,
    path: Path,
    *,
    image_size: int = 96,
    n_train: int = 170_000,
    n_test: int = 10_000,
    attributes_file: Path | None = None,
    crop: tuple[int, int, int, int] = CELEBA_CROP,
    workers: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> DatasetInfo:
    """Build the studies' CelebA data set at `path` from img_align_celeba (folder or .zip).

    Train = the first `n_train` usable images in file name order, test = the next `n_test`.
    Unusable files (corrupt, not RGB, not 178 x 218) are skipped and listed in dataset.json.
    """
    source = Path(source)
    _check_arguments(image_size, n_train, n_test)
    crop = check_crop(crop)
    image_source = open_source(source)
    entries = celeba_entries(image_source)
    attributes = _load_attributes(source, attributes_file)
    if attributes is not None:
        attributes.check_names([e.name for e in entries])  # fail now, not after hours of work
    recipe = Recipe(image_size, crop=crop, required_size=CELEBA_SIZE)
    check_dataset_fits(
        Path(path), min(n_train + n_test, len(entries)), image_size, ingest_in_memory(workers)
    )
    with create_dataset(Path(path), image_size, overwrite=overwrite) as writer:
        done = ingest(
            image_source,
            entries,
            recipe,
            writer.add_images,
            limit=n_train + n_test,
            workers=workers,
            progress=progress,
            description="CelebA",
        )
        usable = report_ingested(logger, source, done)
        train, test = plan_split(usable, n_train, n_test)
        if (train, test) != (n_train, n_test):
            logger.warning(
                "only %d usable images in %s for the requested %d train + %d test; "
                "using train %d, test %d",
                usable, source, n_train, n_test, train, test,
            )  # fmt: skip
        info = writer.finish(
            source={
                "kind": "celeba",
                "path": str(source),
                "attributes_file": str(attributes.path) if attributes else None,
                "requested_split": {"train": n_train, "test": n_test},
                "files_found": len(entries),
                "files_examined": done.examined,
            },
            split=make_split(usable, train, test),
            attributes=attributes.table_for(done.names) if attributes else None,
            crop=crop,
            skipped=done.skipped,
        )
    return info


def _load_attributes(source: Path, attributes_file: Path | None) -> CelebaAttributes | None:
    if attributes_file is not None:
        return read_celeba_attributes(Path(attributes_file))
    candidates = attribute_candidates(source)
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        logger.warning(
            "no %s found in %s, %s or their Anno/ subfolders; building without attributes "
            "(pass one with --attributes)",
            ATTRIBUTES_NAME, candidates[0].parent, candidates[2].parent,
        )  # fmt: skip
        return None
    logger.info("using attributes from %s", found)
    return read_celeba_attributes(found)
