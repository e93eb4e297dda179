"""Which latents a run's encoding holds, and which file holds each: the one place that knows an
AE's mu is its z (an AE's code; it has no logvar). NumPy-free: the dashboard imports it."""

from __future__ import annotations

from typing import Literal

LatentName = Literal["z", "mu", "logvar"]


def latent_names(kind: str) -> tuple[LatentName, ...]:
    """The arrays an encoding writes: an AE has only z; a VAE z, mu and logvar."""
    return ("z",) if kind == "ae" else ("z", "mu", "logvar")


def stored_as(name: LatentName, kind: str) -> LatentName | None:
    """The array that holds latent `name` of a `kind` run: an AE's mu is its z; None for an
    AE's logvar, which it does not have."""
    if kind == "ae" and name != "z":
        return "z" if name == "mu" else None
    return name
