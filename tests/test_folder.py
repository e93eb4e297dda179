"""build_folder on a small tree of mixed JPG/PNG files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.data.folder import build_folder, default_test_count
from model.data.store import Dataset
from tests.support import expected_pixels, face_like_image, write_truncated_jpg

SIZE = 16


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """Nested folders: wide and tall RGB, grayscale, RGBA, palette, corrupt, too small, junk."""
    root = tmp_path_factory.mktemp("photos")
    (root / "b" / "deeper").mkdir(parents=True)
    face_like_image(0, (120, 80)).save(root / "a_wide.jpg", quality=95)
    face_like_image(1, (40, 90)).save(root / "b" / "tall.PNG")
    face_like_image(2, (30, 30)).convert("L").save(root / "b" / "deeper" / "gray.jpeg")
    rgba = face_like_image(3, (32, 32)).convert("RGBA")
    rgba.putalpha(Image.new("L", (32, 32), 0))
    rgba.save(root / "b" / "clear.png")
    face_like_image(4, (24, 24)).convert("P").save(root / "c_palette.png")
    write_truncated_jpg(root / "b" / "broken.jpg", 5)
    face_like_image(6, (10, 40)).save(root / "d_small.png")
    (root / "notes.txt").write_text("not an image")
    return root


@pytest.fixture(scope="module")
def built(tree, tmp_path_factory) -> Dataset:
    path = tmp_path_factory.mktemp("out") / "folder"
    build_folder(tree, path, image_size=SIZE, workers=1, progress=False)
    return Dataset(path)


USED = ["a_wide.jpg", "b/clear.png", "b/deeper/gray.jpeg", "b/tall.PNG", "c_palette.png"]


def test_uses_every_image_recursively_in_relative_path_order(built, tree):
    assert built.info.count == len(USED)
    assert built.info.source == {"kind": "folder", "path": str(tree), "files_found": 7}
    assert built.info.split == {"train": [0, 5], "test": [5, 5]}
    assert built.info.crop is None
    assert built.attributes() is None


def test_centre_crops_and_resizes_with_lanczos(tree, built):
    for row, name in enumerate(USED):
        if name != "b/clear.png":  # fully transparent: checked below
            expected = expected_pixels(tree / name, None, SIZE)
            np.testing.assert_array_equal(built.images[row], expected, err_msg=name)


def test_converts_grayscale_palette_and_rgba_and_records_why(built):
    assert built.info.converted == [
        {"file": "b/clear.png", "reason": "RGBA (RGBA) composited over white"},
        {"file": "b/deeper/gray.jpeg", "reason": "grayscale (L) converted to RGB"},
        {"file": "c_palette.png", "reason": "palette (P) converted to RGB"},
    ]
    assert np.all(built.images[1] == 255)  # fully transparent -> white
    gray = built.images[2].astype(int)
    assert np.all(gray[..., 0] == gray[..., 1]) and np.all(gray[..., 1] == gray[..., 2])


def test_skips_corrupt_and_too_small_files_with_reasons(built):
    skipped = {s["file"]: s["reason"] for s in built.info.skipped}
    assert set(skipped) == {"b/broken.jpg", "d_small.png"}
    assert "truncated" in skipped["b/broken.jpg"]
    assert skipped["d_small.png"] == "10 by 40 px is smaller than the 16 px target"


def test_two_workers_give_identical_images(tree, built, tmp_path):
    build_folder(tree, tmp_path / "two", image_size=SIZE, workers=2, progress=False)
    assert (tmp_path / "two" / "images.npy").read_bytes() == (
        built.path / "images.npy"
    ).read_bytes()


def test_test_split_defaults_to_ten_percent_and_shrinks_when_too_big(tmp_path, caplog):
    source = tmp_path / "src"
    source.mkdir()
    for i in range(23):
        face_like_image(i, (20, 20)).save(source / f"{i:02d}.png")
    info = build_folder(source, tmp_path / "ten", image_size=8, workers=1, progress=False)
    assert default_test_count(23) == 2 and info.split == {"train": [0, 21], "test": [21, 23]}
    with caplog.at_level(logging.WARNING, logger="model.data.folder"):
        info = build_folder(
            source, tmp_path / "big", image_size=8, n_test=50, workers=1, progress=False
        )
    assert info.split == {"train": [0, 1], "test": [1, 23]}
    assert "shrunk from 50 to 22" in caplog.text


def test_empty_or_missing_folder_is_named(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("hi")
    with pytest.raises(ValueError, match=r"no image files \(\.jpg, \.jpeg, \.png.*empty"):
        build_folder(tmp_path / "empty", tmp_path / "out", progress=False)
    with pytest.raises(FileNotFoundError, match="absent"):
        build_folder(tmp_path / "absent", tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_all_files_unusable_is_an_error_and_writes_nothing(tmp_path):
    (tmp_path / "src").mkdir()
    face_like_image(0, (10, 10)).save(tmp_path / "src" / "tiny.png")
    with pytest.raises(ValueError, match="no usable images.*tiny.png"):
        build_folder(tmp_path / "src", tmp_path / "out", image_size=32, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
