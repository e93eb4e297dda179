import numpy as np
import pytest
from PIL import Image

from model.grid import image_grid, save_png


def test_tiles_are_placed_row_major_with_padding():
    images = np.stack([np.full((4, 5, 3), 10 * (i + 1), np.uint8) for i in range(5)])
    grid = image_grid(images, columns=3, padding=2, background=255)
    assert grid.shape == (2 * (4 + 2) + 2, 3 * (5 + 2) + 2, 3)
    assert grid[2, 2, 0] == 10 and grid[2, 2 + 7, 0] == 20 and grid[2 + 6, 2 + 7, 0] == 50
    assert grid[0, 0, 0] == 255 and grid[2 + 6, 2 + 14, 0] == 255  # padding, empty last tile


def test_grid_checks_its_input_and_saves_png(tmp_path):
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        image_grid(np.zeros((4, 4, 3), np.uint8), 2)
    grid = image_grid(np.zeros((2, 3, 3, 3), np.uint8), columns=8, padding=0)
    assert grid.shape == (3, 6, 3)
    save_png(grid, tmp_path / "g.png")
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "g.png")), grid)
