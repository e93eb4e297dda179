"""What a UMAP map is: its parameters (raw latents and the studies' 2/4/10 PCA inputs, as the
t-SNE variants) and the map itself, as the analysis saves it. Plain data, for the dashboard;
model.analysis.umap_embed makes maps.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.analysis.map_input import check_map_input


@dataclass(frozen=True)
class UmapParams:
    """One UMAP map: its neighbourhood, spread, input reduction and row subset."""

    n_neighbors: int = 15
    min_dist: float = 0.1
    n_epochs: int | None = None  # None: umap-learn's own (200 beyond 10,000 points, else 500)
    pca_components: int | None = None  # None: the raw latents; else their first k PCA components
    cap: int | None = None  # None: every row; else a seeded random subset (t-SNE's rows)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_neighbors < 2:
            raise ValueError(f"n_neighbors must be at least 2, got {self.n_neighbors}")
        if not self.min_dist >= 0:
            raise ValueError(f"min_dist must be >= 0, got {self.min_dist}")
        if self.n_epochs is not None and self.n_epochs < 1:
            raise ValueError(f"n_epochs must be None or >= 1, got {self.n_epochs}")
        check_map_input(self.pca_components, self.cap, self.seed)

    @property
    def name(self) -> str:
        """Input and neighbourhood, e.g. 'raw_n15_d0.1' or 'pca4_n15_d0.1'."""
        source = "raw" if self.pca_components is None else f"pca{self.pca_components}"
        return f"{source}_n{self.n_neighbors}_d{self.min_dist:g}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


UMAP_VARIANTS: tuple[UmapParams, ...] = (
    UmapParams(),
    UmapParams(pca_components=2),
    UmapParams(pca_components=4),
    UmapParams(pca_components=10),
)


@dataclass(frozen=True)
class UmapMap:
    """A 2-D UMAP embedding of some rows of the latents."""

    name: str
    embedding: np.ndarray  # (n, 2) float32
    indices: np.ndarray  # (n,) int64, sorted: the latent rows that were mapped
    params: dict  # UmapParams.to_dict() plus 'umap_version'
    seconds: float  # wall time, subset and PCA included
