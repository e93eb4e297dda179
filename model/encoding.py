"""Encode every image of a data set into z, mu and logvar arrays, streamed batch by batch."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from model.config import ModelConfig
from model.data.batches import image_batches, unit_float
from model.data.store import Dataset
from model.files import atomic_path
from model.networks import Sampling
from model.npy_stream import NpyStreamWriter


def latent_names(kind: str) -> tuple[str, ...]:
    """The arrays an encoding writes: an AE has only z (its mu is z; it has no logvar)."""
    return ("z",) if kind == "ae" else ("z", "mu", "logvar")


def encode_dataset(
    encoder: keras.Model,
    config: ModelConfig,
    dataset: Dataset,
    out_dir: Path,
    seed: int,
    batch_size: int = 256,
    progress: bool = True,
) -> dict[str, Path]:
    """Write `<name>.npy` float32 (N, z_dim) for every latent name; row i is image i.

    mu is the encoder's mean (eps factor 0); z is sampled with clipped eps from `seed`, as the
    studies did. Each file appears only when complete.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if dataset.info.image_size != config.image_size:
        raise ValueError(
            f"data set {dataset.path} has {dataset.info.image_size} px images, "
            f"the encoder expects {config.image_size} px"
        )
    names = latent_names(config.kind)
    predict = _compile_encoder(encoder, config, seed)
    rows = range(len(dataset))
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.npy" for name in names}
    with contextlib.ExitStack() as stack:
        tmps = {name: stack.enter_context(atomic_path(path)) for name, path in paths.items()}
        writers = {name: NpyStreamWriter(tmps[name], (config.z_dim,), np.float32) for name in names}
        stack.callback(lambda: [w.abort() for w in writers.values()])
        batches = image_batches(dataset, rows, batch_size)
        total = math.ceil(len(rows) / batch_size)
        for images in tqdm(batches, total=total, desc="encode", unit="batch", disable=not progress):
            for name, values in zip(names, predict(images)):
                writers[name].append(values.numpy())
        for writer in writers.values():
            writer.close()
    return paths


def encoder_outputs(encoder: keras.Model, images: tf.Tensor) -> list[tf.Tensor]:
    """The encoder's outputs on uint8 images as a list: [z] for an AE, [mu, logvar] for a VAE
    (an imported VAE may also give its own z third, which zspace does not use)."""
    outputs = encoder(unit_float(images), training=False)
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def _compile_encoder(encoder: keras.Model, config: ModelConfig, seed: int):
    if config.kind == "ae":
        return tf.function(
            lambda images: encoder_outputs(encoder, images)[:1], reduce_retracing=True
        )
    sampling = Sampling(config.eps_limit, seed=seed)

    def predict(images):
        mu, logvar = encoder_outputs(encoder, images)[:2]
        return sampling(mu, logvar, eps_factor=1.0), mu, logvar

    return tf.function(predict, reduce_retracing=True)
