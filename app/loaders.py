"""Cached loaders: every file the dashboard reads goes through here.

What every session shares and never changes (models, indexes, analysis results, file checks)
uses st.cache_resource, which `app.warmup` fills before the server answers; keys include the
files' modification times, so a rebuilt artifact is picked up without restarting the server.
(Arguments whose names start with "_" are left out of Streamlit's cache keys.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from model.analysis import memorisation
from model.analysis.density import LatentIndex
from model.analysis.results import load_result
from model.data.store import ATTRIBUTES_FILE, INFO_FILE, AttributeTable, Dataset
from model.files import read_json
from model.generation import R_LIMITS, sample_latents, sharpen
from model.network_files import ONNX_FILE
from model.onnx_decoder import OnnxDecoder
from model.pipeline.runs import (
    ANALYSIS_DIR,
    LATENTS_DIR,
    MANIFEST_FILE,
    TRAIN_DIR,
    ArtifactLayout,
    Run,
)

R = TypeVar("R")


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0


@st.cache_data(ttl=10, show_spinner=False)
def run_names(root: str) -> list[str]:
    return [path.name for path in ArtifactLayout(Path(root)).runs()]


def open_run(run_dir: str) -> Run:
    return _open_run(run_dir, _mtime(Path(run_dir) / MANIFEST_FILE))


@st.cache_resource(show_spinner=False, max_entries=32)
def _open_run(run_dir: str, manifest_mtime: int) -> Run:
    return Run.open(Path(run_dir))


def stage_problems(run: Run, stage: str) -> tuple[str, ...]:
    """Missing or mismatched files of a stage; hashes are re-checked only when files change."""
    recorded = run.stage(stage)
    files = sorted(recorded["files"]) if recorded else []
    signature = tuple((name, _mtime(run.path / name)) for name in files)
    return _stage_problems(str(run.path), stage, signature, _mtime(run.path / MANIFEST_FILE))


@st.cache_resource(show_spinner="Checking the run's files...", max_entries=64)
def _stage_problems(
    run_dir: str, stage: str, signature: tuple, manifest_mtime: int
) -> tuple[str, ...]:
    return tuple(Run.open(Path(run_dir)).file_problems(stage))


def analysis(run: Run, name: str, cls: type[R]) -> R:
    """An analysis result (`<run>/analysis/<name>.npz`) as its dataclass."""
    path = run.path / ANALYSIS_DIR / f"{name}.npz"
    return _analysis(str(path), cls.__qualname__, _mtime(path), cls)


@st.cache_resource(show_spinner="Loading analysis...", max_entries=64)
def _analysis(path: str, cls_name: str, mtime_ns: int, _cls: type[Any]) -> Any:
    return load_result(_cls, Path(path))


def latents(run: Run, name: str) -> np.ndarray | None:
    """latents/<name>.npy memory-mapped (read-only), or None if the run has no such array."""
    path = run.path / LATENTS_DIR / f"{name}.npy"
    return _latents(str(path), _mtime(path)) if path.is_file() else None


@st.cache_resource(show_spinner=False, max_entries=32)
def _latents(path: str, mtime_ns: int) -> np.ndarray:
    return np.load(path, mmap_mode="r")


def decoder(run: Run) -> OnnxDecoder:
    """The run's decoder (its ONNX copy on onnxruntime), loaded once and shared by every
    session."""
    path = run.path / TRAIN_DIR / ONNX_FILE
    return _decoder(str(path), _mtime(path))


@st.cache_resource(show_spinner="Loading the decoder...", max_entries=8)
def _decoder(path: str, mtime_ns: int) -> OnnxDecoder:
    return OnnxDecoder(Path(path))


def dataset(root: Path, name: str) -> Dataset:
    path = ArtifactLayout(root).dataset(name)
    return _dataset(str(path), _mtime(path / "dataset.json"))


@st.cache_resource(show_spinner=False, max_entries=8)
def _dataset(path: str, mtime_ns: int) -> Dataset:
    return Dataset(Path(path))


def history(run: Run) -> list[dict[str, float]]:
    """Per-epoch losses of the run's training."""
    path = run.path / TRAIN_DIR / "history.json"
    return _history(str(path), _mtime(path))


@st.cache_data(show_spinner=False, max_entries=32)
def _history(path: str, mtime_ns: int) -> list[dict[str, float]]:
    return read_json(Path(path))


def analysed_latent(run: Run) -> str:
    """Which latents the run's analysis used: "z" (the default) or "mu"."""
    stage = run.stage("analyze")
    return stage["params"]["config"]["latent"] if stage else "z"


def _analysed_latents_path(run: Run) -> Path:
    name = analysed_latent(run)
    if name == "mu" and not (run.path / LATENTS_DIR / "mu.npy").is_file():
        name = "z"  # an AE's mu is its z
    return run.path / LATENTS_DIR / f"{name}.npy"


def latent_index(run: Run) -> LatentIndex:
    """Nearest-data search over the latents the analysis used, shared by every session."""
    path = _analysed_latents_path(run)
    return _latent_index(str(path), _mtime(path))


@st.cache_resource(show_spinner="Indexing the latents...", max_entries=8)
def _latent_index(path: str, mtime_ns: int) -> LatentIndex:
    return LatentIndex(np.load(path, mmap_mode="r"))


def training_index(run: Run, dataset: Dataset) -> LatentIndex:
    """Nearest-training-image search in latent space (the latents the analysis used)."""
    path = _analysed_latents_path(run)
    train = dataset.info.split_range("train")
    return _training_index(str(path), _mtime(path), train.start, train.stop)


@st.cache_resource(show_spinner="Indexing the training latents...", max_entries=8)
def _training_index(path: str, mtime_ns: int, start: int, stop: int) -> LatentIndex:
    return memorisation.training_index(np.load(path, mmap_mode="r"), range(start, stop))


def training_pixel_index(dataset: Dataset) -> LatentIndex:
    """Nearest-training-image search in pixel space, over the data set's training images."""
    path = dataset.path / INFO_FILE
    return _training_pixel_index(str(dataset.path), _mtime(path))


@st.cache_resource(show_spinner="Indexing the training images...", max_entries=2)
def _training_pixel_index(path: str, mtime_ns: int) -> LatentIndex:
    dataset = Dataset(Path(path))
    return memorisation.training_pixel_index(dataset.images, dataset.info.split_range("train"))


def attributes(dataset: Dataset) -> AttributeTable | None:
    """The data set's attribute table (None if it has none), parsed once per file version."""
    path = dataset.path / ATTRIBUTES_FILE
    return _attributes(str(dataset.path), _mtime(path)) if path.is_file() else None


@st.cache_resource(show_spinner="Reading attributes...", max_entries=8)
def _attributes(path: str, mtime_ns: int) -> AttributeTable | None:
    return Dataset(Path(path)).attributes()


def r_limit_sweep(run: Run, seed: int, per_limit: int, sharpness: float | None) -> np.ndarray:
    """The studies' r_limit sweep: `per_limit` uniform faces per limit in R_LIMITS, decoded
    (and sharpened, unless `sharpness` is None) once per setting, not on every slider move."""
    path = run.path / TRAIN_DIR / ONNX_FILE
    return _r_limit_sweep(str(path), _mtime(path), seed, per_limit, sharpness)


@st.cache_data(show_spinner=False, max_entries=16)
def _r_limit_sweep(
    path: str, mtime_ns: int, seed: int, per_limit: int, sharpness: float | None
) -> np.ndarray:
    network = _decoder(path, mtime_ns)
    z = np.concatenate(
        [sample_latents("uniform", per_limit, network.z_dim, seed, limit=b) for b in R_LIMITS]
    )
    images = network.decode(z)
    return images if sharpness is None else sharpen(images, sharpness)
