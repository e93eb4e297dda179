"""The analyze stage on a tiny trained run: files, manifest, skipping, refusing, bad latents."""

import json

import numpy as np
import pytest

from model.analysis.attributes import AttributeAnalysis
from model.analysis.map_grid import MapGrid
from model.analysis.radius import RadiusAnalysis
from model.analysis.results import load_result
from model.analysis.tsne_map import TsneMap
from model.pipeline.analysis import AnalysisConfig
from model.pipeline.runs import Run, RunError
from model.pipeline.stages import analyze_stage, encode_stage, train_stage
from tests.support import SMALL_ANALYSIS, run_suggested, tiny_config

SMALL = AnalysisConfig(**SMALL_ANALYSIS)


def test_every_result_is_written_and_recorded(analyzed):
    run = Run.open(analyzed.run("tiny"))
    stage = run.stage("analyze")
    names = {path.split("/")[-1] for path in stage["files"]}
    assert names == {
        "radius.npz", "components.npz", "correlations.npz", "logvar.npz", "pca.npz",
        "tsne_raw_ee16_p10.npz", "tsne_pca2_ee12_p30.npz", "kmeans.npz", "baselines.npz",
        "gaussian.npz", "nearest.npz", "attributes.npz", "dimensions.npz",
        "umap_pca2_n15_d0.1.npz", "grid_tsne_raw_ee16_p10.npz", "grid_tsne_pca2_ee12_p30.npz",
        "grid_umap_pca2_n15_d0.1.npz",
    }  # fmt: skip
    assert run.file_problems("analyze") == []
    assert stage["params"]["config"]["tsne_variants"] == ["raw_ee16_p10", "pca2_ee12_p30"]
    metrics = stage["metrics"]
    assert set(metrics["step_seconds"]) >= {"radius", "tsne", "kmeans", "density"}
    assert metrics["tsne_points"] == 96 and set(metrics["tsne_kl_divergence"]) == set(
        SMALL.tsne_variants
    )
    z = np.load(analyzed.run("tiny") / "latents" / "z.npy")
    radius = load_result(RadiusAnalysis, analyzed.run("tiny") / "analysis" / "radius.npz")
    np.testing.assert_allclose(radius.radii_z, np.linalg.norm(z, axis=1), rtol=1e-5)
    tsne = load_result(TsneMap, analyzed.run("tiny") / "analysis" / "tsne_raw_ee16_p10.npz")
    assert tsne.embedding.shape == (96, 2) and list(tsne.indices) == list(range(96))
    attributes = load_result(
        AttributeAnalysis, analyzed.run("tiny") / "analysis" / "attributes.npz"
    )
    assert attributes.names == ["Left", "brightness"] and attributes.directions.shape == (1, 8)


def test_analysis_skips_when_current_and_refuses_other_settings(analyzed):
    manifest = (analyzed.run("tiny") / "manifest.json").read_text()
    assert not analyze_stage(analyzed, "tiny", SMALL, progress=False).ran
    assert (analyzed.run("tiny") / "manifest.json").read_text() == manifest
    other = AnalysisConfig(
        tsne_variants=("raw_ee16_p10",), tsne_iterations=50, kmeans_ks=(2,), nearest_sample=50,
        umap_variants=(),
    )
    with pytest.raises(RunError, match="other settings.*--force"):
        analyze_stage(analyzed, "tiny", other, progress=False)
    assert analyze_stage(analyzed, "tiny", other, force=True, progress=False).ran
    assert not (analyzed.run("tiny") / "analysis" / "tsne_pca2_ee12_p30.npz").exists()


def _as_before_dimensions(run_dir) -> None:
    """Make the run's analysis look as one made before the dimensions step existed."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    stage = manifest["stages"]["analyze"]
    stage["params"]["steps"].remove("dimensions")
    del stage["files"]["analysis/dimensions.npz"]
    del stage["metrics"]["active_units"], stage["metrics"]["step_seconds"]["dimensions"]
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    (run_dir / "analysis" / "dimensions.npz").unlink()


def test_an_older_analysis_gets_only_the_new_step(analyzed):
    run_dir = analyzed.run("tiny")
    _as_before_dimensions(run_dir)
    kept = {p.name: p.stat().st_mtime_ns for p in (run_dir / "analysis").iterdir()}
    steps = []
    report = analyze_stage(
        analyzed, "tiny", SMALL, progress=False, on_step=lambda *step: steps.append(step)
    )
    assert report.ran and "added dimensions" in report.message
    assert steps == [("dimensions", 0, 1)]
    assert {p.name: p.stat().st_mtime_ns for p in (run_dir / "analysis").iterdir()} == {
        **kept, "dimensions.npz": (run_dir / "analysis" / "dimensions.npz").stat().st_mtime_ns
    }
    run = Run.open(run_dir)
    assert run.file_problems("analyze") == [] and "analysis/dimensions.npz" in run.stage(
        "analyze"
    )["files"]
    mu = np.load(run_dir / "latents" / "mu.npy")
    active = int((mu.var(axis=0, ddof=1) > 0.01).sum())
    assert run.stage("analyze")["metrics"]["active_units"] == active
    assert not analyze_stage(analyzed, "tiny", SMALL, progress=False).ran
    # other settings over an older analysis are still refused, not patched
    _as_before_dimensions(run_dir)
    with pytest.raises(RunError, match="other settings"):
        analyze_stage(analyzed, "tiny", AnalysisConfig(**{**SMALL_ANALYSIS, "seed": 1}))


def test_encoding_again_to_the_same_latents_keeps_the_analysis(analyzed):
    """The latents are the same bytes at any batch size, so the analysis made from them holds;
    other latents (a new encoder: tests/test_stages.py) drop it."""
    analysis = (analyzed.run("tiny") / "analysis" / "radius.npz").read_bytes()
    assert encode_stage(analyzed, "tiny", batch_size=16, force=True, progress=False).ran
    run = Run.open(analyzed.run("tiny"))
    run.check("train", "encode", "analyze")
    assert (run.path / "analysis" / "radius.npz").read_bytes() == analysis
    assert not analyze_stage(analyzed, "tiny", SMALL, progress=False).ran


def test_bad_latents_get_messages_naming_the_file(encoded):
    with pytest.raises(ValueError, match="tsne_cap 500 is larger than the 96 encoded points"):
        analyze_stage(
            encoded,
            "tiny",
            AnalysisConfig(tsne_cap=500, tsne_variants=("raw_ee16_p10",), umap_variants=()),
            progress=False,
        )
    assert not (encoded.run("tiny") / "analysis").exists()  # nothing half-written
    z_path = encoded.run("tiny") / "latents" / "z.npy"
    z = np.load(z_path)
    z[5, 3] = np.nan
    np.save(z_path, z)
    with pytest.raises(RunError, match="z.npy does not match the manifest"):
        analyze_stage(encoded, "tiny", SMALL, progress=False)
    # the same damage behind the manifest's back (hash updated) is still caught by the NaN check
    run = Run.open(encoded.run("tiny"))
    run.manifest["stages"]["encode"]["files"]["latents/z.npy"]["sha256"] = _sha(z_path)
    run.save()
    encode_again = f"python -m scripts.encode --run tiny --force --artifacts {encoded.root}"
    with pytest.raises(RunError, match=r"z.npy has a non-finite value \(NaN or Inf\) in row 5"
                       f"; encode the run again with `{encode_again}`") as nan:  # fmt: skip
        analyze_stage(encoded, "tiny", SMALL, progress=False)
    assert nan.value.fix == encode_again
    np.save(z_path, z[:90])
    run.manifest["stages"]["encode"]["files"]["latents/z.npy"] |= {
        "sha256": _sha(z_path),
        "size": z_path.stat().st_size,
    }
    run.save()
    with pytest.raises(RunError, match=r"z.npy holds float32 \(90, 8\), not the float32 "
                       r"\(96, 8\) of 96 images encoded to 8 dimensions"):  # fmt: skip
        analyze_stage(encoded, "tiny", SMALL, progress=False)
    assert run_suggested(encode_again) == 0  # the command the message names mends it
    assert analyze_stage(encoded, "tiny", SMALL, progress=False).ran


def test_a_run_without_latents_names_the_command(layout):
    train_stage(layout, "tiny", tiny_config(), progress=False)
    with pytest.raises(RunError, match="stage 'encode' has not run.*scripts.encode --run tiny"):
        analyze_stage(layout, "tiny", SMALL, progress=False)


def test_config_is_validated():
    with pytest.raises(ValueError, match="unknown t-SNE variants"):
        AnalysisConfig(tsne_variants=("umap",))
    with pytest.raises(ValueError, match="latent must be"):
        AnalysisConfig(latent="x")
    assert json.loads(json.dumps(AnalysisConfig().to_dict()))["tsne_cap"] is None


def _sha(path):
    from model.files import sha256_of

    return sha256_of(path)


def test_a_recorded_config_reads_back_whole_and_only_whole():
    recorded = json.loads(json.dumps(AnalysisConfig().to_dict()))
    assert AnalysisConfig.from_dict(recorded) == AnalysisConfig()
    del recorded["grid_size"]  # an older analysis' settings: model.pipeline.upgrade fills them
    with pytest.raises(ValueError, match=r"missing \['grid_size'\]"):
        AnalysisConfig.from_dict(recorded)
    with pytest.raises(ValueError, match="unknown UMAP variants"):
        AnalysisConfig(umap_variants=("raw",))
    with pytest.raises(ValueError, match="every_point maps all points"):
        AnalysisConfig(every_point=True, tsne_cap=100)


def test_every_point_maps_all_points_beyond_the_default_cap(encoded, monkeypatch):
    from model.pipeline import analysis

    monkeypatch.setattr(analysis, "DEFAULT_TSNE_CAP", 40)  # as if the data set had > 20,000
    quick = {"tsne_variants": ("raw_ee16_p10",), "tsne_iterations": 20, "kmeans_ks": (2,),
             "nearest_sample": 20, "baseline_samples": 20, "umap_variants": ("pca2_n15_d0.1",),
             "grid_size": 8}  # fmt: skip
    analyze_stage(encoded, "tiny", AnalysisConfig(**quick), progress=False)
    capped = Run.open(encoded.run("tiny")).stage("analyze")["metrics"]
    assert capped["tsne_points"] == capped["umap_points"] == 40
    analyze_stage(encoded, "tiny", AnalysisConfig(**quick, every_point=True), force=True,
                  progress=False)  # fmt: skip
    every = Run.open(encoded.run("tiny")).stage("analyze")["metrics"]
    assert every["tsne_points"] == every["umap_points"] == 96
    grid = load_result(MapGrid, encoded.run("tiny") / "analysis" / "grid_umap_pca2_n15_d0.1.npz")
    assert grid.params["points"] == 96 and grid.z.shape == (8, 8, 8)
    assert every["grid"]["size"] == 8 and set(every["grid"]["seconds"]) == {
        "tsne_raw_ee16_p10", "umap_pca2_n15_d0.1"}  # fmt: skip


def test_a_map_asked_for_is_added_alone_and_other_settings_are_refused(analyzed, capsys):
    """`analyze --tsne ...` with one more map than the analysis holds computes that map and
    its grid, keeping every other result as the very file it was; another setting is a
    conflict, named with only what differs and what --force would redo."""
    from scripts import analyze

    folder = analyzed.run("tiny") / "analysis"
    kept = {path.name: path.stat().st_ino for path in folder.iterdir()}
    root = ["--run", "tiny", "--quiet", "--artifacts", str(analyzed.root)]
    maps = ["--tsne", "raw_ee16_p10", "pca2_ee12_p30", "raw_ee12_p30"]
    assert analyze.main([*root, *maps]) == 0
    assert "added tsne maps raw_ee12_p30" in capsys.readouterr().out
    now = {path.name: path.stat().st_ino for path in folder.iterdir()}
    assert set(now) - set(kept) == {"tsne_raw_ee12_p30.npz", "grid_tsne_raw_ee12_p30.npz"}
    assert all(now[name] == inode for name, inode in kept.items())  # the very files
    run = Run.open(analyzed.run("tiny"))
    run.check("analyze")
    assert run.stage("analyze")["metrics"]["tsne_kl_divergence"].keys() >= {"raw_ee12_p30"}
    assert analyze.main(root) == 0 and "up to date" in capsys.readouterr().out
    assert analyze.main([*root, "--grid-size", "32"]) == 2
    line = capsys.readouterr().err
    assert "(grid_size 24 -> 32); pass --force to compute all its 19 results again" in line, line
