"""Making faces from latents: samplers, interpolation paths and traversals, and the decoder's
output as sharpened uint8 images. NumPy and Pillow only: the dashboard imports it, and it never
imports TensorFlow (the decoder itself is model.onnx_decoder)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from PIL import Image, ImageEnhance

from model.analysis.density import GaussianFit

Sampler = Literal["normal", "uniform", "gaussian"]
PathKind = Literal["linear", "spherical"]
R_LIMITS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 5.0, 8.0)  # the studies' uniform sweep
DEFAULT_SHARPNESS = 7.0  # the studies' ImageEnhance.Sharpness factor
TRAVERSAL_STEPS = 9
TRAVERSAL_SPAN = 3.0  # a traversal sweeps a dimension over its data mean +- this many stds


@dataclass(frozen=True)
class SliderLatents:
    """z as a view's sliders set it: base + sum_k value_k * directions[k], each (n, d) float64,
    in that order of operations (the browser computes it the same way); or, with `path`
    ("linear" or "spherical"), the point at t = the first value on the path from base[0] to
    directions[0][0], for each of the n faces."""

    base: np.ndarray
    directions: tuple[np.ndarray, ...]
    path: PathKind | None = None

    def at(self, *values: float) -> np.ndarray:
        """float32 (n, d) z-points for these slider values."""
        if len(values) != len(self.directions):
            raise ValueError(f"{len(self.directions)} slider values needed, got {len(values)}")
        if self.path is not None:
            point = path_points(self.base[0], self.directions[0][0], [values[0]], self.path)
            return np.repeat(point, len(self.base), axis=0)
        z = np.asarray(self.base, np.float64)
        for value, direction in zip(values, self.directions):
            z = z + value * direction
        return z.astype(np.float32)


def sampled(
    sampler: Sampler, n: int, dim: int, seed: int, fit: GaussianFit | None = None
) -> SliderLatents:
    """`n` z-points of `sampler` as one slider moves them: z = s * eps (normal, scale s),
    b * u with u uniform in [-1, 1]^d (uniform, limit b), or mean + s * (eps @ L^T) (the
    fitted Gaussian, L its Cholesky factor); eps and u drawn from `seed`."""
    if n < 0 or dim < 1:
        raise ValueError(f"need n >= 0 z-points of dimension >= 1, got {n} and {dim}")
    rng = np.random.default_rng(seed)
    zeros = np.zeros((n, dim))
    if sampler == "normal":
        return SliderLatents(zeros, (rng.standard_normal((n, dim)),))
    if sampler == "uniform":
        return SliderLatents(zeros, (rng.uniform(-1.0, 1.0, (n, dim)),))
    if sampler == "gaussian":
        if fit is None:
            raise ValueError("the 'gaussian' sampler needs the fitted Gaussian (analysis)")
        if len(fit.mean) != dim:
            raise ValueError(f"the fitted Gaussian has {len(fit.mean)} dimensions, not {dim}")
        eps = rng.standard_normal((n, dim))
        return SliderLatents(np.tile(fit.mean, (n, 1)), (eps @ fit.cholesky.T,))
    raise ValueError(f"unknown sampler {sampler!r}; choose one of {get_args(Sampler)}")


def sample_latents(
    sampler: Sampler,
    n: int,
    dim: int,
    seed: int,
    scale: float = 1.0,
    limit: float = 1.0,
    fit: GaussianFit | None = None,
) -> np.ndarray:
    """`n` float32 z-points: N(0, scale^2 I), uniform [-limit, limit]^d, or the fitted Gaussian.

    The fitted Gaussian (full covariance of the encoded data) is scaled around its mean by `scale`.
    """
    value = limit if sampler == "uniform" else scale
    if not value > 0:
        raise ValueError(f"the {sampler} sampler needs a positive scale or limit, got {value}")
    return sampled(sampler, n, dim, seed, fit).at(value)


def interpolate(start: np.ndarray, end: np.ndarray, steps: int, kind: PathKind) -> np.ndarray:
    """`steps` float32 points from `start` to `end` (both included), straight or on the sphere.

    The spherical path (slerp) turns the direction at a constant angular rate and moves the
    radius linearly, so it keeps away from the empty region near the origin.
    """
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    return path_points(start, end, np.linspace(0.0, 1.0, steps), kind)


def path_points(
    start: np.ndarray, end: np.ndarray, positions: np.ndarray | list[float], kind: PathKind
) -> np.ndarray:
    """float32 points at `positions` t in [0, 1] on the path from `start` to `end`."""
    a, b = np.asarray(start, np.float64), np.asarray(end, np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"endpoints must be two vectors of one length, got {a.shape}, {b.shape}")
    t = np.asarray(positions, np.float64)[:, None]
    if kind == "linear":
        return ((1 - t) * a + t * b).astype(np.float32)
    if kind != "spherical":
        raise ValueError(f"unknown path {kind!r}; choose one of {get_args(PathKind)}")
    ra, rb = np.linalg.norm(a), np.linalg.norm(b)
    if ra == 0 or rb == 0:
        return ((1 - t) * a + t * b).astype(np.float32)
    ua, ub = a / ra, b / rb
    omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
    if omega < 1e-6:
        directions = (1 - t) * ua + t * ub
    else:
        directions = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / np.sin(omega)
    return (directions * ((1 - t) * ra + t * rb)).astype(np.float32)


def traversal_latents(
    base: np.ndarray,
    dims: list[int] | np.ndarray,
    centre: np.ndarray,
    std: np.ndarray,
    steps: int = TRAVERSAL_STEPS,
    span: float = TRAVERSAL_SPAN,
) -> np.ndarray:
    """float32 (len(dims) * steps, d): row r of the grid is `base` with dimension dims[r] set
    to centre + t * std along it, for t from -span to span in `steps` even steps.

    `centre` and `std` are the data's per-dimension mean and standard deviation, so every row
    covers the same stretch of data, whatever point it starts from.
    """
    base = np.asarray(base, np.float64)
    dims = np.asarray(dims, np.int64)
    if base.ndim != 1 or np.shape(centre) != base.shape or np.shape(std) != base.shape:
        raise ValueError(
            f"base, centre and std must be vectors of one length, got {base.shape}, "
            f"{np.shape(centre)}, {np.shape(std)}"
        )
    if len(dims) == 0 or dims.min() < 0 or dims.max() >= len(base):
        raise ValueError(f"dims must name dimensions in 0..{len(base) - 1}, got {dims.tolist()}")
    if steps < 2 or not span > 0:
        raise ValueError(f"need steps >= 2 and span > 0, got {steps} and {span}")
    offsets = np.linspace(-span, span, steps)
    points = np.tile(base, (len(dims) * steps, 1))
    for row, dim in enumerate(dims):
        points[row * steps : (row + 1) * steps, dim] = centre[dim] + offsets * std[dim]
    return points.astype(np.float32)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Decoder output in [0, 1] -> uint8 images."""
    return np.clip(np.rint(np.asarray(images) * 255.0), 0, 255).astype(np.uint8)


def sharpen(images: np.ndarray, factor: float) -> np.ndarray:
    """PIL ImageEnhance.Sharpness on each uint8 image; 1 leaves them as they are."""
    if not 0.0 <= factor <= 10.0:
        raise ValueError(f"sharpening factor must be in [0, 10], got {factor}")
    if factor == 1.0:
        return images.copy()
    return np.stack(
        [np.asarray(ImageEnhance.Sharpness(Image.fromarray(im)).enhance(factor)) for im in images]
    )
