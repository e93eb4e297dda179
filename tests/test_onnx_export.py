"""The decoder as ONNX gives the faces Keras gives: the studies' VAE (BatchNorm with real
statistics), the AE and an imported decoder of another architecture; what cannot be converted is
named, layer and op."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from model import onnx_export
from model.config import preset
from model.generation import to_uint8
from model.networks import build_decoder
from model.onnx_decoder import OnnxDecoder
from model.onnx_export import ExportError, export_decoder


def _with_batch_norm_statistics(network):
    """Moving means and variances away from 0 and 1, as training leaves them."""
    rng = np.random.default_rng(0)
    for weight in network.weights:
        if "moving_mean" in weight.path:
            weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32"))
        elif "moving_variance" in weight.path:
            weight.assign(rng.uniform(0.3, 3.0, weight.shape).astype("float32"))
    return network


def _other_architecture(z_dim=16):
    """An imported decoder as another project might build it: upsampling and plain convs."""
    z = keras.Input((z_dim,), name="code")
    x = keras.layers.Dense(8 * 8 * 16, activation="relu")(z)
    x = keras.layers.Reshape((8, 8, 16))(x)
    x = keras.layers.UpSampling2D()(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="elu")(x)
    x = keras.layers.UpSampling2D(interpolation="bilinear")(x)
    x = keras.layers.Conv2D(3, 5, padding="same")(x)
    return keras.Model(z, keras.layers.Activation("sigmoid")(x))


DECODERS = {
    "vae": lambda: _with_batch_norm_statistics(build_decoder(preset("demo").model)),
    "ae": lambda: build_decoder(preset("demo-ae").model),
    "imported": _other_architecture,
}


@pytest.mark.parametrize("kind", list(DECODERS))
def test_the_onnx_decoder_gives_the_same_faces(kind, tmp_path):
    network = DECODERS[kind]()
    difference = export_decoder(network, tmp_path / "decoder.onnx")
    assert difference <= onnx_export.TOLERANCE
    decoder = OnnxDecoder(tmp_path / "decoder.onnx")
    z_dim = network.input_shape[-1]
    z = np.random.default_rng(1).normal(0, 1.5, (512, z_dim)).astype(np.float32)
    ours, theirs = decoder.decode(z), to_uint8(network.predict(z, verbose=0))
    assert ours.shape == theirs.shape and ours.dtype == np.uint8
    apart = np.abs(ours.astype(int) - theirs.astype(int))
    assert apart.max() <= 1 and np.mean(apart > 0) <= 0.001


def test_an_op_onnx_cannot_express_is_named_with_its_layer(tmp_path):
    z = keras.Input((4,))
    x = keras.layers.Dense(12)(z)
    x = keras.layers.Lambda(lambda t: tf.math.lgamma(t), name="wave")(x)
    x = keras.layers.Reshape((2, 2, 3))(keras.layers.Activation("sigmoid")(x))
    with pytest.raises(ExportError, match="layer 'wave' uses TensorFlow ops that ONNX cannot "
                       "express: Lgamma"):  # fmt: skip
        export_decoder(keras.Model(z, x), tmp_path / "decoder.onnx")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_an_onnx_decoder_that_differs_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_export, "TOLERANCE", 0.0)
    differs = r"differs from the Keras one by up to .*at most 0 is allowed"
    with pytest.raises(ExportError, match=differs):
        export_decoder(_with_batch_norm_statistics(build_decoder(preset("demo").model)),
                       tmp_path / "decoder.onnx")  # fmt: skip
    assert list(tmp_path.iterdir()) == []
