import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import model.autoencoder
from model.autoencoder import build_autoencoder
from model.checkpoint import read_checkpoint_record
from model.data.store import Dataset
from model.network_files import CHECKPOINT_FILE, DECODER_FILE, ENCODER_FILE, load_network
from model.training import CheckpointMismatch, TrainingDiverged, train
from tests.support import TINY_OVERRIDES, tiny_config, write_blob_dataset


class Interrupted(Exception):
    pass


def _interrupt_after(epochs: int):
    def callback(epoch: int) -> None:
        if epoch == epochs:
            raise Interrupted

    return callback


def _weights(path):
    return load_network(path).get_weights()


def _assert_same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


def test_resume_after_interruption_matches_an_uninterrupted_run(layout, tmp_path):
    config = tiny_config(**{"train.epochs": "3"})
    dataset = Dataset(layout.dataset("blobs"))
    straight = train(config, dataset, tmp_path / "straight", progress=False)
    with pytest.raises(Interrupted):
        train(
            config,
            dataset,
            tmp_path / "resumed",
            progress=False,
            on_epoch_end=_interrupt_after(1),
        )
    assert read_checkpoint_record(tmp_path / "resumed" / CHECKPOINT_FILE)["epoch"] == 1
    resumed = train(config, dataset, tmp_path / "resumed", progress=False)
    assert resumed.resumed_from_epoch == 1
    assert [e["total_loss"] for e in resumed.history] == [e["total_loss"] for e in straight.history]
    for name in (ENCODER_FILE, DECODER_FILE):
        _assert_same_weights(tmp_path / "straight" / name, tmp_path / "resumed" / name)


def test_continuing_to_more_epochs_equals_training_them_at_once(layout, tmp_path):
    """The studies trained 18 epochs, then 6 more: the same as 24 in one go."""
    dataset = Dataset(layout.dataset("blobs"))
    train(
        tiny_config(**{"train.epochs": "1"}), dataset, tmp_path / "two_steps", progress=False
    )
    result = train(tiny_config(), dataset, tmp_path / "two_steps", progress=False)
    assert result.resumed_from_epoch == 1 and len(result.history) == 2
    train(tiny_config(), dataset, tmp_path / "one_go", progress=False)
    _assert_same_weights(tmp_path / "two_steps" / DECODER_FILE, tmp_path / "one_go" / DECODER_FILE)


def test_training_lowers_the_loss_and_records_history(layout, tmp_path):
    config = tiny_config(**{"train.epochs": "4", "model.kl_factor": "3.0"})
    result = train(config, Dataset(layout.dataset("blobs")), tmp_path, progress=False)
    losses = [e["total_loss"] for e in result.history]
    assert [e["epoch"] for e in result.history] == [1, 2, 3, 4]
    assert losses[-1] < losses[0]
    for epoch in result.history:
        assert epoch["total_loss"] == pytest.approx(
            epoch["reconstruction_loss"] + 3.0 * epoch["kl_loss"], rel=1e-4
        )
    assert result.parameters["encoder"] == load_network(tmp_path / ENCODER_FILE).count_params()


def test_a_checkpoint_from_another_config_is_refused(layout, tmp_path):
    dataset = Dataset(layout.dataset("blobs"))
    train(tiny_config(**{"train.epochs": "1"}), dataset, tmp_path, progress=False)
    with pytest.raises(CheckpointMismatch, match="another configuration"):
        train(tiny_config(**{"model.z_dim": "4"}), dataset, tmp_path, progress=False)
    write_blob_dataset(tmp_path / "other", seed=1)  # other images
    with pytest.raises(CheckpointMismatch, match="another configuration or data set"):
        train(tiny_config(), Dataset(tmp_path / "other"), tmp_path, progress=False)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(layout, tmp_path, monkeypatch):
    dataset = Dataset(layout.dataset("blobs"))
    train(tiny_config(**{"train.epochs": "1"}), dataset, tmp_path, progress=False)
    before = (tmp_path / CHECKPOINT_FILE).read_bytes()
    real = model.autoencoder.reconstruction_loss
    monkeypatch.setattr(
        model.autoencoder, "reconstruction_loss", lambda x, y, kind: real(x, y, kind) * np.nan
    )
    with pytest.raises(TrainingDiverged, match=r"by epoch 2, batch 1 .*last good checkpoint"):
        train(tiny_config(), dataset, tmp_path, progress=False)
    assert (tmp_path / CHECKPOINT_FILE).read_bytes() == before


def test_saved_networks_load_with_identical_outputs(tmp_path):
    config = tiny_config().model
    trained = build_autoencoder(config, 5e-4, seed=0)
    images = np.random.default_rng(0).uniform(size=(4, 32, 32, 3)).astype("float32")
    trained(images, training=True)  # move BatchNorm statistics off their initial values
    from model.network_files import save_networks

    save_networks(trained, tmp_path)
    z = np.random.default_rng(1).normal(size=(5, config.z_dim)).astype("float32")
    decoder = load_network(tmp_path / DECODER_FILE)
    np.testing.assert_array_equal(
        decoder.predict(z, verbose=0), trained.decoder.predict(z, verbose=0)
    )
    encoder = load_network(tmp_path / ENCODER_FILE)
    for a, b in zip(encoder.predict(images, verbose=0), trained.encoder.predict(images, verbose=0)):
        np.testing.assert_array_equal(a, b)


def test_load_network_names_the_missing_or_broken_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="decoder.keras is missing"):
        load_network(tmp_path / "decoder.keras")
    (tmp_path / "decoder.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="could not be loaded"):
        load_network(tmp_path / "decoder.keras")


@pytest.mark.slow
def test_kill_9_mid_training_resumes_to_the_same_weights(layout, tmp_path):
    """A real SIGKILL in the middle of training, then the same command again."""
    settings = {**TINY_OVERRIDES, "train.epochs": "6"}
    args = [
        sys.executable,
        "-m",
        "scripts.train",
        "--preset",
        "demo",
        "--quiet",
        "--artifacts",
        str(layout.root),
    ]
    for key, value in settings.items():
        args += ["--set", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen([*args, "--run", "killed"], env=env)
    checkpoint = layout.run("killed") / "train.partial" / CHECKPOINT_FILE
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if checkpoint.exists() and read_checkpoint_record(checkpoint)["epoch"] >= 1:
            break
        time.sleep(0.05)
    assert process.poll() is None, "training finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    epoch = read_checkpoint_record(checkpoint)["epoch"]
    assert 1 <= epoch < 6
    subprocess.run([*args, "--run", "killed"], env=env, check=True)
    subprocess.run([*args, "--run", "clean"], env=env, check=True)
    _assert_same_weights(
        layout.run("killed") / "train" / DECODER_FILE, layout.run("clean") / "train" / DECODER_FILE
    )
