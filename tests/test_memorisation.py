"""The nearest training image of a generated face, in latent and pixel space, against brute
force; and the grid that shows each face above it."""

import numpy as np
import pytest

from app.images import faces_over_nearest
from model.analysis.density import LatentIndex, build_nearest_data, landing
from model.analysis.memorisation import nearest_training, training_index, training_pixel_index


def test_latent_search_covers_only_the_training_rows_and_reports_data_set_rows():
    rng = np.random.default_rng(0)
    latents = rng.normal(0, 1, (300, 5)).astype(np.float32)
    train = range(40, 260)
    queries = rng.normal(0, 1, (25, 5)).astype(np.float32)
    queries[0] = latents[10]  # a copy of a test image: not a training image
    queries[1] = latents[100]  # a copy of a training image
    found = nearest_training(queries, training_index(latents, train), "latent")
    distances = np.linalg.norm(queries[:, None] - latents[None, 40:260], axis=2)
    np.testing.assert_array_equal(found.rows, 40 + distances.argmin(axis=1))
    np.testing.assert_allclose(found.distances, distances.min(axis=1), rtol=1e-6)
    assert found.rows[1] == 100 and found.distances[1] == 0.0
    assert found.rows[0] != 10


def test_the_landing_search_s_neighbours_give_the_same_answer_with_one_search():
    rng = np.random.default_rng(2)
    latents = rng.normal(0, 1, (400, 4)).astype(np.float32)
    train = range(300)
    latents[300:312] = 5.0 + rng.normal(0, 0.01, (12, 4))  # 12 test rows in a tight cluster
    queries = rng.normal(0, 1, (30, 4)).astype(np.float32)
    queries[0] = 5.0  # its 8 nearest rows are all test rows: searched again among training rows
    everything = LatentIndex(latents)
    index = training_index(latents, train)
    landed = landing(queries, everything, build_nearest_data(latents, 50), neighbours=8)
    assert not np.isin(landed.neighbour_rows[0], train).any()
    candidates = (landed.neighbour_distances, landed.neighbour_rows)
    shared = nearest_training(queries, index, "latent", candidates)
    alone = nearest_training(queries, index, "latent")
    np.testing.assert_array_equal(shared.rows, alone.rows)
    np.testing.assert_allclose(shared.distances, alone.distances, rtol=1e-12)
    assert shared.rows.max() < 300


def test_pixel_search_finds_the_copied_image_by_brute_force():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (120, 8, 8, 3), dtype=np.uint8)
    train = range(100)
    noisy = np.clip(images[[7, 55]].astype(int) + rng.integers(-3, 4, (2, 8, 8, 3)), 0, 255)
    queries = np.concatenate([noisy, rng.integers(0, 256, (3, 8, 8, 3))]).astype(np.uint8)
    index = training_pixel_index(images, train)
    assert index.chunk_rows * 8 * 8 * 3 <= 1 << 22  # read in bounded chunks
    found = nearest_training(queries, index, "pixel")
    flat = images[:100].reshape(100, -1).astype(np.float64)
    rms = np.sqrt(np.square(queries.reshape(5, 1, -1) - flat[None]).mean(axis=2))
    np.testing.assert_array_equal(found.rows, rms.argmin(axis=1))
    np.testing.assert_allclose(found.distances, rms.min(axis=1), rtol=1e-9)
    assert found.rows[:2].tolist() == [7, 55] and found.distances[0] < 3


def test_bad_input_is_named():
    latents = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match="training rows range\\(5, 20\\)"):
        training_index(latents, range(5, 20))
    with pytest.raises(ValueError, match="must be uint8"):
        training_pixel_index(np.zeros((10, 4, 4, 3), np.float32), range(10))
    with pytest.raises(ValueError, match="space must be"):
        nearest_training(latents[:1], training_index(latents, range(10)), "pixels")


def test_each_face_sits_above_its_labelled_nearest_image():
    faces = np.zeros((5, 16, 16, 3), np.uint8)
    nearest = np.full((5, 16, 16, 3), 100, np.uint8)
    grid = faces_over_nearest(faces, nearest, [f"{d:.2f}" for d in range(5)], columns=3)
    band = grid.shape[0] // 4 - 16 - 2  # caption band under each tile
    assert band > 0
    tile = 16 + band + 2
    assert grid.shape[:2] == (4 * tile + 2, 3 * (16 + 2) + 2)
    assert (grid[2 : 2 + 16, 2 : 2 + 16] == 0).all()  # a face, first row
    assert (grid[2 + tile : 2 + tile + 16, 2 : 2 + 16] == 100).all()  # its nearest, below it
    assert (grid[2 + 16 : tile, 2 : 2 + 16] < 255).any()  # a face has its number
    assert (grid[2 + tile + 16 : 2 * tile, 2 : 2 + 16] < 255).any()  # its nearest its distance
    assert (grid[2 + tile + 16 : 2 * tile, 2 + 18 : 2 + 18 + 16] < 255).any()
    with pytest.raises(ValueError, match="5 faces, 4 nearest images"):
        faces_over_nearest(faces, nearest[:4], ["x"] * 5, columns=3)
