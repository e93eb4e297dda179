"""The studies' encoder and decoder networks, and the clipped reparameterisation layer."""

from __future__ import annotations

import keras
from keras import layers, ops

from model.config import ModelConfig


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

    def call(self, z_mean, z_log_var, eps_factor: float = 1.0):
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        eps = ops.clip(eps, -self.eps_limit, self.eps_limit)
        return z_mean + ops.exp(z_log_var / 2.0) * eps * eps_factor

    def get_config(self) -> dict:
        return {**super().get_config(), "eps_limit": self.eps_limit, "seed": self.seed}


def build_encoder(config: ModelConfig) -> keras.Model:
    """Image -> [z_mean, z_log_var] for a VAE, or -> z for an AE."""
    images = keras.Input((config.image_size, config.image_size, 3), name="images")
    x = images
    for i, filters in enumerate(config.encoder_filters):
        x = layers.Conv2D(filters, config.kernel_size, 2, "same", name=f"conv_{i}")(x)
        if config.batch_norm:
            x = layers.BatchNormalization(name=f"conv_{i}_bn")(x)
        x = layers.LeakyReLU(config.leaky_relu_slope, name=f"conv_{i}_act")(x)
    x = layers.Flatten(name="flatten")(x)
    if config.intermediate_dense is not None:
        x = layers.Dense(config.intermediate_dense, name="intermediate_dense")(x)
    if config.kind == "ae":
        outputs = layers.Dense(config.z_dim, name="z")(x)
    else:
        outputs = [
            layers.Dense(config.z_dim, name="z_mean")(x),
            layers.Dense(config.z_dim, name="z_log_var")(x),
        ]
    return keras.Model(images, outputs, name="encoder")


def build_decoder(config: ModelConfig) -> keras.Model:
    """z -> image in [0, 1] (sigmoid), mirroring the encoder with Conv2DTranspose layers."""
    side = config.bottleneck_size
    z = keras.Input((config.z_dim,), name="z")
    x = layers.Dense(side * side * config.encoder_filters[-1], name="dense")(z)
    x = layers.Reshape((side, side, config.encoder_filters[-1]), name="reshape")(x)
    for i, filters in enumerate(config.decoder_filters):
        x = layers.Conv2DTranspose(filters, config.kernel_size, 2, "same", name=f"deconv_{i}")(x)
        if config.batch_norm:
            x = layers.BatchNormalization(name=f"deconv_{i}_bn")(x)
        x = layers.LeakyReLU(config.leaky_relu_slope, name=f"deconv_{i}_act")(x)
    x = layers.Conv2DTranspose(3, config.kernel_size, 2, "same", name="deconv_rgb")(x)
    images = layers.Activation("sigmoid", name="sigmoid")(x)
    return keras.Model(z, images, name="decoder")
