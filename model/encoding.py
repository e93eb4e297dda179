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
from model.latent_files import latent_names
from model.npy_stream import NpyStreamWriter


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
    studies did, one row after another, so the latents do not depend on `batch_size`. Each file
    appears only when complete.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if dataset.info.image_size != config.image_size:
        raise ValueError(
            f"data set {dataset.path} has {dataset.info.image_size} px images, "
            f"the encoder expects {config.image_size} px"
        )
    names = latent_names(config.kind)
    predict = _compile_encoder(encoder, config)
    eps = np.random.default_rng(seed)  # one stream in row order: the same z at any batch size
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
            outputs = [values.numpy() for values in predict(images)]
            if config.kind == "vae":
                mu, logvar = outputs
                outputs = [sample_z(mu, logvar, eps, config.eps_limit), mu, logvar]
            for name, values in zip(names, outputs):
                writers[name].append(values)
        for writer in writers.values():
            writer.close()
    return paths


def encoder_outputs(encoder: keras.Model, images: tf.Tensor) -> list[tf.Tensor]:
    """The encoder's outputs on uint8 images as a list: [z] for an AE, [mu, logvar] for a VAE
    (an imported VAE may also give its own z third, which zspace does not use)."""
    outputs = encoder(unit_float(images), training=False)
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def sample_z(
    mu: np.ndarray, logvar: np.ndarray, eps: np.random.Generator, eps_limit: float
) -> np.ndarray:
    """z = mu + exp(logvar / 2) * eps, eps ~ N(0, 1) clipped to +-eps_limit as the studies did,
    drawn row after row from `eps` (float32): rows encoded in any batches get the same eps."""
    noise = np.clip(eps.standard_normal(mu.shape, dtype=np.float32), -eps_limit, eps_limit)
    return (mu + np.exp(logvar / 2) * noise).astype(np.float32)


def _compile_encoder(encoder: keras.Model, config: ModelConfig):
    """[z] for an AE, [mu, logvar] for a VAE, on a batch of uint8 images."""
    count = 1 if config.kind == "ae" else 2
    return tf.function(
        lambda images: encoder_outputs(encoder, images)[:count], reduce_retracing=True
    )
