"""Mixed precision: bfloat16 (CPU) or float16 with loss scaling (GPU) inside, float32 outside."""

import keras
import numpy as np

from model.autoencoder import build_autoencoder
from model.config import RunConfig
from model.distribute import start_replicas
from model.network_files import DECODER_FILE, ENCODER_FILE, load_network
from model.pipeline.runs import Run
from model.pipeline.stages import train_stage
from tests.support import tiny_config

IMAGES = np.random.default_rng(0).uniform(size=(8, 32, 32, 3)).astype("float32")


def _compute_dtypes(network: keras.Model) -> dict[str, str]:
    return {layer.name: layer.compute_dtype for layer in network.layers if layer.weights}


def test_mixed_layers_compute_low_but_heads_output_and_losses_stay_float32():
    model = build_autoencoder(tiny_config().model, 5e-4, seed=0, dtype_policy="mixed_bfloat16")
    encoder, decoder = _compute_dtypes(model.encoder), _compute_dtypes(model.decoder)
    assert encoder["conv_0"] == encoder["conv_0_bn"] == decoder["deconv_rgb"] == "bfloat16"
    assert encoder["z_mean"] == encoder["z_log_var"] == "float32"
    assert all(v.dtype == "float32" for v in model.trainable_variables)  # float32 master weights
    z_mean, z_log_var = model.encoder(IMAGES)
    assert z_mean.dtype == z_log_var.dtype == model.decoder(z_mean).dtype == "float32"
    losses = model.train_step(IMAGES)
    assert all(value.dtype == "float32" and np.isfinite(value) for value in losses.values())


def test_float16_scales_the_loss_dynamically_and_skips_overflowing_steps():
    model = build_autoencoder(tiny_config().model, 5e-4, seed=0, dtype_policy="mixed_float16")
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    before = [v.numpy() for v in model.trainable_variables]
    scale = float(optimizer.dynamic_scale)
    model.train_step(IMAGES)  # the BCE sum over pixels times 2**15 overflows float16's range...
    assert float(optimizer.dynamic_scale) == scale / 2  # ...so the scale halves
    for _ in range(12):
        losses = model.train_step(IMAGES)
    assert all(np.isfinite(value) for value in losses.values())
    after = [v.numpy() for v in model.trainable_variables]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))  # and it learns


def test_the_float32_default_builds_the_networks_exactly_as_before():
    """No dtype policy given: the layers are float32, and the config records the setting off."""
    config = tiny_config()
    model = build_autoencoder(config.model, 5e-4, seed=0)
    assert set(_compute_dtypes(model.encoder).values()) == {"float32"}
    assert model.plain
    assert config.to_dict()["train"]["mixed_precision"] is False
    mixed = config.with_overrides({"train.mixed_precision": "true"})
    assert mixed.to_dict()["train"]["mixed_precision"] is True
    assert RunConfig.from_dict(mixed.to_dict()) == mixed


def test_a_mixed_precision_run_records_it_and_saves_float32_networks(layout):
    config = tiny_config(**{"train.mixed_precision": "true", "train.epochs": "1"})
    train_stage(layout, "mixed", config, progress=False)
    run = Run.open(layout.run("mixed"))
    assert run.config.train.mixed_precision
    assert run.stage("train")["metrics"]["precision"] == "mixed_bfloat16"
    assert start_replicas().dtype_policy(True) == "mixed_bfloat16"  # no GPU here
    for name in (ENCODER_FILE, DECODER_FILE):
        network = load_network(layout.run("mixed") / "train" / name)
        assert set(_compute_dtypes(network).values()) == {"float32"}
    decoded = load_network(layout.run("mixed") / "train" / DECODER_FILE)(np.zeros((2, 8)))
    assert decoded.dtype == "float32" and np.isfinite(decoded).all()
