"""Memory and disk checks: the parameter count against Keras, and refusals that come at once."""

import time

import pytest

from model import budget
from model.budget import (
    TooLarge,
    check_analysis_fits,
    check_dataset_fits,
    check_training_fits,
    parameter_counts,
    readable_bytes,
)
from model.config import preset
from model.networks import build_decoder, build_encoder
from model.pipeline.analysis import AnalysisConfig


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"model.kind": "ae", "model.batch_norm": "false"},
        {"model.intermediate_dense": "32", "model.kernel_size": "5"},
        {"model.image_size": "96", "model.z_dim": "16", "model.encoder_filters": "8,8,16,16",
         "model.decoder_filters": "16,8,8"},
    ],
)  # fmt: skip
def test_parameter_counts_equal_the_built_networks(overrides):
    config = preset("demo").with_overrides({"model.z_dim": "8", **overrides}).model
    counted = parameter_counts(config)
    assert counted["encoder"] == build_encoder(config).count_params()
    assert counted["decoder"] == build_decoder(config).count_params()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"model.z_dim": "10000000"}, "z_dim 10000000"),
        ({"train.batch_size": "10000000"}, "batch_size 10000000"),
        ({"model.kernel_size": "64", "model.encoder_filters": "512,1024,2048,4096",
          "model.decoder_filters": "2048,1024,512"}, "kernel_size 64"),
    ],
)  # fmt: skip
def test_training_that_cannot_fit_is_refused_at_once(overrides, named):
    config = preset("demo").with_overrides(overrides)
    started = time.monotonic()
    with pytest.raises(TooLarge, match=f"{named}.* needs about .* of memory, and this machine"):
        check_training_fits(config)
    assert time.monotonic() - started < 1  # no network was built
    check_training_fits(preset("celeba"))  # the studies' own model fits


def test_the_estimate_follows_the_machine(monkeypatch):
    config = preset("demo")
    needed = budget.training_bytes(config)
    monkeypatch.setattr(budget, "free_memory", lambda: needed + 1)
    check_training_fits(config)
    monkeypatch.setattr(budget, "free_memory", lambda: needed - 1)
    with pytest.raises(TooLarge):
        check_training_fits(config)


def test_a_data_set_larger_than_the_disk_is_refused(tmp_path, monkeypatch):
    with pytest.raises(TooLarge, match=r"100,000 images of 4096 px needs about 5.03 TB of disk"):
        check_dataset_fits(tmp_path / "datasets" / "big", 100_000, 4096, 8)
    with pytest.raises(TooLarge, match="building 100000 px images needs about 240 GB of memory"):
        check_dataset_fits(tmp_path / "datasets" / "big", 10, 100_000, 8)
    check_dataset_fits(tmp_path / "datasets" / "small", 20_000, 64, 500)


def test_k_means_beyond_the_points_is_refused_but_the_studies_curve_is_cut(monkeypatch):
    with pytest.raises(ValueError, match="k=100000, but there are only 600 latents"):
        check_analysis_fits(AnalysisConfig(kmeans_ks=(2, 100_000)), (600, 64))
    check_analysis_fits(AnalysisConfig(), (50, 64))  # k up to 80 on 50 points: cut to 48
    with pytest.raises(TooLarge, match="random vectors per baseline"):
        check_analysis_fits(AnalysisConfig(baseline_samples=10**12), (600, 64))


def test_readable_bytes():
    assert [readable_bytes(n) for n in (12, 4_500, 820e6, 1.4e9, 5.03e12)] == [
        "12 bytes", "4.5 KB", "820 MB", "1.4 GB", "5.03 TB"
    ]  # fmt: skip
