"""Listing, opening, checking, converting and cropping image files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.data.image_files import (
    ImageEntry,
    ImageProblem,
    ImageSource,
    Recipe,
    centre_square,
    crop_and_resize,
    decode_image,
    ingest,
    list_folder_images,
    list_zip_images,
    open_source,
    prepare_image,
    summarize,
    to_rgb,
)
from tests.support import face_like_image, write_truncated_jpg


def _encode(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def _touch_image(path: Path, size: tuple[int, int] = (8, 8)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    face_like_image(0, size).save(path)


def test_list_folder_images_is_recursive_sorted_case_insensitive_and_skips_hidden(tmp_path):
    for relative in ["b.PNG", "a/z.jpg", "a/b/c.jpeg", "A.JPG", "notes.txt", ".hidden.jpg"]:
        if relative.endswith(".txt"):
            (tmp_path / relative).write_text("not an image")
        else:
            _touch_image(tmp_path / relative)
    _touch_image(tmp_path / ".cache" / "x.jpg")
    names = [e.name for e in list_folder_images(tmp_path)]
    assert names == ["A.JPG", "a/b/c.jpeg", "a/z.jpg", "b.PNG"]
    assert [e.name for e in list_folder_images(tmp_path, recursive=False)] == ["A.JPG", "b.PNG"]


def test_list_zip_images_keeps_prefixes_and_drops_macos_junk(tmp_path):
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name in ["img/000002.jpg", "img/000001.jpg", "__MACOSX/img/._000001.jpg", "a.txt"]:
            handle.writestr(name, b"data")
    assert list_zip_images(archive) == [
        ImageEntry("img/000001.jpg", "img/000001.jpg"),
        ImageEntry("img/000002.jpg", "img/000002.jpg"),
    ]


def test_open_source_names_missing_and_wrong_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        open_source(tmp_path / "nowhere")
    text = tmp_path / "file.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="file.txt is neither a folder nor a zip"):
        open_source(text)
    assert open_source(tmp_path) == ImageSource(tmp_path, is_zip=False)


def test_decode_image_rejects_empty_garbage_and_truncated_files(tmp_path):
    with pytest.raises(ImageProblem, match="empty file"):
        decode_image(b"")
    with pytest.raises(ImageProblem, match="not a readable JPG or PNG"):
        decode_image(b"certainly not an image")
    write_truncated_jpg(tmp_path / "cut.jpg")
    with pytest.raises(ImageProblem, match="truncated"):
        decode_image((tmp_path / "cut.jpg").read_bytes())


def test_to_rgb_converts_and_says_how():
    gray = Image.new("L", (4, 4), 100)
    rgb, reason = to_rgb(gray)
    assert rgb.mode == "RGB" and np.all(np.asarray(rgb) == 100)
    assert reason == "grayscale (L) converted to RGB"
    clear = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    rgb, reason = to_rgb(clear)
    assert np.all(np.asarray(rgb) == 255) and "composited over white" in reason
    wide = Image.fromarray(np.full((4, 4), 65535, dtype=np.uint16))
    rgb, reason = to_rgb(wide)
    assert np.all(np.asarray(rgb) == 255) and "16-bit" in reason
    same = Image.new("RGB", (4, 4))
    assert to_rgb(same) == (same, None)


def test_centre_square_and_crop_and_resize():
    assert centre_square(120, 80) == (20, 0, 100, 80)
    assert centre_square(80, 121) == (0, 20, 80, 100)
    image = face_like_image(3, (120, 80))
    pixels = crop_and_resize(image, (20, 0, 100, 80), 16)
    reference = image.crop((20, 0, 100, 80)).resize((16, 16), Image.Resampling.LANCZOS)
    assert pixels.dtype == np.uint8 and pixels.shape == (16, 16, 3)
    np.testing.assert_array_equal(pixels, np.asarray(reference))


def test_prepare_image_checks_size_and_mode_as_the_recipe_says():
    strict = Recipe(8, crop=(0, 40, 178, 218), required_size=(178, 218))
    with pytest.raises(ImageProblem, match="100 by 100 px, expected 178 by 218 px"):
        prepare_image(_encode(face_like_image(0, (100, 100))), strict)
    with pytest.raises(ImageProblem, match=r"grayscale \(L\) image, expected RGB"):
        prepare_image(_encode(Image.new("L", (178, 218))), strict)
    pixels, converted = prepare_image(_encode(face_like_image(0)), strict)
    assert pixels.shape == (8, 8, 3) and converted is None

    lenient = Recipe(16, convert_modes=True, min_side=16)
    with pytest.raises(ImageProblem, match="20 by 10 px is smaller than the 16 px target"):
        prepare_image(_encode(Image.new("RGB", (20, 10))), lenient)
    pixels, converted = prepare_image(_encode(Image.new("P", (20, 30))), lenient)
    assert pixels.shape == (16, 16, 3) and converted == "palette (P) converted to RGB"


def test_ingest_streams_in_order_records_skips_and_honours_the_limit(tmp_path):
    for i in range(7):
        face_like_image(i, (30, 30)).save(tmp_path / f"{i}.png")
    (tmp_path / "2.png").write_bytes(b"broken")
    entries = list_folder_images(tmp_path)
    batches: list[np.ndarray] = []
    done = ingest(
        ImageSource(tmp_path, False), entries, Recipe(10), batches.append, limit=4, workers=1
    )
    assert done.names == ["0.png", "1.png", "3.png", "4.png"]
    assert done.skipped == [{"file": "2.png", "reason": "not a readable JPG or PNG image"}]
    assert done.examined == 5
    assert np.concatenate(batches).shape == (4, 10, 10, 3)
    with pytest.raises(ValueError, match="limit"):
        ingest(ImageSource(tmp_path, False), entries, Recipe(10), batches.append, limit=0)


def test_summarize_shows_the_first_few():
    records = [{"file": f"{i}.jpg", "reason": "bad"} for i in range(5)]
    assert summarize(records, shown=2) == "0.jpg (bad); 1.jpg (bad) and 3 more"
    assert summarize(records[:1]) == "0.jpg (bad)"
