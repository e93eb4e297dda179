"""Image helpers for pages: the originals-above-reconstructions grid and PNG downloads."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

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


def download_png(image: np.ndarray, file_name: str, label: str = "Download PNG") -> None:
    """A download button for an image; the PNG is encoded only on click (it costs far more
    than a whole slider move may)."""
    st.download_button(label, lambda: png_bytes(image), file_name, "image/png")


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()
