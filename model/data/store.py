"""On-disk data set format: one uint8 image array, an attribute table and dataset.json.

A data set directory holds
- `images.npy`: uint8 array (N, H, W, 3), rows in data set order (train rows first, then test);
- `attributes.csv`: optional, one row per image (`index` column, then one column per attribute);
- `dataset.json`: source, image size, counts, split, attribute names, crop, skipped files and
  the sha256 of the image rows.

Directories are built under a temporary name and renamed when complete, so a crash never
leaves a half-written data set behind.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.commands import command, older_format
from model.files import (
    atomic_directory,
    finish_swap,
    read_json,
    remove_temporaries,
    write_json,
)
from model.links import check_no_links
from model.locks import lock_beside
from model.names import check_name
from model.npy_stream import NpyStreamWriter

SCHEMA_VERSION = 2  # 1: before images_sha256 was required (model.pipeline.upgrade)
IMAGES_FILE = "images.npy"
ATTRIBUTES_FILE = "attributes.csv"
INFO_FILE = "dataset.json"
SPLITS = ("train", "test")


@dataclass(frozen=True)
class AttributeTable:
    """Per-image attributes: `values[i, j]` is attribute `names[j]` of image i.

    Binary attributes (the names in `binary`) are 0/1; the others are continuous factors.
    """

    names: tuple[str, ...]
    values: np.ndarray
    binary: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[1] != len(self.names):
            raise ValueError(
                f"attribute values have shape {self.values.shape}, expected (N, {len(self.names)})"
            )
        unknown = set(self.binary) - set(self.names)
        if unknown:
            raise ValueError(f"binary attributes {sorted(unknown)} are not among the names")

    def column(self, name: str) -> np.ndarray:
        if name not in self.names:
            raise KeyError(f"no attribute {name!r}; known: {', '.join(self.names)}")
        return self.values[:, self.names.index(name)]

    def save(self, path: Path) -> None:
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["index", *self.names])
            binary = [name in self.binary for name in self.names]
            for i, row in enumerate(self.values):
                writer.writerow([i, *(int(v) if b else f"{v:.6g}" for v, b in zip(row, binary))])

    @classmethod
    def load(cls, path: Path, binary: Sequence[str]) -> AttributeTable:
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
        if not rows or rows[0][:1] != ["index"]:
            raise ValueError(f"{path}: the first column must be 'index'")
        names = tuple(rows[0][1:])
        try:
            values = np.array([[float(v) for v in row[1:]] for row in rows[1:]], dtype=np.float32)
        except ValueError as error:
            raise ValueError(f"{path}: non-numeric attribute value ({error})") from error
        return cls(names, values.reshape(len(rows) - 1, len(names)), tuple(binary))


@dataclass(frozen=True)
class DatasetInfo:
    """Everything dataset.json records about a data set."""

    source: dict[str, Any]
    image_size: int
    count: int
    split: dict[str, list[int]]
    binary_attributes: list[str] = field(default_factory=list)
    continuous_attributes: list[str] = field(default_factory=list)
    crop: list[int] | None = None
    skipped: list[dict[str, str]] = field(default_factory=list)
    converted: list[dict[str, str]] = field(default_factory=list)
    created: str = ""
    images_sha256: str = ""  # of the image rows, as they are in images.npy
    schema_version: int = SCHEMA_VERSION

    def split_range(self, split: str) -> range:
        if split == "all":
            return range(self.count)
        if split not in self.split:
            raise ValueError(f"unknown split {split!r}; expected one of {[*SPLITS, 'all']}")
        start, stop = self.split[split]
        return range(start, stop)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> DatasetInfo:
        missing = {"source", "image_size", "count", "split"} - set(data)
        if missing:
            raise ValueError(f"{where}: missing keys {sorted(missing)}")
        if data.get("schema_version") != SCHEMA_VERSION:
            version, root = data.get("schema_version"), Path(where).parents[2]
            raise ValueError(older_format(where, version, SCHEMA_VERSION, root))
        known = set(cls.__dataclass_fields__)
        info = cls(**{k: v for k, v in data.items() if k in known})
        problem = info._problem()
        if problem is not None:
            raise ValueError(f"{where}: {problem}")
        return info

    def _problem(self) -> str | None:
        """What makes this record impossible (sizes, split), or None."""
        for name, value in (("count", self.count), ("image_size", self.image_size)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10**9:
                return f"{name} {value!r} is not a whole number from 1 to 10^9"
        if not isinstance(self.split, dict) or set(self.split) != set(SPLITS):
            return f"split {self.split!r} does not give {' and '.join(SPLITS)}"
        for name, span in self.split.items():
            if not (isinstance(span, list) and len(span) == 2
                    and all(isinstance(v, int) and not isinstance(v, bool) for v in span)
                    and 0 <= span[0] <= span[1] <= self.count):  # fmt: skip
                return f"split {name} {span!r} is not a [start, stop) within {self.count} images"
        if not isinstance(self.source, dict):
            return f"source {self.source!r} is not a JSON object"
        return None


def make_split(count: int, n_train: int, n_test: int) -> dict[str, list[int]]:
    """Train = the first `n_train` rows, test = the `n_test` rows after them."""
    if n_train < 0 or n_test < 0 or n_train + n_test != count:
        raise ValueError(f"split train {n_train} + test {n_test} must equal the {count} images")
    return {"train": [0, n_train], "test": [n_train, n_train + n_test]}


class DatasetWriter:
    """Builds a data set directory: stream images in, then `finish` with the metadata."""

    def __init__(self, directory: Path, image_size: int) -> None:
        self.directory = directory
        self.image_size = image_size
        self._images = NpyStreamWriter(
            directory / IMAGES_FILE, (image_size, image_size, 3), np.uint8
        )
        self._finished = False

    @property
    def count(self) -> int:
        return self._images.count

    def add_images(self, images: np.ndarray) -> None:
        self._images.append(images)

    def finish(
        self,
        source: dict[str, Any],
        split: dict[str, list[int]],
        attributes: AttributeTable | None = None,
        crop: Sequence[int] | None = None,
        skipped: Sequence[dict[str, str]] = (),
        converted: Sequence[dict[str, str]] = (),
    ) -> DatasetInfo:
        self._images.close()
        if self.count == 0:
            raise ValueError(f"no usable images for {self.directory.name}; nothing was written")
        if attributes is not None:
            if len(attributes.values) != self.count:
                raise ValueError(
                    f"attribute table has {len(attributes.values)} rows for {self.count} images"
                )
            attributes.save(self.directory / ATTRIBUTES_FILE)
        binary = list(attributes.binary) if attributes else []
        info = DatasetInfo(
            source=source,
            image_size=self.image_size,
            count=self.count,
            split=split,
            binary_attributes=binary,
            continuous_attributes=[n for n in attributes.names if n not in binary]
            if attributes
            else [],
            crop=list(crop) if crop is not None else None,
            skipped=list(skipped),
            converted=list(converted),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            images_sha256=self._images.rows_sha256,
        )
        write_json(self.directory / INFO_FILE, info.to_dict())
        self._finished = True
        return info


@contextlib.contextmanager
def create_dataset(path: Path, image_size: int, overwrite: bool = False) -> Iterator[DatasetWriter]:
    """Write a data set at `path`; it appears only if the block succeeds and calls `finish`.

    The data set's lock is held throughout (one writer per data set), and what an earlier,
    killed build left half done is cleared first.
    """
    path = Path(path)
    check_name("data set", path.name)
    if image_size <= 0:
        raise ValueError(f"image size must be positive, got {image_size}")
    with lock_beside(path, f"data set {path.name}"):
        _tidy(path)
        with atomic_directory(path, overwrite=overwrite) as tmp:
            writer = DatasetWriter(tmp, image_size)
            try:
                yield writer
            finally:
                writer._images.abort()
            if not writer._finished:
                raise RuntimeError("create_dataset block ended without calling finish()")


def tidy_dataset(path: Path) -> None:
    """Clear what a killed build of the data set at `path` left beside it: a swap stopped
    halfway is undone, its temporaries removed (under the data set's lock)."""
    path = Path(path)
    if path.parent.is_dir():
        with lock_beside(path, f"data set {path.name}"):
            _tidy(path)


def _tidy(path: Path) -> None:
    check_no_links(path, f"data set {path.name}")
    finish_swap(path)
    remove_temporaries(path.parent, path.name)


def info_identity(info: DatasetInfo) -> str:
    """`Dataset.identity` of the data set that `info` describes."""
    content = {"images": info.images_sha256, "split": info.split, "size": info.image_size}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class Dataset:
    """A data set on disk, validated on open.

    `images` is a read-only memory map for random access to a few images. Bulk reads go
    through `read`/`take`, which use positioned file reads: pages of a memory map count in the
    process's resident memory, file reads only in the OS page cache, so streaming all images
    keeps memory flat however large N is.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        check_no_links(self.path, f"data set {self.path.name}")
        info_path = self.path / INFO_FILE
        if not info_path.is_file():
            raise FileNotFoundError(
                f"{info_path} not found: {self.path} is not a data set "
                f"(make one with `{command('prepare_data')}`)"
            )
        self.info = DatasetInfo.from_dict(read_json(info_path), str(info_path))
        images_path = self.path / IMAGES_FILE
        if not images_path.is_file():
            raise FileNotFoundError(f"{images_path} is missing; rebuild the data set")
        try:
            self.images = np.load(images_path, mmap_mode="r")
        except ValueError as error:
            raise ValueError(f"{images_path} is not a readable .npy array: {error}") from error
        expected = (self.info.count, self.info.image_size, self.info.image_size, 3)
        if self.images.shape != expected or self.images.dtype != np.uint8:
            raise ValueError(
                f"{images_path} holds {self.images.dtype} {self.images.shape}, "
                f"dataset.json says uint8 {expected}"
            )
        self._offset = self.images.offset
        self._row_bytes = int(np.prod(expected[1:]))
        self._fd = os.open(images_path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.info.count

    def identity(self) -> str:
        """What a run is trained on: the data set's images, split and image size, whatever the
        build's time or source path. A byte-identical rebuild, or the same `prepare_data`
        command on another machine, has the same identity; runs record it."""
        return info_identity(self.info)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    @property
    def shape(self) -> tuple[int, int, int]:
        size = self.info.image_size
        return (size, size, 3)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Images [start, stop) as a fresh uint8 array."""
        if not 0 <= start <= stop <= len(self):
            raise IndexError(f"rows [{start}, {stop}) outside 0..{len(self)}")
        n_bytes = (stop - start) * self._row_bytes
        buffer = os.pread(self._fd, n_bytes, self._offset + start * self._row_bytes)
        return np.frombuffer(buffer, dtype=np.uint8).reshape(stop - start, *self.shape).copy()

    def take(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Images at arbitrary rows, in the order given."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty((len(indices), *self.shape), dtype=np.uint8)
        for i, row in enumerate(indices):
            out[i] = self.read(int(row), int(row) + 1)[0]
        return out

    def attributes(self) -> AttributeTable | None:
        path = self.path / ATTRIBUTES_FILE
        if not path.is_file():
            return None
        table = AttributeTable.load(path, self.info.binary_attributes)
        if len(table.values) != len(self):
            raise ValueError(f"{path} has {len(table.values)} rows for {len(self)} images")
        return table
