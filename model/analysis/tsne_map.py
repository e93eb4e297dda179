"""What a t-SNE map is: its parameters (the studies' five variants among them) and the map
itself, as the analysis saves it. Plain data, for the dashboard; model.analysis.tsne makes maps.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.analysis.map_input import check_map_input


@dataclass(frozen=True)
class TsneParams:
    """One t-SNE map: its affinities, optimisation schedule, input reduction and row subset."""

    perplexity: float = 30.0
    early_exaggeration: float = 12.0
    n_iter: int = 750  # main phase; with the 250 exaggerated ones, the studies' 1000 in all
    early_exaggeration_iter: int = 250
    pca_components: int | None = None  # None: the raw latents; else their first k PCA components
    cap: int | None = None  # None: every row; else a seeded random subset of this many rows
    seed: int = 0
    n_jobs: int = 1  # the map depends on it; see model.analysis.tsne

    def __post_init__(self) -> None:
        if not self.perplexity > 0:
            raise ValueError(f"perplexity must be > 0, got {self.perplexity}")
        if not self.early_exaggeration >= 1:
            raise ValueError(f"early_exaggeration must be >= 1, got {self.early_exaggeration}")
        if self.n_iter < 1:
            raise ValueError(f"n_iter must be >= 1, got {self.n_iter}")
        if self.early_exaggeration_iter < 0:
            raise ValueError(
                f"early_exaggeration_iter must be >= 0, got {self.early_exaggeration_iter}"
            )
        check_map_input(self.pca_components, self.cap, self.seed)
        if self.n_jobs < 1:
            raise ValueError(f"n_jobs must be >= 1, got {self.n_jobs}")

    @property
    def name(self) -> str:
        """Input and affinity parameters, e.g. 'raw_ee12_p30' or 'pca4_ee12_p30'."""
        source = "raw" if self.pca_components is None else f"pca{self.pca_components}"
        return f"{source}_ee{self.early_exaggeration:g}_p{self.perplexity:g}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


STUDY_VARIANTS: tuple[TsneParams, ...] = (
    TsneParams(early_exaggeration=12, perplexity=30),
    TsneParams(early_exaggeration=16, perplexity=10),
    TsneParams(pca_components=2),
    TsneParams(pca_components=4),
    TsneParams(pca_components=10),
)


@dataclass(frozen=True)
class TsneMap:
    """A 2-D t-SNE embedding of some rows of the latents."""

    name: str
    embedding: np.ndarray  # (n, 2) float32
    indices: np.ndarray  # (n,) int64, sorted: the latent rows that were mapped
    params: dict  # TsneParams.to_dict() plus 'backend' ('openTSNE' or 'sklearn')
    kl_divergence: float  # of the final embedding (without exaggeration)
    seconds: float  # wall time, subset and PCA included
