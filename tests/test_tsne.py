import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from model.analysis.map_input import select_rows
from model.analysis.pca import fit_pca
from model.analysis.results import load_result, save_result
from model.analysis.tsne import run_tsne, tsne_input, tsne_maps
from model.analysis.tsne_map import STUDY_VARIANTS, TsneMap, TsneParams
from scripts.bench.analysis import sklearn_tsne

FAST = TsneParams(perplexity=10, n_iter=50, early_exaggeration_iter=30, seed=1)


def planted_clusters(count: int = 400, clusters: int = 4, dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10.0, size=(clusters, dim))
    labels = np.arange(count) % clusters
    return (centres[labels] + rng.normal(size=(count, dim))).astype(np.float32), labels


def nearest_centroid_accuracy(embedding: np.ndarray, labels: np.ndarray) -> float:
    centroids = np.array([embedding[labels == label].mean(axis=0) for label in np.unique(labels)])
    distances = np.linalg.norm(embedding[:, None] - centroids[None], axis=2)
    return float(np.mean(np.argmin(distances, axis=1) == labels))


@pytest.fixture(scope="module")
def data():
    return planted_clusters()


@pytest.fixture(scope="module")
def base_map(data) -> TsneMap:
    return run_tsne(data[0], FAST)


def test_map_keeps_planted_clusters_apart_and_reports_kl(data, base_map):
    labels = data[1]
    assert base_map.embedding.shape == (400, 2) and base_map.embedding.dtype == np.float32
    np.testing.assert_array_equal(base_map.indices, np.arange(400))
    assert nearest_centroid_accuracy(base_map.embedding, labels) == 1.0
    assert np.isfinite(base_map.kl_divergence) and base_map.kl_divergence > 0
    assert base_map.name == "raw_ee12_p10" and base_map.seconds > 0
    assert base_map.params == {**FAST.to_dict(), "backend": "openTSNE", "neighbors": "exact"}


def test_same_seed_same_map_other_seed_other_map(data, base_map):
    again = run_tsne(data[0], FAST, progress=True)
    np.testing.assert_array_equal(again.embedding, base_map.embedding)
    assert again.kl_divergence == base_map.kl_divergence
    other = run_tsne(data[0], dataclasses.replace(FAST, seed=2))
    assert not np.allclose(other.embedding, base_map.embedding, atol=1e-3)


def test_pca_variant_runs_on_the_leading_components(data):
    latents = data[0]
    params = dataclasses.replace(FAST, pca_components=2)
    indices, reduced = tsne_input(latents, params)
    np.testing.assert_array_equal(indices, np.arange(400))
    np.testing.assert_array_equal(reduced, fit_pca(latents, n_components=2).coordinates)
    pca_map = run_tsne(latents, params)
    direct = run_tsne(fit_pca(latents, n_components=2).coordinates, FAST)
    np.testing.assert_array_equal(pca_map.embedding, direct.embedding)
    assert pca_map.name == "pca2_ee12_p10" and pca_map.params["pca_components"] == 2
    with pytest.raises(ValueError, match="pca_components 17 exceeds the latent dimension 16"):
        tsne_input(latents, dataclasses.replace(FAST, pca_components=17))


def test_cap_takes_a_sorted_seeded_subset(data):
    latents = data[0]
    params = dataclasses.replace(FAST, cap=150)
    capped = run_tsne(latents, params)
    assert capped.embedding.shape == (150, 2)
    assert np.all(np.diff(capped.indices) > 0) and capped.indices.dtype == np.int64
    np.testing.assert_array_equal(capped.indices, select_rows(400, 150, seed=1))
    assert not np.array_equal(select_rows(400, 150, seed=1), select_rows(400, 150, seed=2))
    uncapped = run_tsne(latents[capped.indices], FAST)
    np.testing.assert_array_equal(capped.embedding, uncapped.embedding)
    np.testing.assert_array_equal(select_rows(400, 400, seed=1), np.arange(400))
    with pytest.raises(ValueError, match="cap 401 is larger than the 400 latents"):
        run_tsne(latents, dataclasses.replace(FAST, cap=401))


def test_round_trip(tmp_path, base_map):
    save_result(base_map, tmp_path / "tsne.npz")
    loaded = load_result(TsneMap, tmp_path / "tsne.npz")
    np.testing.assert_array_equal(loaded.embedding, base_map.embedding)
    np.testing.assert_array_equal(loaded.indices, base_map.indices)
    assert (loaded.name, loaded.params, loaded.kl_divergence) == (
        base_map.name,
        base_map.params,
        base_map.kl_divergence,
    )


def test_sklearn_map_has_the_same_form(data):
    latents, labels = data
    params = dataclasses.replace(FAST, cap=200)
    result = sklearn_tsne(latents, params)
    assert result.embedding.shape == (200, 2) and result.embedding.dtype == np.float32
    np.testing.assert_array_equal(result.indices, select_rows(400, 200, seed=1))
    assert result.params["backend"] == "sklearn" and result.params["early_exaggeration_iter"] == 250
    assert np.isfinite(result.kl_divergence) and result.kl_divergence > 0
    assert nearest_centroid_accuracy(result.embedding, labels[result.indices]) == 1.0


def test_study_variants():
    names = [params.name for params in STUDY_VARIANTS]
    assert names == [
        "raw_ee12_p30",
        "raw_ee16_p10",
        "pca2_ee12_p30",
        "pca4_ee12_p30",
        "pca10_ee12_p30",
    ]
    assert all(params.early_exaggeration_iter + params.n_iter == 1000 for params in STUDY_VARIANTS)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("perplexity", 0, "perplexity must be > 0, got 0"),
        ("early_exaggeration", 0.5, "early_exaggeration must be >= 1, got 0.5"),
        ("n_iter", 0, "n_iter must be >= 1, got 0"),
        ("pca_components", 0, "pca_components must be None or >= 1, got 0"),
        ("cap", 1, "cap must be None or >= 2, got 1"),
        ("n_jobs", -1, "n_jobs must be >= 1, got -1"),
    ],
)
def test_bad_params_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        TsneParams(**{field: value})


def test_bad_latents_are_refused(data):
    latents = data[0].copy()
    latents[123, 4] = np.inf
    with pytest.raises(ValueError, match="NaN or Inf.*row 123"):
        run_tsne(latents, FAST)
    with pytest.raises(ValueError, match="perplexity 10 needs at least 31 points, got 20"):
        run_tsne(data[0][:20], FAST)


def test_maps_side_by_side_equal_the_maps_made_one_at_a_time(data):
    """Two worker processes give bit-identical maps (each map runs single-threaded), in the
    order asked, with the same rows and params as `run_tsne`."""
    latents = data[0]
    variants = [
        dataclasses.replace(FAST, cap=300),
        dataclasses.replace(FAST, pca_components=2, cap=300),
        dataclasses.replace(FAST, perplexity=5),
    ]
    apart = tsne_maps(latents, variants, workers=2, progress=True)
    for params, result in zip(variants, apart):
        alone = run_tsne(latents, params)
        assert result.name == alone.name and result.params == alone.params
        np.testing.assert_array_equal(result.indices, alone.indices)
        np.testing.assert_array_equal(result.embedding, alone.embedding)
        assert result.kl_divergence == alone.kl_divergence
    with pytest.raises(ValueError, match="perplexity 50 needs at least"):
        tsne_maps(latents[:100], [FAST, dataclasses.replace(FAST, perplexity=50)], workers=2)


def test_ctrl_c_ends_the_worker_processes_at_once(tmp_path):
    """SIGINT to a process computing maps side by side: it exits within seconds and none of
    its workers runs on (they ignore SIGINT themselves and would otherwise finish their map)."""
    import signal
    import subprocess
    import sys
    import time

    import psutil

    script = tmp_path / "maps.py"
    script.write_text(
        "import dataclasses, numpy as np\n"
        "from model.analysis.tsne import tsne_maps\n"
        "from model.analysis.tsne_map import TsneParams\n"
        "data = np.random.default_rng(0).normal(size=(3000, 8)).astype(np.float32)\n"
        "slow = TsneParams(n_iter=100_000)\n"
        "print('started', flush=True)\n"
        "tsne_maps(data, [slow, dataclasses.replace(slow, seed=1)], workers=2)\n"
    )
    repo = str(Path(__file__).resolve().parents[1])
    child = subprocess.Popen(
        [sys.executable, str(script)], cwd=repo, env={**os.environ, "PYTHONPATH": repo},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert child.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 60
    workers = []
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = [
            p for p in psutil.Process(child.pid).children(recursive=True)
            if "resource_tracker" not in " ".join(p.cmdline())
        ]  # fmt: skip
        time.sleep(0.2)
    assert len(workers) == 2
    time.sleep(3)  # the maps are under way
    child.send_signal(signal.SIGINT)
    child.wait(timeout=20)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
