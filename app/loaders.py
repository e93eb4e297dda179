"""Cached loaders: every file the dashboard reads goes through here.

What every session shares and never changes (models, indexes, analysis results, file checks)
uses st.cache_resource, which `app.warmup` fills before the server answers; keys include the
files' modification times, so a rebuilt artifact is picked up without restarting the server.
(Arguments whose names start with "_" are left out of Streamlit's cache keys.)

Each loader checks what it loads against the run's manifest and data set (shapes, dtypes,
finite values, the decoder's sizes): a file that matches its recorded hash but not what it
must hold is a RunError naming the file and the command that makes it again, which the page
shows in place of a traceback (app.streamlit_app). An error is never cached.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from model.analysis import memorisation
from model.analysis.chunks import check_latent_file
from model.analysis.density import LatentIndex
from model.analysis.results import load_result
from model.config import ModelConfig
from model.data.store import ATTRIBUTES_FILE, IMAGES_FILE, INFO_FILE, AttributeTable, Dataset
from model.files import read_json
from model.generation import R_LIMITS, sample_latents, sharpen
from model.latent_files import LatentName, stored_as
from model.network_files import HISTORY_FILE, ONNX_FILE
from model.onnx_decoder import OnnxDecoder
from model.pipeline import runs
from model.pipeline.runs import (
    ANALYSIS_DIR,
    LATENTS_DIR,
    MANIFEST_FILE,
    TRAIN_DIR,
    ArtifactLayout,
    Run,
    RunError,
)

R = TypeVar("R")


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0


def run_names(root: str) -> list[str]:
    """The runs under `root`: at once when one is added, moved or removed (runs/ changes),
    within 10 s when a run gets its first manifest."""
    return _run_names(root, _mtime(ArtifactLayout(Path(root)).runs_folder))


@st.cache_data(ttl=10, show_spinner=False)
def _run_names(root: str, runs_mtime: int) -> list[str]:
    return [path.name for path in ArtifactLayout(Path(root)).runs()]


def open_run(run_dir: str) -> Run:
    """The run's manifest, checked (RunError naming what to do if it cannot be read)."""
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
    try:
        return _analysis(str(path), cls.__qualname__, _mtime(path), cls)
    except (ValueError, TypeError, KeyError, OSError, EOFError) as error:
        again = run.stage_command("analyze", force=True)
        raise RunError(f"{path} cannot be read ({error}); analyse the run again with "
                       f"`{again}`", fix=again) from error  # fmt: skip


@st.cache_resource(show_spinner="Loading analysis...", max_entries=64)
def _analysis(path: str, cls_name: str, mtime_ns: int, _cls: type[Any]) -> Any:
    return load_result(_cls, Path(path))


def latents(run: Run, name: LatentName) -> np.ndarray | None:
    """Latent `name` of the run (an AE's mu is its z), memory-mapped (read-only), checked to be
    float32 (images, z_dim) and finite; None for what the run has not (an AE's logvar)."""
    stored = stored_as(name, run.config.model.kind)
    if stored is None:
        return None
    path = run.path / LATENTS_DIR / f"{stored}.npy"
    shape = (run.manifest["dataset"]["count"], run.config.model.z_dim)
    try:
        return _latents(str(path), _mtime(path), shape)
    except (ValueError, OSError) as error:
        again = run.stage_command("encode", force=True)
        raise RunError(f"{error}; encode the run again with `{again}`", fix=again) from error


@st.cache_resource(show_spinner="Checking the latents...", max_entries=32)
def _latents(path: str, mtime_ns: int, shape: tuple[int, int]) -> np.ndarray:
    try:
        array = np.load(path, mmap_mode="r")
    except ValueError as error:
        raise ValueError(f"{path} is not a readable .npy array: {error}") from error
    return check_latent_file(array, Path(path), *shape)


def decoder(run: Run) -> OnnxDecoder:
    """The run's decoder (its ONNX copy on onnxruntime), loaded once and shared by every
    session, checked to take the run's z_dim and give its images."""
    path = run.path / TRAIN_DIR / ONNX_FILE
    model = run.config.model
    try:
        return _decoder(str(path), _mtime(path), model.z_dim, model.image_size)
    except (ValueError, OSError) as error:
        again = run.stage_command("train", force=True)
        raise RunError(f"{error}; make the run's networks again with `{again}`",
                       fix=again) from error  # fmt: skip


@st.cache_resource(show_spinner="Loading the decoder...", max_entries=8)
def _decoder(path: str, mtime_ns: int, z_dim: int, image_size: int) -> OnnxDecoder:
    network = OnnxDecoder(Path(path))
    if network.z_dim != z_dim or network.image_shape != (image_size, image_size, 3):
        raise ValueError(
            f"{path} decodes {network.z_dim} dimensions to {network.image_shape}, not the "
            f"run's {z_dim} to ({image_size}, {image_size}, 3)"
        )
    return network


def run_dataset(run: Run) -> Dataset:
    """The data set `run` was trained on, checked to be the very images it was trained and
    encoded on (RunError naming the run, the data set and what to do otherwise)."""
    path = run.layout.dataset(run.manifest["dataset"]["name"])
    signature = tuple(_mtime(path / name) for name in (INFO_FILE, IMAGES_FILE, ATTRIBUTES_FILE))
    return _run_dataset(str(run.path), _mtime(run.path / MANIFEST_FILE), signature)


@st.cache_resource(show_spinner=False, max_entries=16)
def _run_dataset(run_dir: str, manifest_mtime: int, signature: tuple) -> Dataset:
    return runs.run_dataset(Run.open(Path(run_dir)))


def history(run: Run) -> list[dict[str, float]]:
    """Per-epoch losses of the run's training."""
    path = run.path / TRAIN_DIR / HISTORY_FILE
    try:
        return _history(str(path), _mtime(path))
    except (ValueError, TypeError, OSError) as error:
        again = run.stage_command("train", force=True)
        raise RunError(f"{path} cannot be read ({error}); train the run again with `{again}`",
                       fix=again) from error  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=32)
def _history(path: str, mtime_ns: int) -> list[dict[str, float]]:
    history = read_json(Path(path))
    losses = ("total_loss", "reconstruction_loss", "kl_loss")
    if not (isinstance(history, list) and history
            and all(isinstance(epoch, dict) and all(isinstance(epoch.get(name), int | float)
                                                    for name in losses) for epoch in history)):
        raise ValueError(f"it is not a list of epochs with {', '.join(losses)}")  # fmt: skip
    return history


def analysed_latent(run: Run) -> LatentName:
    """Which latents the run's analysis used: "z" (the default) or "mu" (an AE's mu is z)."""
    stage = run.stage("analyze")
    asked = stage["params"]["config"]["latent"] if stage else "z"
    return stored_as(asked, run.config.model.kind) or "z"


def code_name(run: Run) -> LatentName:
    """What the run's reconstructions decode: mu for a VAE, z for an AE."""
    return stored_as("mu", run.config.model.kind) or "z"


def _analysed_latents_path(run: Run) -> Path:
    """The file of the latents the analysis used, checked (`latents`)."""
    name = analysed_latent(run)
    latents(run, name)
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


def attributes(run: Run) -> AttributeTable | None:
    """The attribute table of the run's data set (None if it has none), parsed once per file
    version."""
    dataset = run_dataset(run)
    path = dataset.path / ATTRIBUTES_FILE
    if not path.is_file():
        return None
    try:
        return _attributes(str(dataset.path), _mtime(path))
    except (ValueError, OSError) as error:
        again = runs.dataset_command(run, force=True)
        how = "" if again is None else f": build it again as it was with `{again}`"
        raise RunError(f"{error}{how}", fix=again) from error


@st.cache_resource(show_spinner="Reading attributes...", max_entries=8)
def _attributes(path: str, mtime_ns: int) -> AttributeTable | None:
    return Dataset(Path(path)).attributes()


def r_limit_sweep(run: Run, seed: int, per_limit: int, sharpness: float | None) -> np.ndarray:
    """The studies' r_limit sweep: `per_limit` uniform faces per limit in R_LIMITS, decoded
    (and sharpened, unless `sharpness` is None) once per setting, not on every slider move."""
    path = run.path / TRAIN_DIR / ONNX_FILE
    decoder(run)  # checked
    return _r_limit_sweep(str(path), _mtime(path), run.config.model, seed, per_limit, sharpness)


@st.cache_data(show_spinner=False, max_entries=16)
def _r_limit_sweep(
    path: str, mtime_ns: int, model: ModelConfig, seed: int, per_limit: int,
    sharpness: float | None,
) -> np.ndarray:  # fmt: skip
    network = _decoder(path, mtime_ns, model.z_dim, model.image_size)
    z = np.concatenate(
        [sample_latents("uniform", per_limit, network.z_dim, seed, limit=b) for b in R_LIMITS]
    )
    images = network.decode(z)
    return images if sharpness is None else sharpen(images, sharpness)
