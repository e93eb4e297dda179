"""Your own model: a Keras 3 encoder and decoder trained elsewhere, registered as a run.

The encoder takes (None, S, S, 3) images in [0, 1] (S: the data set's image size) and gives
[z_mean, z_log_var] (a VAE; a third output, the encoder's own z, is allowed and not used) or
one z (an AE), each (None, z_dim). The decoder takes (None, z_dim) and gives (None, S, S, 3)
images in [0, 1]. Every file is checked, and then both networks on a sample batch of the data
set, before the run is written; `encode` and `analyze` then work on it as on a trained run.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from model.config import ModelConfig, RunConfig, TrainConfig
from model.data.store import Dataset
from model.encoding import encoder_outputs
from model.files import sha256_of
from model.names import check_name
from model.network_files import DECODER_FILE, ENCODER_FILE, ONNX_FILE, load_network
from model.onnx_export import ExportError, export_decoder
from model.pipeline.runs import ArtifactLayout, Run, RunError, open_dataset, open_for_writing
from model.pipeline.stages import StageReport

CHECK_ROWS = 32  # images of the data set both networks are tried on
RANGE_TOLERANCE = 1e-3  # decoder output may stray this far outside [0, 1] (float rounding)


@dataclass(frozen=True)
class ImportedPair:
    """What the checks found out about an encoder/decoder pair."""

    kind: str  # "vae" or "ae"
    z_dim: int
    image_size: int
    parameters: dict[str, int]


def check_pair(
    encoder: keras.Model,
    decoder: keras.Model,
    encoder_path: Path,
    decoder_path: Path,
    dataset: Dataset,
) -> ImportedPair:
    """Check the two networks against each other and the data set; RunError naming the file
    and the mismatch otherwise."""
    size = dataset.info.image_size
    expected_images = (None, size, size, 3)
    encoder_input = _single_shape(encoder.inputs, encoder_path, "input")
    if encoder_input != expected_images:
        raise RunError(
            f"{encoder_path} takes input {_shape(encoder_input)}, but the images of "
            f"{dataset.path} are {_shape(expected_images)} ({size} px RGB)"
        )
    outputs = [tuple(tensor.shape) for tensor in encoder.outputs]
    if len(outputs) not in (1, 2, 3) or any(len(shape) != 2 for shape in outputs):
        raise RunError(
            f"{encoder_path} gives outputs {', '.join(map(_shape, outputs))}; expected "
            "[z_mean, z_log_var] (a VAE) or z (an AE), each (None, z_dim)"
        )
    if len({shape[1] for shape in outputs}) != 1:
        raise RunError(
            f"{encoder_path} gives outputs {', '.join(map(_shape, outputs))} of different sizes; "
            "z_mean, z_log_var (and z) must all be (None, z_dim)"
        )
    z_dim = outputs[0][1]
    decoder_input = _single_shape(decoder.inputs, decoder_path, "input")
    if decoder_input != (None, z_dim):
        raise RunError(
            f"{decoder_path} takes input {_shape(decoder_input)}, but {encoder_path} gives "
            f"z of (None, {z_dim}): z_dim must agree"
        )
    decoder_output = _single_shape(decoder.outputs, decoder_path, "output")
    if decoder_output != expected_images:
        raise RunError(
            f"{decoder_path} gives {_shape(decoder_output)}, but the images of {dataset.path} "
            f"are {_shape(expected_images)}"
        )
    kind = "ae" if len(outputs) == 1 else "vae"
    _check_sample_batch(encoder, decoder, encoder_path, decoder_path, dataset, kind)
    parameters = {"encoder": encoder.count_params(), "decoder": decoder.count_params()}
    return ImportedPair(kind, z_dim, size, parameters)


def _check_sample_batch(
    encoder: keras.Model,
    decoder: keras.Model,
    encoder_path: Path,
    decoder_path: Path,
    dataset: Dataset,
    kind: str,
) -> None:
    images = dataset.read(0, min(CHECK_ROWS, len(dataset)))
    names = ("z",) if kind == "ae" else ("z_mean", "z_log_var")
    codes = [np.asarray(out) for out in encoder_outputs(encoder, images)[: len(names)]]
    for name, values in zip(names, codes):
        if not np.isfinite(values).all():
            raise RunError(
                f"{encoder_path} gives non-finite {name} (NaN or Inf) on the first "
                f"{len(images)} images of {dataset.path}"
            )
    decoded = np.asarray(decoder(codes[0], training=False))
    if not np.isfinite(decoded).all():
        raise RunError(f"{decoder_path} gives non-finite values (NaN or Inf) on a sample batch")
    low, high = float(decoded.min()), float(decoded.max())
    if low < -RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        raise RunError(
            f"{decoder_path} gives values from {low:.3g} to {high:.3g} on a sample batch; "
            "zspace needs images in [0, 1] (end the decoder with a sigmoid)"
        )


def dataset_name(layout: ArtifactLayout, given: str | Path) -> str:
    """The name of the data set `given` as a directory or a name; runs refer to data sets by
    name, so a directory must be one under the artifacts' datasets/."""
    path = Path(given)
    if len(path.parts) == 1 and not path.is_dir():
        return check_name("data set", path.name)
    datasets = layout.datasets_folder.resolve()
    if path.resolve().parent != datasets:
        prepare = layout.command("prepare_data", "folder", "SRC", "--name", path.name)
        raise RunError(
            f"{given} is not under {datasets}: runs refer to data sets by name, so prepare it "
            f"there with `{prepare}` (or pass --artifacts)"
        )
    return check_name("data set", path.name)


def import_model(
    layout: ArtifactLayout,
    run_name: str,
    encoder_path: Path,
    decoder_path: Path,
    dataset_name: str,
    kl_factor: float = 1.0,
    seed: int = 0,
    force: bool = False,
) -> StageReport:
    """Register the pair as run `run_name` over the data set: its train stage, with copies of
    both files. The same files over the same data set again: nothing to do."""
    started = time.perf_counter()
    dataset = open_dataset(layout, dataset_name)
    for path in (encoder_path, decoder_path):
        if not Path(path).is_file():
            what = "is a folder, not a .keras file" if Path(path).is_dir() else "not found"
            raise RunError(f"{path} {what}")
    config = RunConfig(dataset=dataset_name, train=TrainConfig(seed=seed))  # checks the seed
    sources = {"encoder": sha256_of(encoder_path), "decoder": sha256_of(decoder_path)}
    params = {"imported_sha256": sources, "dataset_id": dataset.identity(), "seed": seed,
              "kl_factor": kl_factor}  # fmt: skip
    run_dir = layout.run(run_name)
    with open_for_writing(layout, run_name, create=True) as existing:
        if existing is not None and not force:
            if existing.is_current("train", params):
                return StageReport("train", False, f"import: {run_dir} is up to date")
            raise RunError(
                f"run {run_dir} exists; pass --force to replace it with the imported model"
            )
        encoder, decoder = load_network(Path(encoder_path)), load_network(Path(decoder_path))
        pair = check_pair(encoder, decoder, Path(encoder_path), Path(decoder_path), dataset)
        model = ModelConfig(
            kind=pair.kind,
            image_size=pair.image_size,
            z_dim=pair.z_dim,
            kl_factor=kl_factor if pair.kind == "vae" else 0.0,
            architecture="imported",
        )
        run_dir.mkdir(parents=True, exist_ok=True)
        run = Run.new(run_dir, RunConfig(config.dataset, model, config.train), dataset)
        metrics = {
            "imported_from": {"encoder": str(Path(encoder_path).resolve()),
                              "decoder": str(Path(decoder_path).resolve())},
            "parameters": pair.parameters,
        }  # fmt: skip
        with run.staging("train") as staged:
            for source, name in ((encoder_path, ENCODER_FILE), (decoder_path, DECODER_FILE)):
                shutil.copyfile(source, staged / name)
            try:
                export_decoder(decoder, staged / ONNX_FILE)  # the dashboard decodes with it
            except ExportError as error:
                raise RunError(f"{decoder_path}: {error} (the dashboard needs ONNX)") from error
            seconds = time.perf_counter() - started
            files = [ENCODER_FILE, DECODER_FILE, ONNX_FILE]
            run.commit("train", staged, params, metrics, seconds, files)
    return StageReport(
        "train", True, f"import: {pair.kind.upper()} with z_dim {pair.z_dim} -> {run_dir}"
    )


def _single_shape(tensors: list, path: Path, what: str) -> tuple:
    if len(tensors) != 1:
        raise RunError(f"{path} has {len(tensors)} {what}s; expected one")
    return tuple(tensors[0].shape)


def _shape(shape: tuple) -> str:
    return "(" + ", ".join("None" if n is None else str(n) for n in shape) + ")"
