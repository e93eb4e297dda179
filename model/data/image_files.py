"""Image files for the data set builders: find them, open and check one, crop and resize it.

Both the CelebA and the folder source go through `ingest`, which loads files in order over a
pool of spawned worker processes and streams the usable images to a data set writer, so memory
stays flat however many files there are.
"""

from __future__ import annotations

import io
import logging
import math
import os
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from tqdm import tqdm

from model.parallel import ordered_map

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
# Largest number of images one worker task handles; small sources get smaller chunks.
MAX_CHUNK = 64
# Largest source image (width x height) decoded: a 40-megapixel photo is 120 MB decoded, in each
# worker process; larger files are skipped with the reason, below Pillow's own bomb limit.
MAX_SOURCE_PIXELS = 40_000_000

_MODE_NAMES = {
    "1": "black-and-white",
    "L": "grayscale",
    "LA": "grayscale with alpha",
    "P": "palette",
    "PA": "palette with alpha",
    "RGBA": "RGBA",
    "CMYK": "CMYK",
    "I": "32-bit grayscale",
    "I;16": "16-bit grayscale",
    "I;16B": "16-bit grayscale",
    "I;16L": "16-bit grayscale",
    "F": "floating-point grayscale",
}
_WIDE_GRAY_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")
# Reading a file or zip member: missing, unreadable, damaged (CRC, deflate), encrypted or
# compressed with a method Python cannot decode (RuntimeError covers NotImplementedError).
_READ_ERRORS = (OSError, EOFError, KeyError, RuntimeError, zipfile.BadZipFile, zlib.error)


class ImageProblem(ValueError):
    """A file that cannot be used as an image; the message is the reason recorded for it."""


class ImageEntry(NamedTuple):
    """One image file: `key` says where to read it, `name` how reports name it."""

    key: str
    name: str


@dataclass(frozen=True)
class ImageSource:
    """A folder of image files, or a zip archive of them."""

    path: Path
    is_zip: bool


@dataclass(frozen=True)
class Recipe:
    """How one image file becomes a stored (image_size, image_size, 3) uint8 image."""

    image_size: int
    crop: tuple[int, int, int, int] | None = None  # fixed box; None = centre square
    required_size: tuple[int, int] | None = None  # (width, height) every file must have
    convert_modes: bool = False  # convert non-RGB images to RGB; otherwise skip them
    min_side: int = 0  # skip images whose short side is below this
    exif_transpose: bool = False  # apply the EXIF orientation tag first


@dataclass(frozen=True)
class Outcome:
    """What became of one file: its pixels, or why it was skipped."""

    name: str
    pixels: np.ndarray | None
    skipped: str | None = None
    converted: str | None = None


@dataclass
class Ingested:
    """What `ingest` did: the files used, in data set order, and those skipped or converted."""

    names: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    converted: list[dict[str, str]] = field(default_factory=list)
    examined: int = 0

    def record(self, outcomes: Sequence[Outcome], room: int | None) -> list[np.ndarray]:
        """Account for `outcomes` until `room` more images are used (None = all); their pixels."""
        used = []
        for outcome in outcomes:
            if room is not None and len(used) >= room:
                break
            self.examined += 1
            if outcome.pixels is None:
                self.skipped.append({"file": outcome.name, "reason": str(outcome.skipped)})
                continue
            if outcome.converted is not None:
                self.converted.append({"file": outcome.name, "reason": outcome.converted})
            self.names.append(outcome.name)
            used.append(outcome.pixels)
        return used


def open_source(path: Path) -> ImageSource:
    """The folder or zip archive at `path`, checked to exist and be readable."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"image source {path} does not exist")
    if path.is_dir():
        return ImageSource(path, is_zip=False)
    if not zipfile.is_zipfile(path):
        raise ValueError(f"image source {path} is neither a folder nor a zip archive")
    return ImageSource(path, is_zip=True)


def is_image_name(name: str) -> bool:
    """True for a visible file named *.jpg, *.jpeg or *.png in any case."""
    return not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)


def list_folder_images(folder: Path, recursive: bool = True) -> list[ImageEntry]:
    """Image files under `folder` (hidden files and folders left out), sorted by relative path."""
    folder = Path(folder)
    found: list[PurePosixPath] = []
    for directory, subdirectories, files in os.walk(folder):
        if not recursive:
            subdirectories.clear()
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        relative = PurePosixPath(Path(directory).relative_to(folder).as_posix())
        found.extend(relative / name for name in files if is_image_name(name))
    found.sort(key=lambda p: p.parts)
    return [ImageEntry(str(p), str(p)) for p in found]


def list_zip_images(archive: Path) -> list[ImageEntry]:
    """Image members of a zip archive (hidden and __MACOSX entries left out), sorted by path."""
    try:
        with zipfile.ZipFile(archive) as handle:
            members = [info.filename for info in handle.infolist() if not info.is_dir()]
    except (OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"cannot read zip archive {archive}: {error}") from error
    found = []
    for member in members:
        path = PurePosixPath(member)
        hidden = any(part.startswith(".") or part == "__MACOSX" for part in path.parts[:-1])
        if not hidden and is_image_name(path.name):
            found.append(path)
    found.sort(key=lambda p: p.parts)
    return [ImageEntry(str(p), str(p)) for p in found]


def describe_mode(mode: str) -> str:
    """A readable name for a PIL image mode, e.g. 'grayscale (L)'."""
    return f"{_MODE_NAMES.get(mode, mode)} ({mode})"


def decode_image(data: bytes) -> Image.Image:
    """Open and fully decode image bytes; ImageProblem says why they are unusable."""
    if not data:
        raise ImageProblem("empty file")
    try:
        with warnings.catch_warnings():  # the size is checked below, against our own limit
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > MAX_SOURCE_PIXELS:
            raise ImageProblem(_too_large(width, height))
        image.load()
    except Image.DecompressionBombError as error:
        raise ImageProblem(f"larger than zspace decodes ({error})") from error
    except UnidentifiedImageError as error:
        raise ImageProblem("not a readable JPG or PNG image") from error
    except ImageProblem:
        raise
    except Exception as error:  # any decoder failure means the file is unusable
        raise ImageProblem(f"corrupt or truncated ({type(error).__name__}: {error})") from error
    return image


def _too_large(width: int, height: int) -> str:
    return (
        f"{width} by {height} px is {width * height / 1e6:.0f} megapixels, more than the "
        f"{MAX_SOURCE_PIXELS / 1e6:.0f} zspace decodes"
    )


def to_rgb(image: Image.Image) -> tuple[Image.Image, str | None]:
    """The image in RGB mode and how it was converted (None when it already was RGB).

    Transparent images are composited over white; 16-bit grayscale is scaled to 8 bits.
    """
    mode = image.mode
    if mode == "RGB":
        return image, None
    if mode == "F":
        raise ImageProblem(f"{describe_mode(mode)} images are not supported")
    if mode in _WIDE_GRAY_MODES:
        gray = np.clip(np.asarray(image, dtype=np.float64) / 257.0, 0, 255).round()
        rgb = Image.fromarray(gray.astype(np.uint8), "L").convert("RGB")
        return rgb, f"{describe_mode(mode)} scaled to 8 bits and converted to RGB"
    if mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
        return rgb, f"{describe_mode(mode)} composited over white"
    return image.convert("RGB"), f"{describe_mode(mode)} converted to RGB"


def centre_square(width: int, height: int) -> tuple[int, int, int, int]:
    """The largest centred square box (left, top, right, bottom) inside width x height."""
    side = min(width, height)
    left = (width - side) // 2
    top = (height - side) // 2
    return (left, top, left + side, top + side)


def crop_and_resize(image: Image.Image, box: tuple[int, int, int, int], size: int) -> np.ndarray:
    """Crop `box` out of an RGB image and resize it to size x size with LANCZOS."""
    resized = image.crop(box).resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8)


def prepare_image(data: bytes, recipe: Recipe) -> tuple[np.ndarray, str | None]:
    """Pixels of one image file made by `recipe`, and the conversion applied if any.

    Raises ImageProblem with the reason when the file is not usable.
    """
    image = decode_image(data)
    if recipe.exif_transpose:
        image = ImageOps.exif_transpose(image)
    width, height = image.size
    if recipe.required_size is not None and image.size != recipe.required_size:
        expected_width, expected_height = recipe.required_size
        raise ImageProblem(
            f"{width} by {height} px, expected {expected_width} by {expected_height} px "
            "(the crop box assumes it)"
        )
    if min(width, height) < recipe.min_side:
        raise ImageProblem(
            f"{width} by {height} px is smaller than the {recipe.min_side} px target"
        )
    converted = None
    if recipe.convert_modes:
        image, converted = to_rgb(image)
    elif image.mode != "RGB":
        raise ImageProblem(f"{describe_mode(image.mode)} image, expected RGB")
    box = recipe.crop if recipe.crop is not None else centre_square(width, height)
    return crop_and_resize(image, box, recipe.image_size), converted


class _Reader:
    """Reads file bytes from an ImageSource; a zip archive is opened once per reader."""

    def __init__(self, source: ImageSource) -> None:
        self.source = source
        self._zip = zipfile.ZipFile(source.path) if source.is_zip else None

    def read(self, key: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(key)
        return (self.source.path / key).read_bytes()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def load_entries(reader: _Reader, entries: Sequence[ImageEntry], recipe: Recipe) -> list[Outcome]:
    """Load and check each entry; a file that cannot be used becomes a skipped Outcome."""
    outcomes = []
    for entry in entries:
        try:
            data = reader.read(entry.key)
        except _READ_ERRORS as error:
            reason = f"cannot read the file ({type(error).__name__}: {error})"
            outcomes.append(Outcome(entry.name, None, skipped=reason))
            continue
        try:
            pixels, converted = prepare_image(data, recipe)
        except ImageProblem as problem:
            outcomes.append(Outcome(entry.name, None, skipped=str(problem)))
            continue
        outcomes.append(Outcome(entry.name, pixels, converted=converted))
    return outcomes


# Readers of a worker process, opened on first use (each worker opens the zip itself).
_WORKER_READERS: dict[ImageSource, _Reader] = {}


def _load_chunk(task: tuple[ImageSource, Recipe, list[ImageEntry]]) -> list[Outcome]:
    source, recipe, entries = task
    if source not in _WORKER_READERS:
        _WORKER_READERS[source] = _Reader(source)
    return load_entries(_WORKER_READERS[source], entries, recipe)


def _chunks(entries: Sequence[ImageEntry], size: int) -> Iterator[list[ImageEntry]]:
    for start in range(0, len(entries), size):
        yield list(entries[start : start + size])


def _outcome_stream(
    source: ImageSource, entries: Sequence[ImageEntry], recipe: Recipe, workers: int, wanted: int
) -> Iterator[list[Outcome]]:
    size = max(1, min(MAX_CHUNK, math.ceil(wanted / (4 * workers))))
    if workers == 1:
        reader = _Reader(source)
        try:
            for chunk in _chunks(entries, size):
                yield load_entries(reader, chunk, recipe)
        finally:
            reader.close()
        return
    tasks = ((source, recipe, chunk) for chunk in _chunks(entries, size))
    yield from ordered_map(_load_chunk, tasks, workers)


def ingest_in_memory(workers: int | None) -> int:
    """Stored images `ingest` holds at once, at most: a window of two chunks per worker in
    this process, and the chunk each worker is making."""
    return 3 * ((os.cpu_count() or 1) if workers is None else max(1, workers)) * MAX_CHUNK


def ingest(
    source: ImageSource,
    entries: Sequence[ImageEntry],
    recipe: Recipe,
    add_images: Callable[[np.ndarray], None],
    *,
    limit: int | None = None,
    workers: int | None = None,
    progress: bool = True,
    description: str = "images",
) -> Ingested:
    """Load `entries` in order and pass the usable images to `add_images` in batches.

    Stops once `limit` images are used (None = all); skipped and converted files before that
    point are recorded with their reasons.
    """
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    wanted = len(entries) if limit is None else min(limit, len(entries))
    result = Ingested()
    stream = _outcome_stream(source, entries, recipe, workers, wanted)
    bar = tqdm(total=wanted, unit="img", desc=description, disable=not progress)
    try:
        for outcomes in stream:
            examined, skipped = result.examined, len(result.skipped)
            used = result.record(outcomes, None if limit is None else limit - len(result.names))
            if used:
                add_images(np.stack(used))
            if limit is not None:  # each skip means one more file to read
                bar.total = min(len(entries), bar.total + len(result.skipped) - skipped)
            bar.update(result.examined - examined)
            if limit is not None and len(result.names) >= limit:
                break
    finally:
        bar.close()
        stream.close()
    return result


def summarize(records: Sequence[dict[str, str]], shown: int = 3) -> str:
    """'a.jpg (reason); b.jpg (reason) and 4 more' for skipped or converted records."""
    head = "; ".join(f"{r['file']} ({r['reason']})" for r in records[:shown])
    rest = len(records) - shown
    return f"{head} and {rest} more" if rest > 0 else head


def report_ingested(log: logging.Logger, source: Path, done: Ingested) -> int:
    """Log the skipped and converted files; return the number of usable images.

    ValueError when none is usable, naming the source and the first reasons.
    """
    if not done.names:
        raise ValueError(f"no usable images in {source}: {summarize(done.skipped)}")
    if done.skipped:
        log.warning(
            "skipped %d of %d files in %s: %s (all listed in dataset.json 'skipped')",
            len(done.skipped), done.examined, source, summarize(done.skipped),
        )  # fmt: skip
    if done.converted:
        log.info(
            "converted %d of %d files in %s to RGB: %s (all listed in dataset.json 'converted')",
            len(done.converted), done.examined, source, summarize(done.converted),
        )  # fmt: skip
    return len(done.names)
