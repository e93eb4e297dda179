import json
from pathlib import Path

import pytest

from model.analysis.stage import STEPS
from scripts import bench
from scripts.bench_distribute import SETUPS
from scripts.bench_live import LIVE_VIEWS

ROOMS = (bench.QUICK["room_small"], bench.QUICK["room_large"])
LIVE_FIGURES = {
    "live_first_view_seconds", "live_first_view_seconds_streamlit_floor",
    "live_sample_rerun_ms_server",
} | {f"live_press_to_painted_ms_{view}" for view in LIVE_VIEWS} | {
    f"live_press_to_painted_ms_sample_{sessions}_sessions" for sessions in ROOMS
}  # fmt: skip
LIVE_BROWSER_FIGURES = {
    f"live_browser_{figure}_{run}" for run in ("demo", "celeba") for figure in (
        "first_view_seconds", "drag_paints_per_second", "drag_server_cpu_seconds",
        "press_to_painted_ms",
    )
} | {
    f"live_browser_{figure}_{run}_{sessions}_sessions" for run in ("demo", "celeba")
    for figure in ("drag_paints_per_second", "server_cpu_ms_per_move") for sessions in ROOMS
}  # fmt: skip
SERVE_FIGURES = {
    f"serve_{figure}_{runs}" for figure in ("start_to_answer_seconds", "peak_rss_mib")
    for runs in ("demo_runs", "celeba")
}  # fmt: skip


@pytest.mark.slow
def test_quick_benchmark_prints_every_figure(tmp_path, capsys):
    assert bench.main(["--quick", "--workdir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]  # "#": a skip note
    figures = {r["bench"]: r for r in records}
    assert set(figures) == {
        "machine", "synthetic_images_per_second", "encode_images_per_second_demo",
        "encode_images_per_second_celeba", "encode_peak_rss_mib_celeba",
        "analysis_seconds_total", "analysis_peak_rss_mib", "correlation_seconds",
        "correlation_peak_rss_mib", "tsne_seconds_opentsne", "tsne_seconds_sklearn",
        "tsne_speedup_opentsne_over_sklearn", "serve_decode_speedup_onnx_over_keras_xla",
        "projection_scatter_build_seconds", "train_speedup_two_local_workers",
        "nearest_training_pixel_seconds_64px", "nearest_training_pixel_seconds_96px",
        "nearest_training_latent_ms",
        "train_speedup_mixed_precision",
    } | {f"train_images_per_second_{setup}" for setup in SETUPS} | {
        f"analysis_seconds_{step.replace(' ', '_')}" for step in STEPS
    } | {
        f"train_{figure}_{name}"
        for figure in ("step_images_per_second", "loop_images_per_second", "loop_fraction_of_step")
        for name in ("demo", "celeba")
    } | {
        f"serve_{figure}_{kind}" for figure in ("sample_move_ms", "decode_ms")
        for kind in ("onnx", "keras_xla")
    } | (
        LIVE_FIGURES | LIVE_BROWSER_FIGURES | SERVE_FIGURES | {"projection_render_seconds_browser"}
        if Path("/usr/bin/chromium").exists()
        else set()
    )  # fmt: skip
    assert all(r["value"] >= 0 for r in records)  # steps without input (AE logvar) take 0 s
    assert all(r["value"] > 0 for r in records if r["unit"] in ("img/s", "MiB", "x", "ratio"))
    for sessions in ROOMS:  # every session of the room was served to its last move
        room = figures.get(f"live_press_to_painted_ms_sample_{sessions}_sessions")
        assert room is None or room["served"] == sessions
    for run in ("demo", "celeba"):  # a drag paints, on the backend the page says it used
        drag = figures.get(f"live_browser_drag_paints_per_second_{run}")
        assert drag is None or (drag["value"] > 0 and drag["backend"] in ("wasm", "webgpu"))
    rss = figures["encode_peak_rss_mib_celeba"]
    assert rss["unit"] == "MiB" and rss["images"] == 2_000 and rss["value"] < 2048
