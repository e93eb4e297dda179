"""Latent components against image attributes: correlations, and directions for sliders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.analysis.chunks import check_chunk_rows, check_latents, float_chunks
from model.analysis.moments import DEFAULT_CHUNK_ROWS
from model.data.store import AttributeTable


@dataclass(frozen=True)
class AttributeAnalysis:
    """How each latent component relates to each attribute of N images.

    A constant attribute gets NaN correlations (and a NaN direction if binary) and is listed in
    `skipped` with the reason; a constant latent component gets a NaN correlation row.
    """

    names: list[str]  # every attribute, in table order
    binary: list[str]  # the binary (0/1) attributes, in table order
    correlation: np.ndarray  # (d, k) float64, Pearson r of latent component i with names[j]
    directions: np.ndarray  # (k_binary, d) float64, mean latent with minus mean latent without
    counts_with: np.ndarray  # (k_binary,) int64, rows whose binary attribute is 1
    counts_without: np.ndarray  # (k_binary,) int64, rows whose binary attribute is 0
    skipped: list[dict[str, str]]  # {"name": ..., "reason": ...}
    count: int  # N

    def direction(self, name: str) -> np.ndarray:
        """The latent direction of binary attribute `name`; ValueError if it has none."""
        if name not in self.binary:
            raise ValueError(
                f"{name!r} is not a binary attribute; binary: {', '.join(self.binary)}"
            )
        for entry in self.skipped:
            if entry["name"] == name:
                raise ValueError(f"{name!r} has no direction: {entry['reason']}")
        return self.directions[self.binary.index(name)]


def analyze_attributes(
    latents: np.ndarray, table: AttributeTable, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> AttributeAnalysis:
    """Correlate every latent component with every attribute; directions for binary ones."""
    check_latents(latents, min_rows=2)
    check_chunk_rows(chunk_rows)
    if len(table.values) != len(latents):
        raise ValueError(
            f"attribute table has {len(table.values)} rows for {len(latents)} latent rows"
        )
    _check_values(table)
    binary = [name for name in table.names if name in table.binary]
    binary_columns = [table.names.index(name) for name in binary]
    constant = [name for j, name in enumerate(table.names) if _is_constant(table.values[:, j])]
    sums = _accumulate(latents, table.values, binary_columns, chunk_rows)
    counts_with = sums.with_count.astype(np.int64)
    skipped = [
        {"name": name, "reason": f"constant: every value is {table.column(name)[0]:g}"}
        for name in constant
    ]
    return AttributeAnalysis(
        names=list(table.names),
        binary=binary,
        correlation=_correlation(sums, [table.names.index(name) for name in constant]),
        directions=_directions(sums, [binary.index(name) for name in constant if name in binary]),
        counts_with=counts_with,
        counts_without=len(latents) - counts_with,
        skipped=skipped,
        count=len(latents),
    )


def _check_values(table: AttributeTable) -> None:
    """Attribute values must be finite, and 0 or 1 for binary attributes."""
    for j, name in enumerate(table.names):
        column = table.values[:, j]
        if not np.isfinite(column).all():
            row = int(np.argmin(np.isfinite(column)))
            raise ValueError(f"attribute {name!r} has a non-finite value (NaN or Inf) in row {row}")
        if name in table.binary and not np.isin(column, (0.0, 1.0)).all():
            bad = column[~np.isin(column, (0.0, 1.0))][0]
            raise ValueError(f"binary attribute {name!r} holds {bad:g}, expected 0 or 1")


def _is_constant(column: np.ndarray) -> bool:
    return bool(np.all(column == column[0]))


@dataclass
class _Sums:
    """Sums over N rows of latents and attribute values, each taken around its first row."""

    count: int
    latent: np.ndarray  # (d,)
    latent_squares: np.ndarray  # (d,)
    value: np.ndarray  # (k,)
    value_squares: np.ndarray  # (k,)
    cross: np.ndarray  # (d, k)
    with_latent: np.ndarray  # (d, k_binary), shifted latents summed over rows with the attribute
    with_count: np.ndarray  # (k_binary,)


def _accumulate(
    latents: np.ndarray, values: np.ndarray, binary_columns: list[int], chunk_rows: int
) -> _Sums:
    """One pass over `latents`, `chunk_rows` rows at a time, naming any row with NaN/Inf."""
    dim, k, k_binary = latents.shape[1], values.shape[1], len(binary_columns)
    latent_shift = np.asarray(latents[0], dtype=np.float64)
    value_shift = values[0].astype(np.float64)
    sums = _Sums(
        count=len(latents),
        latent=np.zeros(dim),
        latent_squares=np.zeros(dim),
        value=np.zeros(k),
        value_squares=np.zeros(k),
        cross=np.zeros((dim, k)),
        with_latent=np.zeros((dim, k_binary)),
        with_count=np.zeros(k_binary),
    )
    for start, chunk in float_chunks(latents, "latents", chunk_rows):
        rows = values[start : start + chunk_rows].astype(np.float64)
        x = chunk - latent_shift
        a = rows - value_shift
        has = rows[:, binary_columns]
        sums.latent += x.sum(axis=0)
        sums.latent_squares += np.einsum("ij,ij->j", x, x)
        sums.value += a.sum(axis=0)
        sums.value_squares += np.einsum("ij,ij->j", a, a)
        sums.cross += x.T @ a
        sums.with_latent += x.T @ has
        sums.with_count += has.sum(axis=0)
    return sums


def _correlation(sums: _Sums, constant_columns: list[int]) -> np.ndarray:
    """Pearson r (d, k); NaN for constant attributes and constant latent components."""
    latent_mean = sums.latent / sums.count  # around the shifts; r does not depend on them
    value_mean = sums.value / sums.count
    latent_std = np.sqrt(np.maximum(sums.latent_squares / sums.count - latent_mean**2, 0.0))
    value_std = np.sqrt(np.maximum(sums.value_squares / sums.count - value_mean**2, 0.0))
    covariance = sums.cross / sums.count - np.outer(latent_mean, value_mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = np.clip(covariance / np.outer(latent_std, value_std), -1.0, 1.0)
    correlation[:, constant_columns] = np.nan
    correlation[latent_std == 0, :] = np.nan
    return correlation


def _directions(sums: _Sums, constant_rows: list[int]) -> np.ndarray:
    """Mean latent with minus mean latent without (k_binary, d); NaN rows for constant ones."""
    with_count = sums.with_count
    without_count = sums.count - with_count
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_with = sums.with_latent / with_count
        mean_without = (sums.latent[:, None] - sums.with_latent) / without_count
    directions = (mean_with - mean_without).T  # the shifts cancel
    directions[constant_rows] = np.nan
    return np.ascontiguousarray(directions)
