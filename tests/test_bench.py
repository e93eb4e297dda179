"""Every benchmark runs at the smallest sizes (`--quick`) and prints each of its figures."""

import json
from pathlib import Path

import pytest

from model.pipeline.analysis import STEPS
from scripts import bench
from scripts.bench.distribute import SETUPS
from scripts.bench.live import LIVE_VIEWS

BROWSER = Path("/usr/bin/chromium").exists()
ROOMS = (bench.QUICK["room_small"], bench.QUICK["room_large"])
RUNS = ("demo", "celeba")
# What each benchmark prints; the browser's figures only where chromium is installed.
FIGURES = {
    "synthetic": {"synthetic_images_per_second"},
    "train": {
        f"train_{figure}_{name}"
        for figure in ("step_images_per_second", "loop_images_per_second", "loop_fraction_of_step")
        for name in RUNS
    },
    "distribute": {f"train_images_per_second_{setup}" for setup in SETUPS}
    | {"train_speedup_two_local_workers", "train_speedup_mixed_precision"},
    "encode": {"encode_images_per_second_demo"},
    "rss": {"encode_images_per_second_celeba", "encode_peak_rss_mib_celeba"},
    "analysis": {f"analysis_seconds_{step.replace(' ', '_')}" for step in STEPS}
    | {"analysis_seconds_total", "analysis_peak_rss_mib"},
    "correlation": {"correlation_seconds", "correlation_peak_rss_mib"},
    "tsne": {"tsne_seconds_opentsne", "tsne_seconds_sklearn", "tsne_speedup_opentsne_over_sklearn"},
    "maps": {f"maps_{kind}_{figure}_{count}" for kind in ("tsne", "umap")
             for figure in ("seconds", "grid_share") for count in (300, 600)}
    | {"maps_grid_error", "maps_umap_inverse_transform_error"},
    "dashboard": {"projection_scatter_build_seconds"},
    "nearest": {
        "nearest_training_pixel_seconds_64px", "nearest_training_pixel_seconds_96px",
        "nearest_training_latent_ms",
    },
    "render": {"projection_render_seconds_browser"} if BROWSER else set(),
    "downloads": {"download_rss_rise_mib_plain", "download_rss_rise_mib_gzip"},
    "serve": {
        f"serve_{figure}_{kind}" for figure in ("sample_move_ms", "decode_ms")
        for kind in ("onnx", "keras_xla")
    } | {"serve_decode_speedup_onnx_over_keras_xla"} | ({
        f"serve_{figure}_{runs}" for figure in ("start_to_answer_seconds", "peak_rss_mib")
        for runs in ("demo_runs", "celeba")
    } if BROWSER else set()),
    "live": ({
        "live_first_view_seconds", "live_first_view_seconds_streamlit_floor",
        "live_sample_rerun_ms_server",
    } | {f"live_press_to_painted_ms_{view}" for view in LIVE_VIEWS} | {
        f"live_press_to_painted_ms_sample_{sessions}_sessions" for sessions in ROOMS
    } | {
        f"live_browser_{figure}_{run}" for run in RUNS for figure in (
            "first_view_seconds", "drag_paints_per_second", "drag_server_cpu_seconds",
            "press_to_painted_ms",
        )
    } | {
        f"live_browser_{figure}_{run}_{sessions}_sessions" for run in RUNS
        for figure in ("drag_paints_per_second", "server_cpu_ms_per_move") for sessions in ROOMS
    } | {f"live_browser_map_paints_per_second_demo_{view}" for view in ("pca", "tsne")}
    ) if BROWSER else set(),
}  # fmt: skip


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """One benchmark folder for all: later benchmarks reuse the inputs earlier ones made, as
    they do in one `python -m scripts.bench` run."""
    return tmp_path_factory.mktemp("bench")


def test_every_benchmark_is_checked():
    assert set(FIGURES) == set(bench.BENCHES)


# The live benchmark's smoke (the longest) is tests/test_bench_live.py: a file of its own, so
# that it runs beside these when the suite runs on several workers.
OWN_FILE = ("live",)


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name in bench.BENCHES if name not in OWN_FILE])
def test_a_quick_benchmark_prints_its_figures(name, workdir, capsys):
    check_quick_benchmark(name, workdir, capsys)


def check_quick_benchmark(name: str, workdir: Path, capsys) -> None:
    """`bench --quick --only NAME` runs and prints each of its figures, each sound."""
    assert bench.main(["--quick", "--only", name, "--workdir", str(workdir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]  # "#": a skip note
    figures = {r["bench"]: r for r in records}
    assert set(figures) == {"machine"} | FIGURES[name]
    measured = [r for r in records if r["value"] is not None]
    assert all(r["reason"] for r in records if r["value"] is None)  # says why it is missing
    assert all(r["value"] >= 0 for r in measured)  # steps without input (AE logvar) take 0 s
    rises = [r for r in measured if r["bench"].startswith("download_rss_rise")]  # may be 0
    assert all(r["value"] > 0 for r in measured if r not in rises
               and r["unit"] in ("img/s", "MiB", "x", "ratio"))  # fmt: skip
    if name == "rss":
        rss = figures["encode_peak_rss_mib_celeba"]
        assert rss["images"] == bench.QUICK["rss"] and rss["value"] < 2048
    for sessions in ROOMS:  # every session of a room was served to its last move
        room = figures.get(f"live_press_to_painted_ms_sample_{sessions}_sessions")
        assert room is None or room["served"] == sessions
    for run in RUNS:  # a drag paints, on the backend the page says it used
        drag = figures.get(f"live_browser_drag_paints_per_second_{run}")
        assert drag is None or (drag["value"] > 0 and drag["backend"] in ("wasm", "webgpu"))
