"""The tests' fixtures: an artifacts folder with a blob data set, and tiny runs built once per
session (helpers live in tests/support.py; markers and options in pyproject.toml)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import shutil

import pytest

from model.pipeline.runs import ArtifactLayout
from tests.support import SMALL_ANALYSIS, SYNTH_DATA, tiny_config, write_blob_dataset


@pytest.fixture
def layout(tmp_path) -> ArtifactLayout:
    """An artifacts root holding a 96-image 32 px data set named `blobs`."""
    layout = ArtifactLayout(tmp_path / "artifacts")
    write_blob_dataset(layout.dataset("blobs"))
    return layout


@pytest.fixture(scope="session")
def built_runs(tmp_path_factory):
    """A tiny run `tiny` on `blobs`, built once: `encoded/` (trained + encoded) and
    `artifacts/` (also analysed). Tests that change files work on a copy."""
    from model.pipeline.analysis import AnalysisConfig
    from model.pipeline.stages import analyze_stage, encode_stage, train_stage

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
    from model.pipeline.analysis import AnalysisConfig
    from model.pipeline.stages import analyze_stage, encode_stage, train_stage

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


@pytest.fixture(scope="session")
def synthetic_runs(tmp_path_factory):
    """An artifacts folder whose run `tiny` (as built_runs') was trained on a data set
    `prepare_data` builds: 96 synthetic faces of 32 px named `synth`. Messages name the command
    that builds it again, which tests run. Tests that change files work on a copy."""
    from model.pipeline.analysis import AnalysisConfig
    from model.pipeline.stages import analyze_stage, encode_stage, train_stage
    from scripts import prepare_data

    layout = ArtifactLayout(tmp_path_factory.mktemp("synthetic") / "artifacts")
    assert prepare_data.main([*SYNTH_DATA, "--quiet", "--artifacts", str(layout.root)]) == 0
    train_stage(layout, "tiny", tiny_config(dataset="synth"), progress=False)
    encode_stage(layout, "tiny", batch_size=40, progress=False)
    analyze_stage(layout, "tiny", AnalysisConfig(**SMALL_ANALYSIS), progress=False)
    return layout.root


@pytest.fixture
def artifacts(built_runs):
    """`built_runs`' analysed artifacts root (read only: tests that change files copy it)."""
    return built_runs / "artifacts"


@pytest.fixture
def encoded(built_runs, tmp_path) -> ArtifactLayout:
    """A writable copy of `built_runs`' run `tiny`, trained and encoded, not analysed."""
    shutil.copytree(built_runs / "encoded", tmp_path / "artifacts")
    return ArtifactLayout(tmp_path / "artifacts")


@pytest.fixture
def analyzed(built_runs, tmp_path) -> ArtifactLayout:
    """A writable copy of `built_runs`' analysed artifacts."""
    shutil.copytree(built_runs / "artifacts", tmp_path / "artifacts")
    return ArtifactLayout(tmp_path / "artifacts")
