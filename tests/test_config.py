import dataclasses

import pytest

from model.config import PRESETS, ModelConfig, RunConfig, TrainConfig, preset


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "gan"}, "model.kind"),
        ({"reconstruction_loss": "l1"}, "model.reconstruction_loss"),
        ({"z_dim": 0}, "model.z_dim"),
        ({"image_size": 100}, "multiple of 16"),
        ({"image_size": 8}, "multiple of 16"),
        ({"decoder_filters": (64, 32)}, "decoder_filters"),
        ({"kl_factor": -1.0}, "kl_factor"),
        ({"intermediate_dense": 0}, "intermediate_dense"),
        ({"eps_limit": 0.0}, "eps_limit"),
        ({"encoder_filters": ()}, "encoder_filters"),
    ],
)
def test_model_config_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(ModelConfig(), **changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "train.epochs"),
        ({"batch_size": -1}, "batch_size"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"seed": -2}, "seed"),
    ],
)
def test_train_config_rejects_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_defaults_are_the_studies_settings():
    model, train = ModelConfig(), TrainConfig()
    assert (model.image_size, model.z_dim, model.kl_factor) == (96, 256, 5.0)
    assert model.encoder_filters == (32, 64, 128, 256) and model.decoder_filters == (128, 64, 32)
    assert (train.batch_size, train.learning_rate, train.epochs) == (128, 0.0005, 24)
    assert model.bottleneck_size == 6


def test_presets_cover_the_studies_comparison():
    assert {"demo", "celeba", "ae", "tiny-kl"} <= set(PRESETS)
    assert preset("ae").model.kind == "ae" and not preset("ae").model.batch_norm
    assert preset("tiny-kl").model.kl_factor == 1e-5
    assert preset("ae").model.image_size == preset("celeba").model.image_size == 96
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        preset("nope")


@pytest.mark.parametrize("name", list(PRESETS))
def test_dict_round_trip(name):
    config = PRESETS[name]
    assert RunConfig.from_dict(config.to_dict()) == config


def test_from_dict_names_unknown_keys():
    data = preset("demo").to_dict()
    data["model"]["zdim"] = 3
    with pytest.raises(ValueError, match="unknown model settings: zdim"):
        RunConfig.from_dict(data)


def test_overrides_parse_to_the_setting_type():
    config = preset("demo").with_overrides(
        {
            "model.z_dim": "32",
            "model.batch_norm": "false",
            "train.learning_rate": "1e-3",
            "model.intermediate_dense": "256",
            "model.encoder_filters": "16,32,64,64",
            "model.decoder_filters": "64,32,16",
        }
    )
    assert config.model.z_dim == 32 and config.model.batch_norm is False
    assert config.train.learning_rate == 1e-3 and config.model.intermediate_dense == 256
    assert config.model.encoder_filters == (16, 32, 64, 64)
    with pytest.raises(ValueError, match="unknown setting 'model.nope'"):
        config.with_overrides({"model.nope": "1"})
    with pytest.raises(ValueError, match="cannot set model.z_dim to 'many'"):
        config.with_overrides({"model.z_dim": "many"})
    with pytest.raises(ValueError, match="data set name .* is not allowed"):
        config.with_overrides({"dataset": "../elsewhere"})
