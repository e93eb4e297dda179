"""The studies' loss terms, per image (summed over pixels or latent dimensions)."""

from __future__ import annotations

from keras import ops

from model.config import ReconstructionLoss

_PROB_EPS = 1e-7  # keeps log() finite, as Keras' binary cross-entropy does


def kl_divergence(z_mean, z_log_var):
    """KL(N(mu, exp(logvar)) || N(0, I)) per image: -0.5 * sum(1 + logvar - mu^2 - exp(logvar))."""
    terms = 1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)
    return -0.5 * ops.sum(terms, axis=-1)


def reconstruction_loss(images, reconstructions, kind: ReconstructionLoss):
    """Per image: binary cross-entropy summed over all pixels, or mean squared error."""
    axes = tuple(range(1, len(images.shape)))
    if kind == "bce":
        p = ops.clip(reconstructions, _PROB_EPS, 1.0 - _PROB_EPS)
        bce = -(images * ops.log(p) + (1.0 - images) * ops.log(1.0 - p))
        return ops.sum(bce, axis=axes)
    if kind == "mse":
        return ops.mean(ops.square(images - reconstructions), axis=axes)
    raise ValueError(f"unknown reconstruction loss {kind!r}; expected 'bce' or 'mse'")
