"""The studies' encoder and decoder networks, and the clipped reparameterisation layer."""

from __future__ import annotations

import keras
from keras import layers, ops

from model.config import ModelConfig

# The heads and the output of a mixed precision network: the global policy, float32 (zspace never
# changes it), so a float32 network is built exactly as before mixed precision existed.
_FLOAT32 = None


@keras.saving.register_keras_serializable(package="zspace")
class Sampling(layers.Layer):
    """z = z_mean + exp(z_log_var / 2) * eps * eps_factor, eps ~ N(0, 1) clipped to +-eps_limit.

    `eps_factor` 0 gives z = z_mean (the studies' prediction mode); 1 samples as in training.
    """

    def __init__(self, eps_limit: float = 5.0, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.eps_limit = eps_limit
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, z_mean, z_log_var, eps_factor: float = 1.0, rows=None):
        """`rows` (offset, total): this batch is rows offset.. of a batch of `total` split over
        replicas. Each replica draws the whole batch's eps from the shared seed state and keeps
        its own rows, so every image gets the eps it would get on one device."""
        if rows is None:
            eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        else:
            offset, total = rows
            eps = keras.random.normal((total, ops.shape(z_mean)[1]), seed=self.seed_generator)
            eps = eps[offset : offset + ops.shape(z_mean)[0]]
        eps = ops.clip(eps, -self.eps_limit, self.eps_limit)
        return z_mean + ops.exp(z_log_var / 2.0) * eps * eps_factor

    def get_config(self) -> dict:
        return {**super().get_config(), "eps_limit": self.eps_limit, "seed": self.seed}


def build_encoder(
    config: ModelConfig, dtype: str | None = None, synchronized: bool = False
) -> keras.Model:
    """Image -> [z_mean, z_log_var] for a VAE, or -> z for an AE.

    `dtype`: a mixed precision policy for the hidden layers (None: float32); the heads always
    compute in float32. `synchronized`: BatchNormalization over the whole batch of all replicas.
    """
    images = keras.Input((config.image_size, config.image_size, 3), name="images")
    x = images
    for i, filters in enumerate(config.encoder_filters):
        x = layers.Conv2D(filters, config.kernel_size, 2, "same", name=f"conv_{i}", dtype=dtype)(x)
        if config.batch_norm:
            x = _batch_norm(f"conv_{i}_bn", dtype, synchronized)(x)
        x = layers.LeakyReLU(config.leaky_relu_slope, name=f"conv_{i}_act", dtype=dtype)(x)
    x = layers.Flatten(name="flatten", dtype=dtype)(x)
    if config.intermediate_dense is not None:
        x = layers.Dense(config.intermediate_dense, name="intermediate_dense", dtype=dtype)(x)
    if config.kind == "ae":
        outputs = layers.Dense(config.z_dim, name="z", dtype=_FLOAT32)(x)
    else:
        outputs = [
            layers.Dense(config.z_dim, name="z_mean", dtype=_FLOAT32)(x),
            layers.Dense(config.z_dim, name="z_log_var", dtype=_FLOAT32)(x),
        ]
    return keras.Model(images, outputs, name="encoder")


def build_decoder(
    config: ModelConfig, dtype: str | None = None, synchronized: bool = False
) -> keras.Model:
    """z -> image in [0, 1] (sigmoid), mirroring the encoder with Conv2DTranspose layers.

    `dtype` and `synchronized` as for `build_encoder`; the sigmoid output is always float32.
    """
    side = config.bottleneck_size
    z = keras.Input((config.z_dim,), name="z")
    x = layers.Dense(side * side * config.encoder_filters[-1], name="dense", dtype=dtype)(z)
    x = layers.Reshape((side, side, config.encoder_filters[-1]), name="reshape", dtype=dtype)(x)
    for i, filters in enumerate(config.decoder_filters):
        deconv = layers.Conv2DTranspose(
            filters, config.kernel_size, 2, "same", name=f"deconv_{i}", dtype=dtype
        )
        x = deconv(x)
        if config.batch_norm:
            x = _batch_norm(f"deconv_{i}_bn", dtype, synchronized)(x)
        x = layers.LeakyReLU(config.leaky_relu_slope, name=f"deconv_{i}_act", dtype=dtype)(x)
    x = layers.Conv2DTranspose(3, config.kernel_size, 2, "same", name="deconv_rgb", dtype=dtype)(x)
    images = layers.Activation("sigmoid", name="sigmoid", dtype=_FLOAT32)(x)
    return keras.Model(z, images, name="decoder")


def _batch_norm(name: str, dtype: str | None, synchronized: bool) -> layers.Layer:
    if synchronized:  # only then: the argument changes the layer's saved configuration
        return layers.BatchNormalization(name=name, dtype=dtype, synchronized=True)
    return layers.BatchNormalization(name=name, dtype=dtype)
