"""Image helpers for pages: grids of faces above their counterparts, and PNG downloads."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from model.grid import image_grid

RECONSTRUCTION_SEEDS = (33, 44)  # the studies' fixed picks, 7 images each
PER_ROW = 7


def reconstruction_picks(rows: range, seeds: tuple[int, ...] = RECONSTRUCTION_SEEDS) -> np.ndarray:
    """Image rows to show: 7 per seed, drawn without replacement from `rows`, in seed order."""
    count = min(PER_ROW, len(rows))
    return np.concatenate(
        [np.sort(np.random.default_rng(seed).choice(np.asarray(rows), count, replace=False))
         for seed in seeds]
    )  # fmt: skip


def originals_over_reconstructions(
    originals: np.ndarray, reconstructions: np.ndarray
) -> np.ndarray:
    """One grid: each row of originals directly above its row of reconstructions."""
    rows = []
    for start in range(0, len(originals), PER_ROW):
        rows += [originals[start : start + PER_ROW], reconstructions[start : start + PER_ROW]]
    return image_grid(np.concatenate(rows), columns=PER_ROW)


def faces_over_nearest(
    faces: np.ndarray, nearest: np.ndarray, labels: list[str], columns: int, first: int = 1
) -> np.ndarray:
    """One grid: each row of faces above a row of their nearest training images; under each
    face its number (counted from `first`), under each nearest image its label (the distance)."""
    if not len(faces) == len(nearest) == len(labels):
        raise ValueError(f"{len(faces)} faces, {len(nearest)} nearest images, {len(labels)} labels")
    numbers = [f"#{i}" for i in range(first, first + len(faces))]
    faces, nearest = _with_captions(faces, numbers), _with_captions(nearest, labels)
    rows = []
    for start in range(0, len(faces), columns):
        rows += [faces[start : start + columns], nearest[start : start + columns]]
    return image_grid(np.concatenate(rows), columns=min(columns, len(faces)))


def captioned_grid(images: np.ndarray, captions: list[str], columns: int) -> np.ndarray:
    """One grid of images, each with its caption (or none, for "") written under it."""
    return image_grid(_with_captions(images, captions), columns)


def _with_captions(images: np.ndarray, captions: list[str]) -> np.ndarray:
    """Each image over a white band holding its caption, centred."""
    height, width = images.shape[1:3]
    font = ImageFont.load_default(size=max(8, height // 5))
    band = int(font.size * 1.4)
    out = np.full((len(images), height + band, width, 3), 255, np.uint8)
    out[:, :height] = images
    for image, caption in zip(out, captions):
        if caption:
            canvas = Image.fromarray(image)
            ImageDraw.Draw(canvas).text((width / 2, height + band / 2), caption, fill=(40, 40, 40),
                                        font=font, anchor="mm")  # fmt: skip
            image[...] = np.asarray(canvas)
    return out


def download_png(image: np.ndarray, file_name: str, label: str = "Download PNG") -> None:
    """A download button for an image; the PNG is encoded only on click (it costs far more
    than a whole slider move may)."""
    st.download_button(label, lambda: png_bytes(image), file_name, "image/png")


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()
