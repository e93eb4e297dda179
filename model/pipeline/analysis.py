"""The analysis stage: every statistic and projection the dashboard shows, cached per run.

Reads a run's latents (and its data set's attributes), computes each step with the pure
functions of `model.analysis`, and writes one .npz per result under `<run>/analysis/`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm import tqdm

from model.analysis.attributes import analyze_attributes
from model.analysis.baselines import radius_baselines
from model.analysis.chunks import check_latent_file
from model.analysis.components import analyze_components
from model.analysis.correlations import analyze_correlations
from model.analysis.density import build_nearest_data, fit_gaussian
from model.analysis.dimensions import analyze_dimensions
from model.analysis.kmeans import STUDY_KS, kmeans_inertia
from model.analysis.logvar_stats import analyze_logvar
from model.analysis.map_grid import (
    DEFAULT_GRID_NEIGHBOURS,
    DEFAULT_GRID_SIZE,
    DEFAULT_VOID_CELLS,
    GridParams,
    build_map_grid,
)
from model.analysis.map_input import fits
from model.analysis.moments import latent_moments
from model.analysis.pca import fit_pca
from model.analysis.radius import analyze_radius
from model.analysis.results import load_result, save_result
from model.analysis.tsne import tsne_maps
from model.analysis.tsne_map import STUDY_VARIANTS, TsneMap
from model.analysis.umap_map import UMAP_VARIANTS, UmapMap
from model.config import check_seed
from model.data.store import AttributeTable

DEFAULT_TSNE_CAP = 20_000  # the size of the built-in data set: all of it gets mapped
TSNE_VARIANTS = {params.name: params for params in STUDY_VARIANTS}
UMAP_NAMES = {params.name: params for params in UMAP_VARIANTS}
MAP_KINDS = {"tsne": TsneMap, "umap": UmapMap}  # file prefix -> the map it holds


@dataclass(frozen=True)
class AnalysisConfig:
    """What the analysis computes; recorded as the stage's params."""

    latent: Literal["z", "mu"] = "z"  # the studies analysed the z-points
    correlation_threshold: float = 0.5  # pairs with |r| above this are listed
    pca_components: int = 64  # coordinates kept per point (>= 40: the planes 8-35)
    tsne_variants: tuple[str, ...] = tuple(TSNE_VARIANTS)
    tsne_cap: int | None = None  # None: min(N, DEFAULT_TSNE_CAP) points (t-SNE and UMAP)
    every_point: bool = False  # maps of all N points, the studies' 140k-165k (not the cap)
    tsne_iterations: int = 750  # after 250 exaggerated ones: the studies' 1000 in all
    umap_variants: tuple[str, ...] = tuple(UMAP_NAMES)
    grid_size: int = DEFAULT_GRID_SIZE  # nodes per side of each map's decodable grid
    grid_neighbours: int = DEFAULT_GRID_NEIGHBOURS  # map points averaged per node
    grid_void_cells: float = DEFAULT_VOID_CELLS  # a node with no point this near is void
    kmeans_ks: tuple[int, ...] = tuple(STUDY_KS)
    nearest_sample: int = 5_000  # data points whose own nearest-neighbour distance is kept
    baseline_samples: int = 5_000  # random vectors per uniform limit / normal scale
    seed: int = 0

    def __post_init__(self) -> None:
        if self.latent not in ("z", "mu"):
            raise ValueError(f"latent must be 'z' or 'mu', got {self.latent!r}")
        unknown = [name for name in self.tsne_variants if name not in TSNE_VARIANTS]
        if unknown:
            raise ValueError(
                f"unknown t-SNE variants {unknown}; choose from {', '.join(TSNE_VARIANTS)}"
            )
        unknown = [name for name in self.umap_variants if name not in UMAP_NAMES]
        if unknown:
            raise ValueError(
                f"unknown UMAP variants {unknown}; choose from {', '.join(UMAP_NAMES)}"
            )
        if self.tsne_cap is not None and self.tsne_cap < 2:
            raise ValueError(f"tsne_cap must be at least 2, got {self.tsne_cap}")
        if self.every_point and self.tsne_cap is not None:
            raise ValueError("every_point maps all points; it cannot go with a tsne_cap")
        _ = self.grid  # GridParams checks the grid's settings
        if not self.kmeans_ks or min(self.kmeans_ks) < 1:
            raise ValueError(f"kmeans_ks must be positive cluster counts, got {self.kmeans_ks}")
        for name in ("pca_components", "nearest_sample", "baseline_samples", "tsne_iterations"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        check_seed("seed", self.seed)

    @property
    def grid(self) -> GridParams:
        return GridParams(self.grid_size, self.grid_neighbours, self.grid_void_cells)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def maps_within(self, z_dim: int) -> AnalysisConfig:
        """This config without the t-SNE and UMAP maps whose PCA input needs more components
        than `z_dim` latent dimensions have (a small run's default maps)."""
        return dataclasses.replace(
            self,
            tsne_variants=tuple(n for n in self.tsne_variants if fits(TSNE_VARIANTS[n], z_dim)),
            umap_variants=tuple(n for n in self.umap_variants if fits(UMAP_NAMES[n], z_dim)),
        )

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AnalysisConfig:
        """The config `to_dict` gave, read back from JSON (lists become tuples again); every
        setting is there (model.pipeline.upgrade gave older analyses theirs)."""
        fields = {field.name for field in dataclasses.fields(cls)}
        if set(values) != fields:
            missing, unknown = sorted(fields - set(values)), sorted(set(values) - fields)
            raise ValueError(f"analysis settings missing {missing} or unknown {unknown}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


@dataclass(frozen=True)
class Latents:
    """A run's encoded latents, memory-mapped; mu and logvar are None for an AE."""

    z: np.ndarray
    mu: np.ndarray | None
    logvar: np.ndarray | None

    @property
    def code(self) -> np.ndarray:
        """Each image's code: mu for a VAE, z for an AE (model.latent_files)."""
        return self.z if self.mu is None else self.mu

    def chosen(self, name: str) -> np.ndarray:
        return self.code if name == "mu" else self.z


def load_latents(directory: Path, rows: int, dim: int) -> Latents:
    """Open z (and mu, logvar) under `directory`, each checked to be float32 (rows, dim), all
    finite (ValueError naming the file otherwise)."""
    arrays: dict[str, np.ndarray | None] = {}
    for name in ("z", "mu", "logvar"):
        path = directory / f"{name}.npy"
        if not path.is_file():
            if name == "z":
                raise FileNotFoundError(f"{path} is missing")
            arrays[name] = None
            continue
        try:
            array = np.load(path, mmap_mode="r")
        except (ValueError, OSError) as error:
            raise ValueError(f"{path} is not a readable .npy array: {error}") from error
        arrays[name] = check_latent_file(array, path, rows, dim)
    return Latents(**arrays)


@dataclass
class _Context:
    latents: Latents
    attributes: AttributeTable | None
    config: AnalysisConfig
    out_dir: Path
    progress: bool
    workers: int
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    files: list[Path] = dataclasses.field(default_factory=list)

    @property
    def data(self) -> np.ndarray:
        return self.latents.chosen(self.config.latent)

    def save(self, result: Any, name: str) -> None:
        path = self.out_dir / f"{name}.npz"
        save_result(result, path)
        self.files.append(path)


def _radius(ctx: _Context) -> None:
    result = analyze_radius(ctx.latents.z, ctx.latents.mu)
    ctx.save(result, "radius")
    ctx.metrics["radius_peak_z"] = result.peak_z
    ctx.metrics["radius_peak_mu"] = result.peak_mu
    ctx.metrics["prior_radius_mode"] = result.prior_mode


def _components_and_correlations(ctx: _Context) -> None:
    moments = latent_moments(ctx.data)
    components = analyze_components(ctx.data, moments=moments)
    ctx.save(components, "components")
    ctx.metrics["dominant_components"] = [int(i) for i in components.dominant_index]
    correlations = analyze_correlations(ctx.data, threshold=ctx.config.correlation_threshold)
    ctx.save(correlations, "correlations")
    ctx.metrics["correlated_pair_counts"] = dict(
        zip((f"{t:g}" for t in correlations.count_thresholds), map(int, correlations.pair_counts))
    )


def _logvar(ctx: _Context) -> None:
    z, mu, logvar = ctx.latents.z, ctx.latents.mu, ctx.latents.logvar
    if mu is None or logvar is None:
        return  # an AE has no logvar
    result = analyze_logvar(z, mu, logvar)
    ctx.save(result, "logvar")
    ctx.metrics["max_abs_z_minus_mu"] = result.max_abs_diff


def _dimensions(ctx: _Context) -> None:
    result = analyze_dimensions(ctx.latents.code, ctx.latents.logvar)
    ctx.save(result, "dimensions")
    ctx.metrics["active_units"] = result.active_count


def _pca(ctx: _Context) -> None:
    result = fit_pca(ctx.data, n_components=ctx.config.pca_components)
    ctx.save(result, "pca")
    ctx.metrics["pca_first_ratios"] = [
        round(float(r), 4) for r in result.explained_variance_ratio[:5]
    ]


def _map_cap(ctx: _Context) -> int:
    """How many points each map holds: every point, the configured cap, or up to 20,000."""
    count = len(ctx.data)
    cap = ctx.config.tsne_cap
    if cap is not None and cap > count:
        raise ValueError(f"tsne_cap {cap} is larger than the {count} encoded points")
    if ctx.config.every_point:
        return count
    return min(count, DEFAULT_TSNE_CAP) if cap is None else cap


def _tsne(ctx: _Context) -> None:
    count, cap = len(ctx.data), _map_cap(ctx)
    variants = [
        dataclasses.replace(
            TSNE_VARIANTS[name],
            cap=cap if cap < count else None,
            seed=ctx.config.seed,
            n_iter=ctx.config.tsne_iterations,
        )
        for name in ctx.config.tsne_variants
    ]
    maps = tsne_maps(ctx.data, variants, workers=ctx.workers, progress=ctx.progress)
    kl = {}
    for name, result in zip(ctx.config.tsne_variants, maps):
        ctx.save(result, f"tsne_{name}")
        kl[name] = round(result.kl_divergence, 4)
    ctx.metrics["tsne_points"] = cap
    ctx.metrics["tsne_kl_divergence"] = kl
    ctx.metrics["tsne_seconds"] = {m.name: round(m.seconds, 2) for m in maps}


def _umap(ctx: _Context) -> None:
    from model.analysis.umap_embed import umap_maps  # umap-learn and numba: only when mapping

    count, cap = len(ctx.data), _map_cap(ctx)
    rows = {"cap": cap if cap < count else None, "seed": ctx.config.seed}
    variants = [dataclasses.replace(UMAP_NAMES[name], **rows) for name in ctx.config.umap_variants]
    seconds = {}
    for result in umap_maps(ctx.data, variants, workers=ctx.workers, progress=ctx.progress):
        ctx.save(result, f"umap_{result.name}")
        seconds[result.name] = round(result.seconds, 2)
    ctx.metrics["umap_points"] = cap
    ctx.metrics["umap_seconds"] = seconds


def _map_grids(ctx: _Context) -> None:
    """A decodable grid over every map of this analysis, from the maps as saved."""
    names = [f"tsne_{name}" for name in ctx.config.tsne_variants]
    names += [f"umap_{name}" for name in ctx.config.umap_variants]
    seconds = {}
    for name in tqdm(names, desc="map grids", unit="map", disable=not ctx.progress):
        found = load_result(MAP_KINDS[name.split("_")[0]], ctx.out_dir / f"{name}.npz")
        rows = np.asarray(ctx.data[found.indices])
        grid = build_map_grid(name, found.embedding, rows, ctx.config.grid)
        ctx.save(grid, f"grid_{name}")
        seconds[name] = round(grid.seconds, 3)
    ctx.metrics["grid"] = {**dataclasses.asdict(ctx.config.grid), "seconds": seconds}


def _kmeans(ctx: _Context) -> None:
    ks = [k for k in ctx.config.kmeans_ks if k < len(ctx.data)]
    result = kmeans_inertia(ctx.data, ks=ks, seed=ctx.config.seed, progress=ctx.progress)
    ctx.save(result, "kmeans")


def _baselines(ctx: _Context) -> None:
    dim = ctx.data.shape[1]
    ctx.save(
        radius_baselines(dim, n=ctx.config.baseline_samples, seed=ctx.config.seed), "baselines"
    )


def _density(ctx: _Context) -> None:
    ctx.save(fit_gaussian(ctx.data), "gaussian")
    sample = min(ctx.config.nearest_sample, len(ctx.data))
    nearest = build_nearest_data(ctx.data, sample_size=sample, seed=ctx.config.seed)
    ctx.save(nearest, "nearest")
    ctx.metrics["nearest_distance_median"] = round(float(np.median(nearest.distances)), 4)


def _attributes(ctx: _Context) -> None:
    if ctx.attributes is None:
        return
    result = analyze_attributes(ctx.data, ctx.attributes)
    ctx.save(result, "attributes")
    ctx.metrics["attributes_skipped"] = [entry["name"] for entry in result.skipped]


STEPS: dict[str, Callable[[_Context], None]] = {
    "radius": _radius,
    "components and correlations": _components_and_correlations,
    "logvar": _logvar,
    "dimensions": _dimensions,
    "pca": _pca,
    "tsne": _tsne,
    "umap": _umap,
    "map grids": _map_grids,
    "kmeans": _kmeans,
    "baselines": _baselines,
    "density": _density,
    "attributes": _attributes,
}
MAP_STEPS = {"tsne": "tsne_variants", "umap": "umap_variants"}  # a map step: its variants


@dataclass(frozen=True)
class AnalysisUpdate:
    """What a recorded analysis lacks of the one asked for, to be computed alone: the steps it
    never ran (run in full) and the maps it lacks (with their grids). It keeps what it has."""

    config: AnalysisConfig  # the analysis once updated: the recorded maps and the added ones
    steps: tuple[str, ...]
    added_maps: dict[str, tuple[str, ...]]  # "tsne" / "umap": the variants to add

    def map_config(self) -> AnalysisConfig:
        """The updated config making just the added maps."""
        return dataclasses.replace(
            self.config, **{MAP_STEPS[kind]: self.added_maps[kind] for kind in MAP_STEPS}
        )

    @property
    def map_steps(self) -> tuple[str, ...]:
        """The map steps that add maps (a step the analysis never ran is in `steps`), and the
        grids of the added maps."""
        adding = tuple(kind for kind in MAP_STEPS
                       if self.added_maps[kind] and kind not in self.steps)  # fmt: skip
        grids = ("map grids",) if adding and "map grids" not in self.steps else ()
        return adding + grids

    @property
    def empty(self) -> bool:
        return not (self.steps or self.map_steps)


def plan_update(
    recorded: AnalysisConfig, done: Sequence[str], wanted: AnalysisConfig
) -> AnalysisUpdate | None:
    """How the analysis made with `recorded` (running the steps `done`) comes to hold all that
    `wanted` asks for by adding what it lacks (maps it holds beyond those are kept); None when
    a setting other than which maps to make differs (then every result would change)."""
    no_maps = {field: () for field in MAP_STEPS.values()}
    if dataclasses.replace(recorded, **no_maps) != dataclasses.replace(wanted, **no_maps):
        return None
    added = {kind: tuple(name for name in getattr(wanted, field)
                         if name not in getattr(recorded, field))
             for kind, field in MAP_STEPS.items()}  # fmt: skip
    union = {field: getattr(recorded, field) + added[kind] for kind, field in MAP_STEPS.items()}
    steps = tuple(name for name in STEPS if name not in done)
    return AnalysisUpdate(dataclasses.replace(recorded, **union), steps, added)


def merged_metrics(recorded: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """The recorded analysis' metrics with an update's: dicts merged key by key at every depth
    (a map's KL, a step's seconds), other values the update's."""
    if not (isinstance(recorded, dict) and isinstance(added, dict)):
        return added
    return {**recorded, **{key: merged_metrics(recorded.get(key), value)
                           for key, value in added.items()}}  # fmt: skip


def analyze_latents(
    latents: Latents,
    attributes: AttributeTable | None,
    config: AnalysisConfig,
    out_dir: Path,
    progress: bool = True,
    workers: int = 1,
    on_step: Callable[[str, int, int], None] | None = None,
    steps: Sequence[str] = tuple(STEPS),
) -> tuple[list[Path], dict[str, Any]]:
    """Run `steps` (default: all, in order), writing their results under `out_dir`; return the
    files and the metrics.

    `workers` processes compute the t-SNE and UMAP maps side by side (the maps do not depend
    on it); `on_step(name, index, count)` is called as each of the `count` steps starts.
    """
    unknown = [name for name in steps if name not in STEPS]
    if unknown:
        raise ValueError(f"unknown analysis steps {unknown}; the steps are {', '.join(STEPS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = _Context(latents, attributes, config, out_dir, progress, workers)
    seconds: dict[str, float] = {}
    shown = tqdm(steps, desc="analyze", unit="step", disable=not progress)
    for index, name in enumerate(shown):
        shown.set_postfix_str(name)
        if on_step is not None:
            on_step(name, index, len(steps))
        started = time.perf_counter()
        STEPS[name](ctx)
        seconds[name] = round(time.perf_counter() - started, 2)
    ctx.metrics["step_seconds"] = seconds
    return ctx.files, ctx.metrics
