"""What a command will need in memory and on disk, checked against the machine before it starts.

A setting that sizes memory (kernel size, image size, z_dim, batch size, counts, k) is refused
with one line when the work it asks for cannot fit in what this machine has free, instead of
ending, hours later or at once, in the kernel's out-of-memory killer or a full disk. The
estimates are closed forms of the networks and arrays involved, within a factor of about two of
what is measured; the checks leave that much room.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from model.analysis.kmeans import BATCH_SIZE as KMEANS_BATCH
from model.analysis.kmeans import STUDY_KS
from model.config import ModelConfig, RunConfig

if TYPE_CHECKING:
    from model.pipeline.analysis import AnalysisConfig

# A TensorFlow process's own memory before any model: the runtime, its kernels and threads.
TENSORFLOW_BASE_BYTES = 700 << 20
FLOAT_BYTES = 4


class TooLarge(ValueError):
    """A setting asks for more memory or disk than the machine has free."""


def free_memory() -> int:
    """Bytes of memory available to a new allocation without swapping."""
    return int(psutil.virtual_memory().available)


def free_disk(path: Path) -> int:
    """Bytes free on the file system that holds `path` (or would hold it)."""
    path = Path(path).absolute()
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def readable_bytes(count: float) -> str:
    """'1.4 GB', '820 MB', '3 KB'."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{int(count)} bytes"


def require_memory(needed: float, what: str) -> None:
    """TooLarge when `what` needs more than the machine's free memory."""
    have = free_memory()
    if needed > have:
        raise TooLarge(
            f"{what} needs about {readable_bytes(needed)} of memory, and this machine has "
            f"{readable_bytes(have)} free; choose smaller settings"
        )


def require_disk(needed: float, path: Path, what: str) -> None:
    """TooLarge when `what`, written under `path`, needs more than the free disk space there."""
    have = free_disk(path)
    if needed > have:
        raise TooLarge(
            f"{what} needs about {readable_bytes(needed)} of disk under {path}, and "
            f"{readable_bytes(have)} is free there; free some space or choose smaller settings"
        )


def parameter_counts(model: ModelConfig) -> dict[str, int]:
    """The encoder's and decoder's parameter counts (`count_params`), from the config alone,
    without building the networks (which would allocate them)."""
    k2 = model.kernel_size**2
    batch_norm = 4 if model.batch_norm else 0  # gamma, beta, moving mean and variance
    encoder, channels = 0, 3
    for filters in model.encoder_filters:
        encoder += k2 * channels * filters + filters + batch_norm * filters
        channels = filters
    features = model.bottleneck_size**2 * model.encoder_filters[-1]
    if model.intermediate_dense is not None:
        encoder += features * model.intermediate_dense + model.intermediate_dense
        features = model.intermediate_dense
    encoder += (1 if model.kind == "ae" else 2) * (features * model.z_dim + model.z_dim)
    decoder = (model.z_dim + 1) * features_of_bottleneck(model)
    channels = model.encoder_filters[-1]
    for filters in model.decoder_filters:
        decoder += k2 * channels * filters + filters + batch_norm * filters
        channels = filters
    decoder += k2 * channels * 3 + 3
    return {"encoder": encoder, "decoder": decoder}


def features_of_bottleneck(model: ModelConfig) -> int:
    return model.bottleneck_size**2 * model.encoder_filters[-1]


def activations_per_image(model: ModelConfig) -> tuple[int, int]:
    """Floats the encoder and the decoder keep per image in a training step (layer outputs,
    BatchNorm and activation outputs), and the largest convolution workspace per image (its
    patches: output pixels x kernel area x input channels)."""
    kept_per_layer = 3 if model.batch_norm else 2
    size, channels = model.image_size, 3
    kept, workspace = size * size * 3, 0
    for filters in model.encoder_filters:
        size //= 2
        kept += kept_per_layer * size * size * filters
        workspace = max(workspace, size * size * model.kernel_size**2 * channels)
        channels = filters
    kept += features_of_bottleneck(model)
    for filters in (*model.decoder_filters, 3):
        workspace = max(workspace, size * size * model.kernel_size**2 * channels)
        size *= 2
        kept += kept_per_layer * size * size * filters
        channels = filters
    return kept, workspace


def training_bytes(config: RunConfig) -> int:
    """Memory to train `config`: weights, gradients and Adam's two moments, and a batch's
    activations (kept for the backward pass, which needs as much again) and workspace."""
    parameters = sum(parameter_counts(config.model).values())
    kept, workspace = activations_per_image(config.model)
    per_batch = config.train.batch_size * (2 * kept + workspace)
    return TENSORFLOW_BASE_BYTES + FLOAT_BYTES * (4 * parameters + per_batch)


def check_training_fits(config: RunConfig) -> None:
    """TooLarge when training `config` cannot fit in this machine's free memory."""
    if config.model.architecture != "studies":
        return
    counts = parameter_counts(config.model)
    model = config.model
    require_memory(
        training_bytes(config),
        f"training a {model.image_size} px model with kernel_size {model.kernel_size}, "
        f"z_dim {model.z_dim} and {sum(counts.values()):,} parameters at batch_size "
        f"{config.train.batch_size}",
    )


def check_encoding_fits(model: ModelConfig, batch_size: int, rows: int, run_dir: Path) -> None:
    """TooLarge when encoding `rows` images `batch_size` at a time cannot fit in memory, or
    their latents on disk."""
    if model.architecture == "studies":
        kept, workspace = activations_per_image(model)
        needed = TENSORFLOW_BASE_BYTES + FLOAT_BYTES * (
            parameter_counts(model)["encoder"] + batch_size * (kept + workspace)
        )
        require_memory(needed, f"encoding with batch_size {batch_size}")
    arrays = 1 if model.kind == "ae" else 3
    require_disk(
        rows * model.z_dim * FLOAT_BYTES * arrays, run_dir, f"the latents of {rows} images"
    )


def check_dataset_fits(path: Path, count: int, image_size: int, images_in_memory: int) -> None:
    """TooLarge when a data set of `count` images of `image_size` px cannot fit on disk at
    `path`, or `images_in_memory` of them (the batches in flight) in memory."""
    image = image_size * image_size * 3
    require_memory(images_in_memory * image, f"building {image_size} px images")
    require_disk(count * image, path.parent, f"{count:,} images of {image_size} px")


def check_analysis_fits(config: AnalysisConfig, shape: tuple[int, int]) -> None:
    """ValueError when the analysis settings ask for more than `shape` (N latents of z_dim)
    holds, TooLarge when their arrays cannot fit in memory. A k of the studies' curve (up to
    80) beyond the points there are is left out rather than refused."""
    rows, z_dim = shape
    largest_k = max(config.kmeans_ks)
    if largest_k >= rows and largest_k > max(STUDY_KS):
        raise ValueError(
            f"kmeans_ks go up to k={largest_k}, but there are only {rows} latents; k-means "
            f"needs fewer clusters than points (--kmeans-max-k below {rows})"
        )
    require_memory(
        KMEANS_BATCH * largest_k * 8 * 3 + largest_k * z_dim * 8,
        f"k-means with up to k={largest_k} clusters",
    )
    require_memory(
        config.baseline_samples * z_dim * 8 * 4,
        f"{config.baseline_samples:,} random vectors per baseline",
    )
    _check_map_inputs(config, z_dim)


def _check_map_inputs(config: AnalysisConfig, z_dim: int) -> None:
    """ValueError naming every map whose PCA input has more components than the latents."""
    from model.pipeline.analysis import TSNE_VARIANTS, UMAP_NAMES

    chosen = [("t-SNE", name, TSNE_VARIANTS[name]) for name in config.tsne_variants]
    chosen += [("UMAP", name, UMAP_NAMES[name]) for name in config.umap_variants]
    too_wide = [
        f"{kind} {name} ({params.pca_components} components)"
        for kind, name, params in chosen
        if (params.pca_components or 0) > z_dim
    ]
    if too_wide:
        raise ValueError(
            f"the maps {', '.join(too_wide)} need more principal components than the {z_dim} "
            "latent dimensions; leave them out with --tsne / --umap"
        )
