"""Factors of the built-in synthetic faces: what varies from face to face, and how it is drawn.

Image i's factors come from `np.random.default_rng([seed, i])`, so any face can be re-made on
its own and a data set is byte-identical however its rendering is split across processes.
"""

from __future__ import annotations

import numpy as np

# Continuous factors and the uniform ranges they are sampled from.
CONTINUOUS_RANGES: dict[str, tuple[float, float]] = {
    "face_width": (0.0, 1.0),
    "face_height": (0.0, 1.0),
    "jaw_width": (0.0, 1.0),
    "skin_tone": (0.0, 1.0),  # light -> dark
    "hair_color": (0.0, 1.0),  # black -> brown -> blond -> gray, see HAIR_BANDS
    "hair_volume": (0.0, 1.0),
    "hair_part": (-1.0, 1.0),  # which side the hairline sweeps down on
    "eye_size": (0.0, 1.0),
    "eye_spacing": (0.0, 1.0),
    "iris_color": (0.0, 1.0),  # brown -> hazel -> green -> blue
    "eyebrow_tilt": (-1.0, 1.0),  # > 0: inner ends raised (worried), < 0: lowered (stern)
    "eyebrow_thickness": (0.0, 1.0),
    "nose_size": (0.0, 1.0),
    "mouth_width": (0.0, 1.0),
    "smile": (-0.6, 1.0),  # < 0: corners down
    "mouth_open": (0.0, 1.0),
    "head_yaw": (-25.0, 25.0),  # degrees; > 0 turns the face towards the image's right
    "head_roll": (-15.0, 15.0),  # degrees; > 0 tilts the head clockwise
    "light_angle": (0.0, 360.0),  # degrees; the side of the image the light comes from
    "light_strength": (0.0, 1.0),
    "background_hue": (0.0, 1.0),
    "background_lightness": (0.0, 1.0),
    "clothing_hue": (0.0, 1.0),
}
# Binary factors drawn directly (sampled with CelebA-like correlations, see _sample_binary).
SAMPLED_BINARY = (
    "Male",
    "Eyeglasses",
    "Bald",
    "Bangs",
    "Long_Hair",
    "No_Beard",
    "Mustache",
    "Wearing_Lipstick",
)
# Binary attributes that are thresholds of continuous factors (see derived_attributes).
DERIVED_BINARY = (
    "Smiling",
    "Mouth_Slightly_Open",
    "Black_Hair",
    "Brown_Hair",
    "Blond_Hair",
    "Gray_Hair",
    "Pale_Skin",
)
BINARY_ATTRIBUTES: tuple[str, ...] = SAMPLED_BINARY + DERIVED_BINARY
FACTOR_NAMES: tuple[str, ...] = tuple(CONTINUOUS_RANGES) + BINARY_ATTRIBUTES

SMILING_THRESHOLD = 0.3
MOUTH_OPEN_THRESHOLD = 0.5
PALE_SKIN_THRESHOLD = 0.15
# hair_color bands: [0, 0.3) black, [0.3, 0.6) brown, [0.6, 0.8) blond, [0.8, 1] gray.
HAIR_BANDS = (("Black_Hair", 0.3), ("Brown_Hair", 0.6), ("Blond_Hair", 0.8), ("Gray_Hair", 1.01))


def derived_attributes(factors: dict[str, float]) -> dict[str, float]:
    """The binary attributes that follow from continuous factors, as 0.0/1.0."""
    derived = {
        "Smiling": factors["smile"] > SMILING_THRESHOLD,
        "Mouth_Slightly_Open": factors["mouth_open"] > MOUTH_OPEN_THRESHOLD,
        "Pale_Skin": factors["skin_tone"] < PALE_SKIN_THRESHOLD,
    }
    band = next(name for name, upper in HAIR_BANDS if factors["hair_color"] < upper)
    derived.update({name: name == band for name, _ in HAIR_BANDS})
    return {name: float(value) for name, value in derived.items()}


def _sample_binary(rng: np.random.Generator) -> dict[str, bool]:
    draws = rng.random(8)
    male = bool(draws[0] < 0.5)
    bald = male and draws[1] < 0.15
    beard = male and draws[2] < 0.35
    return {
        "Male": male,
        "Eyeglasses": bool(draws[3] < 0.2),
        "Bald": bald,
        "Bangs": not bald and draws[4] < 0.3,
        "Long_Hair": not bald and draws[5] < (0.12 if male else 0.7),
        "No_Beard": not beard,
        "Mustache": male and draws[6] < (0.7 if beard else 0.1),
        "Wearing_Lipstick": not male and draws[7] < 0.5,
    }


def sample_factors(index: int, seed: int) -> dict[str, float]:
    """All factors of image `index` of the data set with this seed (binary ones as 0.0/1.0)."""
    if index < 0:
        raise ValueError(f"image index must be >= 0, got {index}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    rng = np.random.default_rng([seed, index])
    lows, highs = np.array(list(CONTINUOUS_RANGES.values()), dtype=np.float64).T
    values = lows + (highs - lows) * rng.random(len(lows))
    factors = {name: float(v) for name, v in zip(CONTINUOUS_RANGES, values)}
    factors.update({name: float(v) for name, v in _sample_binary(rng).items()})
    factors.update(derived_attributes(factors))
    return {name: factors[name] for name in FACTOR_NAMES}
