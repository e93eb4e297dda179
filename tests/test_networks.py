import dataclasses

import keras
import numpy as np
import pytest

from model.config import ModelConfig
from model.networks import Sampling, build_decoder, build_encoder


@pytest.mark.parametrize(
    ("changes", "encoder_params", "decoder_params"),
    [
        ({}, 5_109_440, 2_757_571),  # the studies: 5.11 M / 2.76 M
        ({"intermediate_dense": 256}, 2_881_472, 2_757_571),  # "VAE XII": 2.88 M
        ({"z_dim": 512}, 9_828_544, 5_116_867),  # the studies' z_dim 512: 9.83 M / 5.1 M
    ],
)
def test_parameter_counts_match_the_studies(changes, encoder_params, decoder_params):
    config = dataclasses.replace(ModelConfig(), **changes)
    assert build_encoder(config).count_params() == encoder_params
    assert build_decoder(config).count_params() == decoder_params
    assert round(encoder_params / 1e6, 2) in (5.11, 2.88, 9.83)


@pytest.mark.parametrize("image_size", [64, 96])
def test_layer_shapes_follow_the_image_size(image_size):
    config = ModelConfig(image_size=image_size, z_dim=16)
    encoder, decoder = build_encoder(config), build_decoder(config)
    side = image_size // 16
    assert encoder.get_layer("conv_3").output.shape == (None, side, side, 256)
    assert encoder.get_layer("flatten").output.shape == (None, side * side * 256)
    assert [t.shape for t in encoder.outputs] == [(None, 16), (None, 16)]
    assert decoder.get_layer("reshape").output.shape == (None, side, side, 256)
    assert decoder.output.shape == (None, image_size, image_size, 3)
    images = decoder(np.random.default_rng(0).normal(size=(2, 16)).astype("float32"))
    assert float(keras.ops.min(images)) >= 0.0 and float(keras.ops.max(images)) <= 1.0


def test_ae_has_one_head_and_no_batch_norm():
    config = ModelConfig(kind="ae", batch_norm=False, image_size=64, z_dim=32)
    encoder = build_encoder(config)
    assert encoder.output.shape == (None, 32)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in encoder.layers)
    assert {layer.name for layer in encoder.layers} >= {"z"}


def test_sampling_clips_eps_to_the_limit():
    sampling = Sampling(eps_limit=0.5, seed=1)
    mu = np.zeros((4000, 8), "float32")
    eps = keras.ops.convert_to_numpy(sampling(mu, mu))  # logvar 0: z = eps
    assert np.abs(eps).max() == pytest.approx(0.5)
    assert np.mean(np.abs(eps) == 0.5) == pytest.approx(2 * (1 - 0.6915), abs=0.02)  # P(|N|>0.5)
    unclipped = keras.ops.convert_to_numpy(Sampling(eps_limit=5.0, seed=1)(mu, mu))
    assert np.abs(unclipped).max() <= 5.0 and unclipped.std() == pytest.approx(1.0, abs=0.02)


def test_sampling_follows_mu_and_logvar_and_eps_factor():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(20000, 2)).astype("float32")
    logvar = np.full_like(mu, np.log(0.25))  # sigma 0.5
    z = keras.ops.convert_to_numpy(Sampling(seed=3)(mu, logvar))
    assert np.std(z - mu) == pytest.approx(0.5, rel=0.03)
    z0 = keras.ops.convert_to_numpy(Sampling(seed=3)(mu, logvar, eps_factor=0.0))
    np.testing.assert_array_equal(z0, mu)
