"""Input checks and chunked float64 reading shared by every latent statistic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from model.analysis.moments import DEFAULT_CHUNK_ROWS


def check_latents(latents: np.ndarray, name: str = "latents", min_rows: int = 1) -> np.ndarray:
    """Return `latents` (memory maps untouched) if it is a real (N >= min_rows, d >= 1) array."""
    if not hasattr(latents, "ndim"):
        latents = np.asarray(latents)
    if latents.ndim != 2:
        raise ValueError(f"{name} must have shape (N, d), got {latents.ndim}-D {latents.shape}")
    if latents.shape[0] < min_rows or latents.shape[1] < 1:
        raise ValueError(f"{name} needs N >= {min_rows} rows and d >= 1, got {latents.shape}")
    if not (np.issubdtype(latents.dtype, np.floating) or np.issubdtype(latents.dtype, np.integer)):
        raise ValueError(f"{name} must hold real numbers, got dtype {latents.dtype}")
    return latents


def check_latent_file(latents: np.ndarray, path: Path, rows: int, dim: int) -> np.ndarray:
    """`latents` read from `path` (a memory map, untouched), if it is what an encoding of `rows`
    images to `dim` dimensions writes: float32 (rows, dim), every value finite; ValueError
    naming the file and what is wrong otherwise."""
    if latents.shape != (rows, dim) or latents.dtype != np.float32:
        raise ValueError(
            f"{path} holds {latents.dtype} {latents.shape}, not the float32 ({rows}, {dim}) of "
            f"{rows} images encoded to {dim} dimensions"
        )
    check_finite(latents, name=str(path))
    return latents


def check_chunk_rows(chunk_rows: int) -> None:
    """Raise ValueError unless `chunk_rows` is a positive whole number."""
    if int(chunk_rows) != chunk_rows or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows}")


def float_chunks(
    latents: np.ndarray, name: str = "latents", chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first row, float64 copy of the next `chunk_rows` rows); ValueError on NaN/Inf."""
    check_chunk_rows(chunk_rows)
    for start in range(0, len(latents), chunk_rows):
        chunk = np.asarray(latents[start : start + chunk_rows], dtype=np.float64)
        finite = np.isfinite(chunk)
        if not finite.all():
            row = start + int(np.flatnonzero(~finite.all(axis=1))[0])
            raise ValueError(f"{name} has a non-finite value (NaN or Inf) in row {row}")
        yield start, chunk


def check_finite(
    latents: np.ndarray, name: str = "latents", chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> None:
    """Raise ValueError naming the first row of `latents` holding NaN or Inf."""
    for _ in float_chunks(latents, name, chunk_rows):
        pass


def row_norms(chunk: np.ndarray) -> np.ndarray:
    """L2 norm of every row of a 2-D array, in its own dtype."""
    return np.sqrt(np.einsum("ij,ij->i", chunk, chunk))


def require_finite_latents(
    latents: np.ndarray,
    name: str = "latents",
    min_rows: int = 1,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> np.ndarray:
    """`check_latents` and `check_finite` in one: a real (N, d) array free of NaN/Inf."""
    latents = check_latents(latents, name, min_rows)
    check_finite(latents, name, chunk_rows)
    return latents
