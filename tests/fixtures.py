"""CelebA-shaped fixtures written on the fly: numbered 178 x 218 JPGs and list_attr_celeba.txt.

Every image has its own content (a colour from its number, a gradient, a marker square whose
position depends on the number, and a red band in the 40 rows the CelebA crop removes), so tests
can tell images apart and check crops and resizes pixel by pixel.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from model.data.celeba import ATTRIBUTES_NAME, CELEBA_ATTRIBUTES

CELEBA_WIDTH, CELEBA_HEIGHT = 178, 218
IMAGES_FOLDER = "img_align_celeba"


@dataclass(frozen=True)
class CelebaFixture:
    """What `write_celeba_fixture` wrote under `root`.

    `folder` holds the JPGs; `zip_path` the same files under an img_align_celeba/ prefix (when
    asked for); `attributes` the -1/1 rows of list_attr_celeba.txt for `names`, in order.
    """

    root: Path
    folder: Path
    names: list[str]
    attributes: np.ndarray
    attributes_file: Path | None
    zip_path: Path | None
    corrupt: list[str]
    grayscale: list[str]

    @property
    def source(self) -> Path:
        """The zip when one was written, else the folder."""
        return self.zip_path or self.folder

    @property
    def good(self) -> list[str]:
        """Names of the usable images, in order."""
        bad = set(self.corrupt) | set(self.grayscale)
        return [name for name in self.names if name not in bad]


def celeba_name(index: int) -> str:
    """CelebA's file name for the image at 0-based `index`: 0 -> '000001.jpg'."""
    return f"{index + 1:06d}.jpg"


def face_like_image(
    index: int, size: tuple[int, int] = (CELEBA_WIDTH, CELEBA_HEIGHT)
) -> Image.Image:
    """A distinct RGB test picture for `index`: coloured gradient, marker square, red top band."""
    width, height = size
    rng = np.random.default_rng(index)
    base = rng.integers(40, 200, size=3)
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.empty((height, width, 3), dtype=np.float64)
    pixels[..., 0] = base[0] + 50 * xs / width
    pixels[..., 1] = base[1] + 50 * ys / height
    pixels[..., 2] = base[2]
    side = max(4, min(width, height) // 5)
    left = (index * 17) % max(1, width - side)
    top = height // 3 + (index * 11) % max(1, height // 2 - side)
    pixels[top : top + side, left : left + side] = 255 - base
    pixels[: min(40, height // 5)] = (230, 20, 20)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def write_truncated_jpg(path: Path, index: int = 0) -> None:
    """A JPG cut off halfway through: PIL opens it but cannot decode it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    face_like_image(index).save(path, quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_attribute_file(path: Path, names: Sequence[str], values: np.ndarray) -> None:
    """list_attr_celeba.txt in CelebA's layout: count, the 40 names, then `name -1  1 ...` rows."""
    lines = [str(len(names)), " ".join(CELEBA_ATTRIBUTES) + " "]
    lines += [name + "".join(f" {int(v):2d}" for v in row) for name, row in zip(names, values)]
    path.write_text("\n".join(lines) + "\n")


def write_celeba_fixture(
    root: Path,
    count: int,
    *,
    corrupt: Sequence[int] = (),
    grayscale: Sequence[int] = (),
    attributes: bool = True,
    zip_it: bool = False,
    seed: int = 0,
) -> CelebaFixture:
    """Write `count` CelebA-like JPGs to root/img_align_celeba and list_attr_celeba.txt to root.

    `corrupt` and `grayscale` are 0-based indices of images written truncated or in mode L;
    `zip_it` also writes root/img_align_celeba.zip with the files under an img_align_celeba/
    prefix. Attribute values are random -1/1 from `seed`.
    """
    folder = Path(root) / IMAGES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = [celeba_name(i) for i in range(count)]
    for i, name in enumerate(names):
        if i in corrupt:
            write_truncated_jpg(folder / name, i)
        elif i in grayscale:
            face_like_image(i).convert("L").save(folder / name, quality=95)
        else:
            face_like_image(i).save(folder / name, quality=95)
    values = np.random.default_rng(seed).choice([-1, 1], size=(count, len(CELEBA_ATTRIBUTES)))
    attributes_file = None
    if attributes:
        attributes_file = Path(root) / ATTRIBUTES_NAME
        write_attribute_file(attributes_file, names, values)
    zip_path = None
    if zip_it:
        zip_path = Path(root) / f"{IMAGES_FOLDER}.zip"
        with zipfile.ZipFile(zip_path, "w") as archive:
            archive.writestr(f"{IMAGES_FOLDER}/", "")
            for name in names:
                archive.write(folder / name, f"{IMAGES_FOLDER}/{name}")
    return CelebaFixture(
        root=Path(root),
        folder=folder,
        names=names,
        attributes=values,
        attributes_file=attributes_file,
        zip_path=zip_path,
        corrupt=[names[i] for i in corrupt],
        grayscale=[names[i] for i in grayscale],
    )


def expected_pixels(
    path: Path, box: tuple[int, int, int, int] | None, size: int, mode: str = "RGB"
) -> np.ndarray:
    """What a builder should store for the file: crop `box` (None = centre square), LANCZOS."""
    with Image.open(path) as image:
        image = image.convert(mode) if image.mode != mode else image
        width, height = image.size
        if box is None:
            side = min(width, height)
            left, top = (width - side) // 2, (height - side) // 2
            box = (left, top, left + side, top + side)
        return np.asarray(image.crop(box).resize((size, size), Image.Resampling.LANCZOS))
