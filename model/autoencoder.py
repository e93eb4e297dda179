"""The trainable (V)AE: encoder + sampling + decoder with the studies' custom train_step."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from model.config import ModelConfig
from model.losses import kl_divergence, reconstruction_loss
from model.networks import Sampling, build_decoder, build_encoder

METRIC_NAMES = ("total_loss", "reco_loss", "kl_loss")


class LatentAutoencoder(keras.Model):
    """VAE (loss = reco + kl_factor * KL) or plain AE (loss = reco), per `config.kind`.

    Encoder and decoder are separate Functional models, saved and loaded on their own.
    """

    def __init__(self, config: ModelConfig, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.encoder = build_encoder(config)
        self.decoder = build_decoder(config)
        self.sampling = Sampling(config.eps_limit, seed=seed, name="sampling")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}

    def build(self, input_shape) -> None:
        # Encoder and decoder are Functional models, built on construction.
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def encode(self, images, eps_factor: float = 0.0, training: bool = False):
        """Return (z, z_mean, z_log_var); for an AE z_mean is z and z_log_var is None."""
        if self.config.kind == "ae":
            z = self.encoder(images, training=training)
            return z, z, None
        z_mean, z_log_var = self.encoder(images, training=training)
        return self.sampling(z_mean, z_log_var, eps_factor=eps_factor), z_mean, z_log_var

    def call(self, images, training: bool = False):
        z, _, _ = self.encode(images, eps_factor=1.0 if training else 0.0, training=training)
        return self.decoder(z, training=training)

    def compute_losses(self, images, training: bool) -> dict[str, tf.Tensor]:
        z, z_mean, z_log_var = self.encode(images, eps_factor=float(training), training=training)
        reconstructions = self.decoder(z, training=training)
        reco = ops.mean(
            reconstruction_loss(images, reconstructions, self.config.reconstruction_loss)
        )
        if z_log_var is None:
            kl = ops.zeros_like(reco)
        else:
            kl = ops.mean(kl_divergence(z_mean, z_log_var))
        total = reco + self.config.kl_factor * kl
        return {"total_loss": total, "reco_loss": reco, "kl_loss": kl}

    def train_step(self, images):
        with tf.GradientTape() as tape:
            losses = self.compute_losses(images, training=True)
        gradients = tape.gradient(losses["total_loss"], self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self._track(losses)

    def test_step(self, images):
        return self._track(self.compute_losses(images, training=False))

    def _track(self, losses: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        for name, value in losses.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def build_autoencoder(config: ModelConfig, learning_rate: float, seed: int) -> LatentAutoencoder:
    """A compiled model with seeded initial weights (same seed, same weights)."""
    keras.utils.set_random_seed(seed)
    model = LatentAutoencoder(config, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate))
    model.build((None, config.image_size, config.image_size, 3))
    model.optimizer.build(model.trainable_variables)
    return model
