"""The trainable (V)AE: encoder + sampling + decoder with the studies' custom train_step."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from model.config import ModelConfig
from model.losses import kl_divergence, reconstruction_loss
from model.networks import Sampling, build_decoder, build_encoder

METRIC_NAMES = ("total_loss", "reconstruction_loss", "kl_loss")


class LatentAutoencoder(keras.Model):
    """VAE (loss = reconstruction + kl_factor * KL) or plain AE (loss = reconstruction), per
    `config.kind`.

    Encoder and decoder are separate Functional models, saved and loaded on their own.
    """

    def __init__(
        self,
        config: ModelConfig,
        seed: int = 0,
        dtype_policy: str | None = None,
        synchronized: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.config = config
        # float32 on one device, or not: then the saved networks are float32 copies
        self.plain = dtype_policy is None and not synchronized
        self.encoder = build_encoder(config, dtype_policy, synchronized)
        self.decoder = build_decoder(config, dtype_policy, synchronized)
        self.sampling = Sampling(config.eps_limit, seed=seed, name="sampling")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}

    def build(self, input_shape) -> None:
        # Encoder and decoder are Functional models, built on construction.
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def encode(self, images, eps_factor: float = 0.0, training: bool = False, rows=None):
        """Return (z, z_mean, z_log_var); for an AE z_mean is z and z_log_var is None.
        `rows`: (offset, total) of this replica's part of a split batch (see `Sampling`)."""
        if self.config.kind == "ae":
            z = self.encoder(images, training=training)
            return z, z, None
        z_mean, z_log_var = self.encoder(images, training=training)
        z = self.sampling(z_mean, z_log_var, eps_factor=eps_factor, rows=rows)
        return z, z_mean, z_log_var

    def call(self, images, training: bool = False):
        z, _, _ = self.encode(images, eps_factor=1.0 if training else 0.0, training=training)
        return self.decoder(z, training=training)

    def compute_losses(self, images, training: bool, rows=None) -> dict[str, tf.Tensor]:
        """The batch's mean losses; with `rows` (offset, total), this replica's share of the
        whole batch's mean (its sum over `total`), so the replicas' shares add up to it."""
        z, z_mean, z_log_var = self.encode(
            images, eps_factor=float(training), training=training, rows=rows
        )
        reconstructions = self.decoder(z, training=training)
        per_image = reconstruction_loss(images, reconstructions, self.config.reconstruction_loss)

        def mean(values):
            if rows is None:
                return ops.mean(values)
            return ops.sum(values) / ops.cast(rows[1], "float32")

        reconstruction = mean(per_image)
        kl = (
            ops.zeros_like(reconstruction)
            if z_log_var is None
            else mean(kl_divergence(z_mean, z_log_var))
        )
        total = reconstruction + self.config.kl_factor * kl
        return {"total_loss": total, "reconstruction_loss": reconstruction, "kl_loss": kl}

    def train_step(self, images):
        return self._track(self._apply_gradients(images))

    def replica_train_step(self, images, offset, total) -> dict[str, tf.Tensor]:
        """One replica's part of a distributed step: its rows offset.. of a batch of `total`.
        Returns its shares of the losses (sum them over replicas for the batch's)."""
        return self._apply_gradients(images, rows=(offset, total))

    def _apply_gradients(self, images, rows=None) -> dict[str, tf.Tensor]:
        with tf.GradientTape() as tape:
            losses = self.compute_losses(images, training=True, rows=rows)
            scaled = self.optimizer.scale_loss(losses["total_loss"])  # float16: loss scaling
        gradients = tape.gradient(scaled, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return losses

    def track(self, losses: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Add a step's losses to the running means; the running means."""
        return self._track(losses)

    def _track(self, losses: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        for name, value in losses.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def build_autoencoder(
    config: ModelConfig,
    learning_rate: float,
    seed: int,
    dtype_policy: str | None = None,
    synchronized: bool = False,
) -> LatentAutoencoder:
    """A compiled model with seeded initial weights (same seed, same weights). Build it inside
    a tf.distribute strategy's scope to train under it: the optimizer's variables are built
    here too, as Keras needs before a distributed step. "mixed_float16" adds dynamic loss
    scaling; bfloat16 has float32's range and needs none."""
    keras.utils.set_random_seed(seed)
    model = LatentAutoencoder(config, seed, dtype_policy=dtype_policy, synchronized=synchronized)
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    if dtype_policy == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer)
    model.build((None, config.image_size, config.image_size, 3))
    model.optimizer.build(model.trainable_variables)
    return model
