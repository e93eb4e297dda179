"""build_celeba on generated CelebA-shaped fixtures: rows, split, skips, attributes, failures."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np
import pytest

from model.data.celeba import (
    CELEBA_ATTRIBUTES,
    CELEBA_CROP,
    build_celeba,
    plan_split,
    read_celeba_attributes,
)
from model.data.store import Dataset, DatasetWriter
from tests.support import (
    CelebaFixture,
    expected_pixels,
    face_like_image,
    write_attribute_file,
    write_celeba_fixture,
)

SIZE = 16


@pytest.fixture(scope="module")
def celeba(tmp_path_factory) -> CelebaFixture:
    """12 images, #4 truncated and #7 grayscale, with attributes and a zip copy."""
    root = tmp_path_factory.mktemp("celeba")
    return write_celeba_fixture(root, 12, corrupt=[3], grayscale=[6], zip_it=True)


@pytest.fixture(scope="module")
def built(celeba, tmp_path_factory) -> Path:
    """The folder fixture built with 6 train + 3 test images, in process."""
    path = tmp_path_factory.mktemp("out") / "celeba"
    build_celeba(celeba.folder, path, image_size=SIZE, n_train=6, n_test=3, workers=1)
    return path


def _build(source: Path, path: Path, **kwargs) -> Dataset:
    kwargs = {"image_size": SIZE, "n_train": 6, "n_test": 3, "workers": 1, **kwargs}
    build_celeba(source, path, progress=False, **kwargs)
    return Dataset(path)


def test_keeps_the_first_usable_images_in_order_cropped_and_resized(celeba, built):
    data = Dataset(built)
    used = celeba.good[:9]
    assert used == [celeba.names[i] for i in (0, 1, 2, 4, 5, 7, 8, 9, 10)]
    assert data.images.shape == (9, SIZE, SIZE, 3)
    for row, name in enumerate(used):
        expected = expected_pixels(celeba.folder / name, (0, 40, 178, 218), SIZE)
        np.testing.assert_array_equal(data.images[row], expected, err_msg=name)


def test_records_split_crop_source_and_skips_with_reasons(celeba, built):
    info = Dataset(built).info
    assert info.split == {"train": [0, 6], "test": [6, 9]}
    assert info.crop == [0, 40, 178, 218] and list(CELEBA_CROP) == info.crop
    assert info.source["kind"] == "celeba"
    assert info.source["path"] == str(celeba.folder)
    assert info.source["attributes_file"] == str(celeba.attributes_file)
    assert [s["file"] for s in info.skipped] == ["000004.jpg", "000007.jpg"]
    assert "truncated" in info.skipped[0]["reason"]
    assert "grayscale (L) image, expected RGB" in info.skipped[1]["reason"]
    assert info.converted == []


def test_attributes_follow_the_kept_files_as_zero_one(celeba, built):
    data = Dataset(built)
    table = data.attributes()
    assert table is not None and table.names == CELEBA_ATTRIBUTES
    assert data.info.binary_attributes == list(CELEBA_ATTRIBUTES)
    rows = [celeba.names.index(name) for name in celeba.good[:9]]
    np.testing.assert_array_equal(table.values, (celeba.attributes[rows] + 1) // 2)


def test_zip_and_two_workers_give_identical_images(celeba, built, tmp_path):
    reference = (built / "images.npy").read_bytes()
    _build(celeba.zip_path, tmp_path / "zip", workers=2)
    assert (tmp_path / "zip" / "images.npy").read_bytes() == reference
    assert (tmp_path / "zip" / "attributes.csv").read_bytes() == (
        built / "attributes.csv"
    ).read_bytes()


def test_too_few_usable_images_shrink_test_then_train(celeba, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="model.data.celeba"):
        info = _build(celeba.folder, tmp_path / "a", n_train=8, n_test=5).info
    assert info.count == 10 and info.split == {"train": [0, 8], "test": [8, 10]}
    assert "using train 8, test 2" in caplog.text
    assert "skipped 2 of 12 files" in caplog.text
    info = _build(celeba.folder, tmp_path / "b", n_train=12, n_test=5).info
    assert info.split == {"train": [0, 10], "test": [10, 10]}
    assert plan_split(10, 12, 5) == (10, 0)


def test_finds_no_attribute_file_and_says_how_to_pass_one(tmp_path, caplog):
    fixture = write_celeba_fixture(tmp_path / "c", 3, attributes=False)
    with caplog.at_level(logging.WARNING, logger="model.data.celeba"):
        data = _build(fixture.folder, tmp_path / "out", n_train=2, n_test=1)
    assert data.attributes() is None and data.info.source["attributes_file"] is None
    assert "pass one with --attributes" in caplog.text


def test_missing_attribute_file_is_named(celeba, tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.txt"):
        _build(celeba.folder, tmp_path / "out", attributes_file=tmp_path / "nothere.txt")
    assert not (tmp_path / "out").exists()


def _broken_attribute_file(celeba: CelebaFixture, tmp_path: Path, how: str) -> Path:
    path = tmp_path / f"{how}.txt"
    write_attribute_file(path, celeba.names, celeba.attributes)
    lines = path.read_text().splitlines()
    if how == "count":
        lines[0] = "13"
    elif how == "missing_row":
        del lines[6]
        lines[0] = "11"
    elif how == "bad_value":
        lines[5] = lines[5].replace(" 1", " 2", 1).replace("-1", " 0", 1)
    elif how == "short_row":
        lines[4] = lines[4].rsplit(" ", 1)[0]
    elif how == "header":
        lines[1] = lines[1].replace("Smiling", "Smiles")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("count", r"line 1: says 13 images but the file has 12 rows"),
        ("missing_row", r"no attribute row for image 000005\.jpg"),
        ("bad_value", r"line 6: value '(2|0)' for 000004\.jpg, expected -1 or 1"),
        ("short_row", r"line 5: 39 values for 000003\.jpg, expected 40"),
        ("header", r"line 2: attribute 32 is 'Smiles', expected 'Smiling'"),
    ],
)
def test_mismatched_attribute_file_names_file_and_line(celeba, tmp_path, how, message):
    path = _broken_attribute_file(celeba, tmp_path, how)
    with pytest.raises(ValueError, match=f"{path.name}.*{message}"):
        _build(celeba.folder, tmp_path / "out", attributes_file=path)
    assert not (tmp_path / "out").exists()


def test_attribute_file_with_windows_line_endings_reads(celeba, tmp_path):
    path = tmp_path / "crlf.txt"
    write_attribute_file(path, celeba.names, celeba.attributes)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    parsed = read_celeba_attributes(path)
    np.testing.assert_array_equal(parsed.values, celeba.attributes)


def test_empty_missing_and_imageless_sources_are_named(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no .* files in .*empty"):
        _build(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="absent"):
        _build(tmp_path / "absent", tmp_path / "out")
    write_celeba_fixture(tmp_path / "nested", 2, attributes=False)
    with pytest.raises(ValueError, match="subfolders: img_align_celeba"):
        _build(tmp_path / "nested", tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "none.zip", "w") as archive:
        archive.writestr("readme.txt", "no images")
    with pytest.raises(ValueError, match="none.zip holds no"):
        _build(tmp_path / "none.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_wrong_size_and_rgba_images_are_skipped(tmp_path):
    fixture = write_celeba_fixture(tmp_path / "c", 4, attributes=False)
    face_like_image(1, (200, 200)).save(fixture.folder / fixture.names[1])
    face_like_image(2).convert("RGBA").save(fixture.folder / "000003.png")
    info = _build(fixture.folder, tmp_path / "out", n_train=2, n_test=1).info
    assert info.skipped == [
        {
            "file": "000002.jpg",
            "reason": "200 by 200 px, expected 178 by 218 px (the crop box assumes it)",
        },
        {"file": "000003.png", "reason": "RGBA (RGBA) image, expected RGB"},
    ]
    assert info.count == 3


def test_no_usable_images_is_an_error(tmp_path):
    fixture = write_celeba_fixture(tmp_path / "c", 2, corrupt=[0, 1], attributes=False)
    with pytest.raises(ValueError, match="no usable images in .*000001.jpg"):
        _build(fixture.folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bad_arguments_are_refused(celeba, tmp_path):
    with pytest.raises(ValueError, match="not square"):
        _build(celeba.folder, tmp_path / "out", crop=(0, 0, 178, 218))
    with pytest.raises(ValueError, match="does not fit"):
        _build(celeba.folder, tmp_path / "out", crop=(0, 50, 178, 228))
    with pytest.raises(ValueError, match="n_train"):
        _build(celeba.folder, tmp_path / "out", n_train=0)


def test_failures_leave_no_half_written_directory_and_keep_the_old_one(
    celeba, built, tmp_path, monkeypatch
):
    target = tmp_path / "data"
    _build(celeba.folder, target, n_train=2, n_test=1)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(FileExistsError, match="already exists"):
        _build(celeba.folder, target)

    calls = []

    def failing_add_images(self, images):
        calls.append(len(images))
        if len(calls) == 2:
            raise OSError("disk full (injected)")
        return original(self, images)

    original = DatasetWriter.add_images
    monkeypatch.setattr(DatasetWriter, "add_images", failing_add_images)
    with pytest.raises(OSError, match="injected"):
        _build(celeba.folder, target, overwrite=True)
    assert len(calls) == 2
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
