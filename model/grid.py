"""Tile images into one grid image and save PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from model.files import atomic_path

PADDING = 2  # px between and around the tiles (the browser's canvas lays faces out the same)


def image_grid(
    images: np.ndarray, columns: int, padding: int = PADDING, background: int = 255
) -> np.ndarray:
    """uint8 (N, H, W, 3) -> one uint8 image, row-major, `padding` px between and around tiles."""
    if images.ndim != 4 or images.shape[-1] != 3 or len(images) == 0:
        raise ValueError(f"images must be a non-empty (N, H, W, 3) array, got {images.shape}")
    if columns < 1 or padding < 0:
        raise ValueError(f"need columns >= 1 and padding >= 0, got {columns} and {padding}")
    count, height, width, _ = images.shape
    columns = min(columns, count)
    rows = -(-count // columns)
    grid = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, 3),
        background,
        dtype=np.uint8,
    )
    for i, image in enumerate(images):
        top = padding + (i // columns) * (height + padding)
        left = padding + (i % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def save_png(image: np.ndarray, path: Path) -> None:
    """Write a uint8 (H, W, 3) image as PNG; the file appears only when complete."""
    with atomic_path(Path(path)) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
