"""Typed, validated configuration of a run: the model, its training, and the data set it uses.

Presets are the named configurations `python -m scripts.train --preset NAME` starts from.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from model.names import check_name

ModelKind = Literal["vae", "ae"]
# "studies": the networks model.networks builds from this config; "imported": a Keras encoder
# and decoder trained elsewhere (scripts.import_model), of which the config records only the
# kind, image size, z_dim and KL factor.
Architecture = Literal["studies", "imported"]
ReconstructionLoss = Literal["bce", "mse"]
# How `train` spreads a run over devices (model.distribute); not part of a run's configuration,
# since it does not change what the run is.
DistributeMode = Literal["none", "mirrored", "multi-worker"]
DISTRIBUTE_MODES: tuple[str, ...] = get_args(DistributeMode)


@dataclass(frozen=True)
class ModelConfig:
    """The studies' convolutional (V)AE; defaults are their CelebA settings."""

    kind: ModelKind = "vae"  # vae: mu/logvar heads + KL; ae: one z head, no KL
    image_size: int = 96  # square RGB input; must halve cleanly through every conv layer
    z_dim: int = 256  # latent dimensions
    encoder_filters: tuple[int, ...] = (32, 64, 128, 256)  # Conv2D, stride 2 each
    decoder_filters: tuple[int, ...] = (128, 64, 32)  # Conv2DTranspose; a 3-channel one follows
    kernel_size: int = 3
    batch_norm: bool = True  # BatchNormalization after every hidden conv layer
    intermediate_dense: int | None = None  # study "VAE XII": Dense(n) between Flatten and heads
    leaky_relu_slope: float = 0.3  # Keras' LeakyReLU default, as in the studies
    reconstruction_loss: ReconstructionLoss = "bce"  # bce summed over pixels; mse averaged
    kl_factor: float = 5.0  # loss = reconstruction + kl_factor * KL ("fact"); ignored for ae
    eps_limit: float = 5.0  # sampled eps is clipped to |eps| <= eps_limit
    architecture: Architecture = "studies"

    def __post_init__(self) -> None:
        _check_choice("model.kind", self.kind, ModelKind)
        _check_choice("model.reconstruction_loss", self.reconstruction_loss, ReconstructionLoss)
        _check_choice("model.architecture", self.architecture, Architecture)
        _check_count("model.z_dim", self.z_dim, MAX_WIDTH)
        _check_count("model.image_size", self.image_size, MAX_IMAGE_SIZE)
        if not 0 <= self.kl_factor < math.inf:
            raise ValueError(f"model.kl_factor must be a number >= 0, got {self.kl_factor}")
        _check_positive("model.eps_limit", self.eps_limit)
        if self.architecture == "imported":
            return  # the layer settings below describe only the studies' networks
        _check_count("model.kernel_size", self.kernel_size, MAX_IMAGE_SIZE)
        if self.kernel_size > self.image_size:
            raise ValueError(
                f"model.kernel_size {self.kernel_size} is wider than the {self.image_size} px "
                "images (the studies use 3)"
            )
        if not self.encoder_filters:
            raise ValueError("model.encoder_filters must hold at least one layer")
        for name in ("encoder_filters", "decoder_filters"):
            for filters in getattr(self, name):
                _check_count(f"model.{name}", filters, MAX_WIDTH)
        if len(self.decoder_filters) != len(self.encoder_filters) - 1:
            raise ValueError(
                f"model.decoder_filters needs {len(self.encoder_filters) - 1} entries (one fewer "
                f"than encoder_filters; the RGB layer is added), got {self.decoder_filters}"
            )
        stride_product = 2 ** len(self.encoder_filters)
        if self.image_size < stride_product or self.image_size % stride_product:
            raise ValueError(
                f"model.image_size {self.image_size} must be a multiple of {stride_product} "
                f"(one halving per conv layer), e.g. 64 or 96"
            )
        if self.intermediate_dense is not None:
            _check_count("model.intermediate_dense", self.intermediate_dense, MAX_WIDTH)
        if not 0 <= self.leaky_relu_slope < math.inf:
            raise ValueError(
                f"model.leaky_relu_slope must be a number >= 0, got {self.leaky_relu_slope}"
            )

    @property
    def bottleneck_size(self) -> int:
        """Side of the last encoder feature map (6 for 96 px, 4 for 64 px)."""
        return self.image_size // 2 ** len(self.encoder_filters)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 24
    batch_size: int = 128
    learning_rate: float = 0.0005  # Adam
    seed: int = 0  # weights, shuffling and sampled eps all follow from it
    # float16 on a GPU, bfloat16 on a CPU; the heads, the sigmoid output and the losses stay
    # float32, and float16 gets dynamic loss scaling
    mixed_precision: bool = False

    def __post_init__(self) -> None:
        _check_count("train.epochs", self.epochs, MAX_EPOCHS)
        _check_count("train.batch_size", self.batch_size, MAX_BATCH)
        if not 0 < self.learning_rate < math.inf:
            raise ValueError(f"train.learning_rate must be a number > 0, got {self.learning_rate}")
        check_seed("train.seed", self.seed)


@dataclass(frozen=True)
class RunConfig:
    """A whole run: which data set (a directory name under artifacts/datasets), model, training."""

    dataset: str = "synthetic64"
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        check_name("data set", self.dataset)

    def to_dict(self) -> dict[str, Any]:
        """Every setting."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        _check_keys("config", data, cls)
        model = dict(data.get("model", {}))
        _check_keys("model", model, ModelConfig)
        for key in ("encoder_filters", "decoder_filters"):
            if key in model:
                model[key] = tuple(model[key])
        train = dict(data.get("train", {}))
        _check_keys("train", train, TrainConfig)
        return cls(
            dataset=data.get("dataset", cls.dataset),
            model=ModelConfig(**model),
            train=TrainConfig(**train),
        )

    def with_overrides(self, overrides: dict[str, str]) -> RunConfig:
        """Apply `section.key=value` string overrides, e.g. {"model.z_dim": "64"}."""
        data = dataclasses.asdict(self)
        for dotted, text in overrides.items():
            section, _, key = dotted.partition(".")
            target = data if not key else data.get(section)
            key = key or section
            if not isinstance(target, dict) or key not in target:
                raise ValueError(f"unknown setting {dotted!r}")
            target[key] = _parse_like(dotted, text, target[key])
        return RunConfig.from_dict(data)


MAX_SEED = 2**32 - 1  # what numpy, TensorFlow and scikit-learn all accept
# Far beyond any model this machine trains, but bounded: a manifest cannot ask for 10^30 units.
MAX_WIDTH, MAX_IMAGE_SIZE, MAX_EPOCHS, MAX_BATCH = 2**24, 2**13, 10**6, 2**24


def check_seed(name: str, value: object) -> None:
    """ValueError naming `name` unless `value` is a seed every library here accepts."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ValueError(f"{name} must be a whole number from 0 to {MAX_SEED}, got {value!r}")


def _check_choice(name: str, value: Any, choices: Any) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def _check_count(name: str, value: object, maximum: int) -> None:
    """ValueError naming `name` unless `value` is a whole number from 1 to `maximum`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ValueError(f"{name} must be a whole number from 1 to {maximum}, got {value!r}")


def _check_positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def _check_keys(section: str, data: dict[str, Any], cls: type) -> None:
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ValueError(f"unknown {section} settings: {', '.join(sorted(unknown))}")


def _parse_like(name: str, text: str, current: Any) -> Any:
    """Parse an override string into the type of the setting's current value."""
    try:
        if isinstance(current, bool):
            if text.lower() not in ("true", "false"):
                raise ValueError("expected true or false")
            return text.lower() == "true"
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        if isinstance(current, list | tuple):
            return tuple(int(part) for part in text.split(","))
        if current is None:
            return None if text.lower() == "none" else int(text)
        return text
    except ValueError as error:
        raise ValueError(f"cannot set {name} to {text!r}: {error}") from error


# Sized for 2 CPU cores: about 90 s an epoch on the 18,000 built-in training faces at 64 px on
# this project's slowest machine, 6 minutes in all, so the quick start's dashboard opens within
# 8 minutes of the install; samples from N(0, I) already decode to recognisable faces.
# `train --run demo --epochs 16` continues it to sharper faces.
_DEMO = RunConfig(
    dataset="synthetic64",
    model=ModelConfig(image_size=64, z_dim=64, kl_factor=1.0),
    train=TrainConfig(epochs=4),
)
_CELEBA = RunConfig(dataset="celeba", model=ModelConfig(), train=TrainConfig(epochs=24))
# The studies' plain AE: one z head, no KL, no BatchNormalization.
_AE_CHANGES: dict[str, Any] = {"kind": "ae", "batch_norm": False, "kl_factor": 0.0}
_TINY_KL_CHANGES: dict[str, Any] = {"kl_factor": 1e-5}
# The quick start builds the AE and tiny-KL variants in the background: 3 epochs already show
# their findings (an AE's data far outside N(0, I)'s radius; a tiny-KL VAE's logvar far below 0).
_VARIANT_TRAIN = TrainConfig(epochs=3)


def _variant(base: RunConfig, train: TrainConfig | None = None, **model_changes: Any) -> RunConfig:
    model = dataclasses.replace(base.model, **model_changes)
    return dataclasses.replace(base, model=model, train=train or base.train)


PRESETS: dict[str, RunConfig] = {
    "demo": _DEMO,
    "demo-ae": _variant(_DEMO, _VARIANT_TRAIN, **_AE_CHANGES),
    "demo-tiny-kl": _variant(_DEMO, _VARIANT_TRAIN, **_TINY_KL_CHANGES),
    "celeba": _CELEBA,
    "ae": _variant(_CELEBA, **_AE_CHANGES),
    "tiny-kl": _variant(_CELEBA, **_TINY_KL_CHANGES),
}


def preset(name: str) -> RunConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]
