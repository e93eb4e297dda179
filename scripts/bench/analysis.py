"""What the analysis stage costs on a large run's latents: every step, correlations, t-SNE."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from scripts.bench.common import emit, in_child, latents_file


def _analysis(latents_path: str, tsne_iterations: int) -> dict[str, Any]:
    import numpy as np

    from model.parallel import available_cores
    from model.pipeline.analysis import AnalysisConfig, Latents, analyze_latents

    z = np.load(latents_path, mmap_mode="r")
    config = AnalysisConfig(tsne_iterations=tsne_iterations)
    out = Path(latents_path).with_suffix(".analysis")
    _, metrics = analyze_latents(
        Latents(z, None, None), None, config, out, progress=False, workers=available_cores()
    )
    return {"step_seconds": metrics["step_seconds"], "rows": len(z), "dim": z.shape[1]}


def bench_analysis(workdir: Path, sizes: dict[str, int]) -> None:
    path = latents_file(workdir, sizes["latents"], sizes["latent_dim"])
    result = in_child(_analysis, str(path), sizes["tsne_iterations"])
    shape = {"rows": result["rows"], "dim": result["dim"]}
    for step, seconds in result["step_seconds"].items():
        emit(f"analysis_seconds_{step.replace(' ', '_')}", seconds, "s", **shape)
    emit("analysis_seconds_total", result["seconds"], "s", **shape)
    emit("analysis_peak_rss_mib", result["peak_rss_mib"], "MiB", **shape)


def _correlation(latents_path: str) -> dict[str, Any]:
    import numpy as np

    from model.analysis.correlations import analyze_correlations

    z = np.load(latents_path, mmap_mode="r")
    started = time.perf_counter()
    analyze_correlations(z)
    return {"correlation_seconds": time.perf_counter() - started, "rows": len(z)}


def bench_correlation(workdir: Path, sizes: dict[str, int]) -> None:
    path = latents_file(workdir, sizes["latents"], sizes["latent_dim"])
    result = in_child(_correlation, str(path))
    shape = {
        "rows": result["rows"],
        "dim": sizes["latent_dim"],
        "latents_mib": round(path.stat().st_size / 2**20),
    }
    emit("correlation_seconds", result["correlation_seconds"], "s", **shape)
    emit("correlation_peak_rss_mib", result["peak_rss_mib"], "MiB", **shape)


def bench_tsne(workdir: Path, sizes: dict[str, int]) -> None:
    import numpy as np

    from model.analysis.tsne import run_tsne
    from model.analysis.tsne_map import TsneParams

    latents = np.load(latents_file(workdir, sizes["latents"], sizes["latent_dim"]), mmap_mode="r")
    params = TsneParams(cap=sizes["tsne"], n_iter=sizes["tsne_iterations"])
    ours, theirs = run_tsne(latents, params), sklearn_tsne(latents, params)
    shape = {"points": sizes["tsne"], "dim": sizes["latent_dim"]}
    emit("tsne_seconds_opentsne", ours.seconds, "s", kl=round(ours.kl_divergence, 4), **shape)
    emit("tsne_seconds_sklearn", theirs.seconds, "s", kl=round(theirs.kl_divergence, 4), **shape)
    emit("tsne_speedup_opentsne_over_sklearn", theirs.seconds / ours.seconds, "x", **shape)


SKLEARN_EXAGGERATION_ITER = 250  # sklearn's early-exaggeration phase is fixed at 250 iterations


def sklearn_tsne(latents: Any, params: Any) -> Any:
    """The map `model.analysis.tsne.run_tsne` makes, made with sklearn's Barnes-Hut t-SNE, for
    the comparison. BLAS and OpenMP are limited to `params.n_jobs` threads: sklearn's gradient
    otherwise uses every core whatever its `n_jobs` says, and on a busy 2-core machine that
    oversubscription made it 50x slower. sklearn's exaggerated phase is fixed at 250
    iterations, so it runs 250 + n_iter in all and records early_exaggeration_iter = 250."""
    import numpy as np
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    from model.analysis.tsne import tsne_input
    from model.analysis.tsne_map import TsneMap

    started = time.perf_counter()
    indices, data = tsne_input(latents, params)
    tsne = TSNE(
        n_components=2,
        perplexity=params.perplexity,
        early_exaggeration=params.early_exaggeration,
        max_iter=SKLEARN_EXAGGERATION_ITER + params.n_iter,
        learning_rate="auto",
        init="pca",
        method="barnes_hut",
        random_state=params.seed,
        n_jobs=params.n_jobs,
    )
    with threadpool_limits(limits=params.n_jobs):
        embedding = tsne.fit_transform(data)
    recorded = {"early_exaggeration_iter": SKLEARN_EXAGGERATION_ITER, "backend": "sklearn"}
    return TsneMap(
        name=params.name,
        embedding=np.asarray(embedding, dtype=np.float32),
        indices=indices,
        params={**params.to_dict(), **recorded},
        kl_divergence=float(tsne.kl_divergence_),
        seconds=time.perf_counter() - started,
    )
