"""Shared test setup: quiet TensorFlow, markers, and small fixtures built on the fly."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds; still runs in CI")
    config.addinivalue_line("markers", "browser: needs Debian's chromium at /usr/bin/chromium")
    # Keras converts TF tensors with numpy's pre-2.0 __array__ protocol; harmless noise.
    config.addinivalue_line("filterwarnings", "ignore:__array__ implementation:DeprecationWarning")


import dataclasses
import shutil

import numpy as np
import pytest

from model.config import RunConfig, preset
from model.data.store import AttributeTable, create_dataset, make_split
from model.runs import ArtifactLayout


def assert_same_result(loaded, result) -> None:
    """Every field of a loaded analysis result equals the original, with the same type."""
    for field in dataclasses.fields(result):
        np.testing.assert_equal(getattr(loaded, field.name), getattr(result, field.name))
        assert type(getattr(loaded, field.name)) is type(getattr(result, field.name))


def blob_images(count: int, size: int, seed: int = 0) -> np.ndarray:
    """Smooth coloured blobs: structured enough for a tiny (V)AE to learn something."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    centres = rng.uniform(0.2, 0.8, (count, 2, 1, 1))
    radius = rng.uniform(0.1, 0.3, (count, 1, 1))
    colour = rng.uniform(0, 1, (count, 1, 1, 3))
    d2 = (xx - centres[:, 0]) ** 2 + (yy - centres[:, 1]) ** 2
    mask = np.exp(-d2 / (2 * radius**2))[..., None]
    return (255 * (0.1 + 0.8 * mask * colour)).astype(np.uint8)


def write_blob_dataset(
    path, count: int = 96, size: int = 32, n_test: int = 16, seed: int = 0, overwrite: bool = False
):
    with create_dataset(path, size, overwrite=overwrite) as writer:
        images = blob_images(count, size, seed)
        for start in range(0, count, 40):
            writer.add_images(images[start : start + 40])
        # one binary attribute (blob in the left half) and one continuous (mean brightness)
        left = (
            images[:, :, : size // 2].mean(axis=(1, 2, 3))
            > images[:, :, size // 2 :].mean(axis=(1, 2, 3))
        ).astype(np.float32)
        brightness = images.mean(axis=(1, 2, 3)).astype(np.float32) / 255
        table = AttributeTable(("Left", "brightness"), np.c_[left, brightness], binary=("Left",))
        return writer.finish(
            {"kind": "blobs", "seed": seed}, make_split(count, count - n_test, n_test), table
        )


TINY_OVERRIDES = {
    "dataset": "blobs",
    "model.image_size": "32",
    "model.z_dim": "8",
    "train.epochs": "2",
    "train.batch_size": "32",
}


def tiny_config(dataset: str = "blobs", **overrides: str) -> RunConfig:
    """The demo preset shrunk to 32 px, z_dim 8, 2 epochs: the real code paths, in seconds."""
    return preset("demo").with_overrides({**TINY_OVERRIDES, "dataset": dataset, **overrides})


@pytest.fixture
def layout(tmp_path) -> ArtifactLayout:
    """An artifacts root holding a 96-image 32 px data set named `blobs`."""
    layout = ArtifactLayout(tmp_path / "artifacts")
    write_blob_dataset(layout.dataset("blobs"))
    return layout


SMALL_ANALYSIS = {
    "tsne_variants": ("raw_ee16_p10", "pca2_ee12_p30"),
    "tsne_iterations": 50,
    "kmeans_ks": (2, 4),
    "nearest_sample": 50,
    "baseline_samples": 200,
    "pca_components": 6,
}


@pytest.fixture(scope="session")
def built_runs(tmp_path_factory):
    """A tiny run `tiny` on `blobs`, built once: `encoded/` (trained + encoded) and
    `artifacts/` (also analysed). Tests that change files work on a copy."""
    from model.analysis.stage import AnalysisConfig
    from model.stages import analyze_stage, encode_stage, train_stage

    root = tmp_path_factory.mktemp("built")
    layout = ArtifactLayout(root / "artifacts")
    write_blob_dataset(layout.dataset("blobs"))
    train_stage(layout, "tiny", tiny_config(), progress=False)
    encode_stage(layout, "tiny", batch_size=40, progress=False)
    shutil.copytree(layout.root, root / "encoded")
    analyze_stage(layout, "tiny", AnalysisConfig(**SMALL_ANALYSIS), progress=False)
    return root


@pytest.fixture(scope="session")
def with_ae(built_runs, tmp_path_factory):
    """A copy of `built_runs`' analysed artifacts plus a tiny analysed AE run `tiny-ae`
    (no mu, no logvar), for pages that must work without them."""
    from model.analysis.stage import AnalysisConfig
    from model.stages import analyze_stage, encode_stage, train_stage

    root = tmp_path_factory.mktemp("with_ae") / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    layout = ArtifactLayout(root)
    overrides = {"model.kind": "ae", "model.batch_norm": "false", "model.kl_factor": "0"}
    train_stage(
        layout, "tiny-ae", tiny_config(**overrides, **{"train.epochs": "1"}), progress=False
    )
    encode_stage(layout, "tiny-ae", batch_size=48, progress=False)
    analysis = {**SMALL_ANALYSIS, "tsne_variants": ("raw_ee16_p10",)}
    analyze_stage(layout, "tiny-ae", AnalysisConfig(**analysis), progress=False)
    return root
