"""The run stages end to end on a tiny data set: manifest, skipping, refusing, latents."""

import json

import numpy as np
import pytest

from model.data.store import Dataset
from model.network_files import load_network
from model.pipeline.runs import MANIFEST_FILE, Run, RunError
from model.pipeline.stages import encode_stage, train_stage
from tests.support import tiny_config, write_blob_dataset


@pytest.fixture
def trained(encoded):
    """Run `tiny` trained and encoded with tiny_config() on the 96 blobs (batches of 40)."""
    return encoded


def test_manifest_records_every_stage(trained):
    manifest = json.loads((trained.run("tiny") / MANIFEST_FILE).read_text())
    assert manifest["schema_version"] == 3 and manifest["seed"] == 0
    assert manifest["config"] == json.loads(json.dumps(tiny_config().to_dict()))
    assert {"python", "numpy", "keras"} <= set(manifest["libraries"])
    assert manifest["code_version"]
    assert manifest["dataset"]["count"] == 96 and manifest["dataset"]["name"] == "blobs"
    assert manifest["dataset"]["source"] == {"kind": "blobs", "seed": 0}  # all of dataset.json's
    train, encode = manifest["stages"]["train"], manifest["stages"]["encode"]
    assert train["metrics"]["epochs"] == 2 and train["elapsed_seconds"] > 0
    assert set(train["metrics"]) >= {"total_loss", "reconstruction_loss", "kl_loss", "parameters"}
    assert set(train["files"]) == {
        "train/encoder.keras",
        "train/decoder.keras",
        "train/decoder.onnx",
        "train/history.json",
        "train/checkpoint.npz",
    }
    assert set(encode["files"]) == {"latents/z.npy", "latents/mu.npy", "latents/logvar.npy"}
    for record in [*train["files"].values(), *encode["files"].values()]:
        assert len(record["sha256"]) == 64 and record["size"] > 0


def test_latents_are_aligned_with_the_images(trained):
    run_dir = trained.run("tiny")
    z, mu, logvar = (np.load(run_dir / "latents" / f"{n}.npy") for n in ("z", "mu", "logvar"))
    assert z.shape == mu.shape == logvar.shape == (96, 8) and z.dtype == np.float32
    dataset = Dataset(trained.dataset("blobs"))
    encoder = load_network(run_dir / "train" / "encoder.keras")
    rows = [0, 37, 95]  # first, middle of a batch, last (partial batch)
    expected_mu, expected_logvar = encoder.predict(dataset.take(rows) / 255.0, verbose=0)
    np.testing.assert_allclose(mu[rows], expected_mu, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(logvar[rows], expected_logvar, rtol=1e-4, atol=1e-5)
    # z is sampled around mu with the clipped eps: |z - mu| <= 5 sigma, and not equal to mu
    sigma = np.exp(logvar / 2)
    assert np.all(np.abs(z - mu) <= 5 * sigma + 1e-5) and not np.allclose(z, mu)


def test_stages_skip_when_current(trained):
    manifest = (trained.run("tiny") / MANIFEST_FILE).read_text()
    assert not train_stage(trained, "tiny", tiny_config(), progress=False).ran
    assert not encode_stage(trained, "tiny", batch_size=40, progress=False).ran
    assert (trained.run("tiny") / MANIFEST_FILE).read_text() == manifest


def test_the_latents_do_not_depend_on_the_batch_size(trained):
    """Each image's eps comes from the seed row after row: encoded in batches of 40 (the
    fixture) or of 7, the latents are the same bytes, so another batch size is up to date."""
    latents = trained.run("tiny") / "latents"
    before = {name: (latents / f"{name}.npy").read_bytes() for name in ("z", "mu", "logvar")}
    assert not encode_stage(trained, "tiny", batch_size=16, progress=False).ran
    assert encode_stage(trained, "tiny", batch_size=7, force=True, progress=False).ran
    assert {name: (latents / f"{name}.npy").read_bytes() for name in before} == before
    z, mu, logvar = (np.load(latents / f"{name}.npy") for name in ("z", "mu", "logvar"))
    eps = (z - mu) / np.exp(logvar / 2)
    assert 0.8 < eps.std() < 1.2 and np.abs(eps).max() <= 5.0 + 1e-4  # N(0, 1) clipped at 5


def test_training_a_different_model_over_a_run_is_refused_unless_forced(trained):
    other = tiny_config(**{"model.z_dim": "4"})
    with pytest.raises(ValueError, match="--force"):
        train_stage(trained, "tiny", other, progress=False)
    assert Run.open(trained.run("tiny")).config == tiny_config()
    assert train_stage(trained, "tiny", other, force=True, progress=False).ran
    run = Run.open(trained.run("tiny"))
    assert run.config == other and run.stage("encode") is None
    assert not (trained.run("tiny") / "latents").exists()


def test_more_epochs_continue_and_invalidate_the_latents(trained):
    report = train_stage(trained, "tiny", tiny_config(**{"train.epochs": "3"}), progress=False)
    assert "resumed from epoch 2" in report.message
    run = Run.open(trained.run("tiny"))
    assert run.stage("train")["metrics"]["epochs"] == 3 and run.stage("encode") is None
    assert encode_stage(trained, "tiny", batch_size=40, progress=False).ran


def test_damaged_files_are_named_with_the_command_that_rebuilds_them(trained):
    run_dir = trained.run("tiny")
    (run_dir / "latents" / "mu.npy").unlink()
    with (run_dir / "train" / "history.json").open("a") as handle:
        handle.write(" ")
    run = Run.open(run_dir)
    with pytest.raises(RunError) as error:
        run.check("train", "encode")
    message = str(error.value)
    train, encode = (f"python -m scripts.{name} --run tiny --artifacts {trained.root}"
                     for name in ("train", "encode"))  # fmt: skip
    assert "mu.npy is missing" in message and f"`{encode}`" in message
    assert "history.json does not match" in message and f"`{train}`" in message
    assert error.value.fix == train  # the first stage to remake
    # the commands named rebuild exactly the damaged files
    assert train_stage(trained, "tiny", tiny_config(), progress=False).ran
    assert Run.open(run_dir).file_problems("train") == []
    assert encode_stage(trained, "tiny", batch_size=40, progress=False).ran
    assert Run.open(run_dir).file_problems("encode") == []


def test_rebuilt_data_set_is_detected(trained):
    write_blob_dataset(trained.dataset("blobs"), seed=1, overwrite=True)
    with pytest.raises(RunError, match="rebuilt after run tiny was trained on it: .* other images"):
        encode_stage(trained, "tiny", batch_size=40, force=True, progress=False)


def test_a_byte_identical_rebuild_is_the_same_data_set(trained):
    write_blob_dataset(trained.dataset("blobs"), overwrite=True)  # a new build time, same images
    assert not train_stage(trained, "tiny", tiny_config(), progress=False).ran
    assert encode_stage(trained, "tiny", batch_size=40, force=True, progress=False).ran


def test_missing_things_get_clear_messages(layout, tmp_path):
    with pytest.raises(RunError, match="data set .*nowhere not found.*prepare_data"):
        train_stage(layout, "x", tiny_config(dataset="nowhere"), progress=False)
    with pytest.raises(RunError, match="no run ghost under .*scripts.train --preset demo"):
        encode_stage(layout, "ghost", progress=False)
    (layout.run("broken")).mkdir(parents=True)
    (layout.run("broken") / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(ValueError, match="manifest.json is not valid JSON"):
        Run.open(layout.run("broken"))


