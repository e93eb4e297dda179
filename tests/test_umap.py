"""UMAP maps: planted clusters kept apart, the same map for the same seed, t-SNE's rows for the
same cap, PCA inputs, and clear errors."""

import numpy as np
import pytest

from model.analysis.map_input import select_rows
from model.analysis.results import load_result, save_result
from model.analysis.umap_embed import run_umap, umap_maps
from model.analysis.umap_map import UMAP_VARIANTS, UmapMap, UmapParams
from tests.test_tsne import nearest_centroid_accuracy, planted_clusters

FAST = UmapParams(n_epochs=60, seed=3)


def test_a_seeded_map_is_reproducible_and_keeps_clusters_apart(tmp_path):
    data, labels = planted_clusters(count=300)
    first = run_umap(data, FAST)
    again = run_umap(data, FAST)
    np.testing.assert_array_equal(first.embedding, again.embedding)
    assert nearest_centroid_accuracy(first.embedding, labels) > 0.95
    other = run_umap(data, UmapParams(n_epochs=60, seed=4))
    assert not np.array_equal(first.embedding, other.embedding)
    assert first.embedding.shape == (300, 2) and first.embedding.dtype == np.float32
    assert first.params["seed"] == 3 and first.params["umap_version"]
    save_result(first, tmp_path / "umap.npz")
    loaded = load_result(UmapMap, tmp_path / "umap.npz")
    np.testing.assert_array_equal(loaded.embedding, first.embedding)
    assert loaded.params == first.params and loaded.name == "raw_n15_d0.1"


def test_a_capped_pca_map_uses_t_snes_rows():
    data, _ = planted_clusters(count=300)
    params = UmapParams(n_epochs=40, pca_components=4, cap=120, seed=2)
    result = run_umap(data, params)
    np.testing.assert_array_equal(result.indices, select_rows(300, 120, 2))
    assert result.embedding.shape == (120, 2) and result.name == "pca4_n15_d0.1"
    assert [v.name for v in UMAP_VARIANTS] == [
        "raw_n15_d0.1", "pca2_n15_d0.1", "pca4_n15_d0.1", "pca10_n15_d0.1"]  # fmt: skip


def test_bad_inputs_are_named():
    data, _ = planted_clusters(count=40, dim=6)
    with pytest.raises(ValueError, match="needs more than 15 points, got 12"):
        run_umap(data[:12], FAST)
    with pytest.raises(ValueError, match="pca_components 10 exceeds the latent dimension 6"):
        run_umap(data, UmapParams(pca_components=10))
    with pytest.raises(ValueError, match="n_neighbors must be at least 2"):
        UmapParams(n_neighbors=1)
    bad = data.copy()
    bad[4, 2] = np.inf
    with pytest.raises(ValueError, match="row 4"):
        run_umap(bad, FAST)


def test_maps_side_by_side_are_the_maps_made_alone():
    data, _ = planted_clusters(count=200)
    variants = [UmapParams(n_epochs=30, seed=1, cap=150), UmapParams(n_epochs=30, pca_components=3)]
    together = umap_maps(data, variants, workers=2)
    for made, params in zip(together, variants):
        alone = run_umap(data, params)
        np.testing.assert_array_equal(made.embedding, alone.embedding)
        np.testing.assert_array_equal(made.indices, alone.indices)
        assert {**made.params, "umap_version": 0} == {**alone.params, "umap_version": 0}
