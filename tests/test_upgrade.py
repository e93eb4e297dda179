"""Runs and data sets of schema 1 (as the zspace of 2026-11 wrote them), upgraded in place."""

import io
import json
import shutil

import numpy as np
import pytest

from model.checkpoint import read_checkpoint_record
from model.data.store import INFO_FILE, Dataset
from model.files import file_record, read_json, sha256_of, write_json
from model.pipeline import upgrade
from model.pipeline.analysis import AnalysisConfig
from model.pipeline.runs import MANIFEST_FILE, ArtifactLayout, Run, RunError, run_dataset
from model.pipeline.stages import analyze_stage, encode_stage, train_stage
from model.training import resume_key
from scripts.upgrade import main as upgrade_command
from tests.support import SMALL_ANALYSIS, open_page, run_suggested, tiny_config

OLD_NAMES = {"reconstruction_loss": "reco_loss"}


def _old_metrics(metrics: dict) -> dict:
    return {OLD_NAMES.get(key, key): value for key, value in metrics.items()}


def _old_config(config: dict) -> dict:
    """As schema 1 recorded it: mixed precision and the architecture left out at defaults."""
    config = json.loads(json.dumps(config))
    if config["train"].get("mixed_precision") is False:
        del config["train"]["mixed_precision"]
    if config["model"].get("architecture") == "convolutional":
        del config["model"]["architecture"]
    return config


def write_schema_2(root, run: str = "tiny", onnx: bool = True) -> None:
    """Turn `run` under `root` into schema 2's form: its data set's source is only its kind,
    the encoding's batch size is a setting, and (`onnx` False) its decoder has no ONNX copy
    yet, as runs trained before zspace kept one."""
    manifest_path = root / "runs" / run / MANIFEST_FILE
    manifest = read_json(manifest_path)
    manifest["schema_version"] = 2
    manifest["dataset"]["source"] = manifest["dataset"]["source"]["kind"]
    if "encode" in manifest["stages"]:
        manifest["stages"]["encode"]["params"]["batch_size"] = 40
    if not onnx:
        del manifest["stages"]["train"]["files"]["train/decoder.onnx"]
        (root / "runs" / run / "train" / "decoder.onnx").unlink()
    write_json(manifest_path, manifest)


def write_schema_1(root, hash_images: bool = True) -> None:
    """Turn the artifacts under `root` (one run, `tiny`, on `blobs`) into schema 1's form."""
    write_schema_2(root)
    dataset_dir, run_dir = root / "datasets" / "blobs", root / "runs" / "tiny"
    info = read_json(dataset_dir / INFO_FILE)
    info["schema_version"] = 1
    if not hash_images:
        info["images_sha256"] = ""  # built before the hash was recorded
    write_json(dataset_dir / INFO_FILE, info)
    old_id = sha256_of(dataset_dir / INFO_FILE)
    manifest = read_json(run_dir / MANIFEST_FILE)
    manifest["schema_version"] = 1
    manifest["config"] = _old_config(manifest["config"])
    manifest["dataset"]["id"] = old_id
    train = manifest["stages"]["train"]
    train["params"] = {"config": _old_config(train["params"]["config"]), "dataset_id": old_id}
    train["metrics"] = _old_metrics(train["metrics"])
    history_path = run_dir / "train" / "history.json"
    write_json(history_path, [_old_metrics(epoch) for epoch in read_json(history_path)])
    checkpoint = run_dir / "train" / "checkpoint.npz"
    with np.load(checkpoint) as data:
        arrays = {key: data[key] for key in data.files}
    record = json.loads(arrays["record"].tobytes().decode())
    record["history"] = [_old_metrics(epoch) for epoch in record["history"]]
    old_key = record["resume_key"]
    record["resume_key"] = {"config": _old_config(old_key["config"]), "dataset_id": old_id}
    arrays["record"] = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    checkpoint.write_bytes(buffer.getvalue())
    for path in (history_path, checkpoint):
        train["files"][f"train/{path.name}"] = file_record(path)
    del manifest["stages"]["analyze"]["params"]["steps"]  # listed since schema 2
    for setting in ("grid_void_cells", "every_point"):  # added since: their defaults then
        del manifest["stages"]["analyze"]["params"]["config"][setting]
    write_json(run_dir / MANIFEST_FILE, manifest)


@pytest.fixture
def older(built_runs, tmp_path):
    root = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", root)
    return ArtifactLayout(root)


@pytest.mark.parametrize("hash_images", [True, False])
def test_an_older_run_is_upgraded_keeping_everything(older, hash_images):
    before = {p.name: p.read_bytes() for p in (older.run("tiny") / "latents").iterdir()}
    write_schema_1(older.root, hash_images)
    suggested = f"python -m scripts.upgrade --artifacts {older.root}"
    with pytest.raises(RunError, match=f"older zspace .*`{suggested}`"):
        Run.open(older.run("tiny"))
    with pytest.raises(ValueError, match=f"older zspace .*`{suggested}`"):
        Dataset(older.dataset("blobs"))

    assert upgrade.upgrade_artifacts(older) == 2
    run = Run.open(older.run("tiny"))
    run.check("train", "encode", "analyze")
    dataset = run_dataset(run)  # the same images and split: the same data set
    assert run.manifest["dataset"]["id"] == dataset.identity()
    assert run.manifest["dataset"]["source"] == dataset.info.source
    assert {p.name: p.read_bytes() for p in (run.path / "latents").iterdir()} == before
    assert "reconstruction_loss" in read_json(run.path / "train" / "history.json")[0]
    record = read_checkpoint_record(run.path / "train" / "checkpoint.npz")
    assert record["resume_key"] == resume_key(run.config, dataset.identity())
    assert "reconstruction_loss" in record["history"][0]
    # nothing is redone: training and latents are current, and the analysis (from before the
    # manifest listed its steps) gets only the step added since then
    assert not train_stage(older, "tiny", tiny_config(), progress=False).ran
    assert not encode_stage(older, "tiny", batch_size=40, progress=False).ran
    analysis = AnalysisConfig(**SMALL_ANALYSIS)
    added = analyze_stage(older, "tiny", analysis, progress=False)
    assert added.message.startswith("analyze: added dimensions, umap, map grids ->")
    assert not analyze_stage(older, "tiny", analysis, progress=False).ran
    assert upgrade.upgrade_artifacts(older) == 0


def test_an_upgrade_stopped_midway_is_finished_by_the_next(older, monkeypatch):
    write_schema_1(older.root)
    real = upgrade._replace
    calls = []

    def stop_after_one(path, records, identity):
        if calls:
            raise KeyboardInterrupt
        calls.append(path)
        real(path, records, identity)

    monkeypatch.setattr(upgrade, "_replace", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        upgrade.upgrade_artifacts(older)
    assert read_json(older.run("tiny") / MANIFEST_FILE)["schema_version"] == 1
    monkeypatch.setattr(upgrade, "_replace", real)
    assert upgrade_command(["--artifacts", str(older.root)]) == 0
    run = Run.open(older.run("tiny"))
    run.check("train", "encode", "analyze")
    assert "upgrading" not in run.manifest


def test_a_damaged_older_file_is_named_and_nothing_changes(older, capsys):
    write_schema_1(older.root)
    history = older.run("tiny") / "train" / "history.json"
    history.write_text("[]\n")
    manifest = (older.run("tiny") / MANIFEST_FILE).read_bytes()
    assert upgrade_command(["--artifacts", str(older.root)]) == 2
    assert "history.json does not match its run's manifest" in capsys.readouterr().err
    assert (older.run("tiny") / MANIFEST_FILE).read_bytes() == manifest
    assert read_json(older.dataset("blobs") / INFO_FILE)["schema_version"] == 1


def test_a_schema_2_run_is_upgraded_from_its_manifest_alone(older):
    files = {p: p.read_bytes() for p in older.root.rglob("*") if p.is_file()}
    write_schema_2(older.root)
    assert upgrade.upgrade_artifacts(older) == 1
    run = Run.open(older.run("tiny"))
    assert run.manifest["dataset"]["source"] == {"kind": "blobs", "seed": 0}
    assert "batch_size" not in run.stage("encode")["params"]
    assert {p: p.read_bytes() for p in files if p.name != MANIFEST_FILE} == {
        p: data for p, data in files.items() if p.name != MANIFEST_FILE}  # fmt: skip
    assert not encode_stage(older, "tiny", batch_size=256, progress=False).ran  # up to date


def test_a_run_from_before_onnx_decoders_gets_its_decoder_from_the_upgrade(older, monkeypatch):
    """The dashboard names the upgrade; it exports the ONNX copy from decoder.keras, checked
    against it, and nothing else is redone: the training, latents and analysis stay."""
    checkpoint = (older.run("tiny") / "train" / "checkpoint.npz").read_bytes()
    write_schema_2(older.root, onnx=False)
    at = open_page(monkeypatch, older.root, "sample")
    assert "written by an older zspace" in at.warning[0].value
    assert run_suggested(at.code[0].value) == 0
    run = Run.open(older.run("tiny"))
    run.check("train", "encode", "analyze")
    assert run.records("train/decoder.onnx")
    assert (run.path / "train" / "checkpoint.npz").read_bytes() == checkpoint
    assert not open_page(monkeypatch, older.root, "sample").warning


def test_an_older_analysis_gets_every_setting(older):
    """Settings added since an analysis was made get their defaults, within the run's z_dim;
    one that made no t-SNE maps, from before UMAP maps, makes no UMAP maps either."""
    manifest_path = older.run("tiny") / MANIFEST_FILE
    manifest = read_json(manifest_path)
    config = manifest["stages"]["analyze"]["params"]["config"]
    del config["grid_size"], config["umap_variants"]
    config["tsne_variants"] = []
    write_json(manifest_path, manifest)
    write_schema_2(older.root)
    assert upgrade.upgrade_artifacts(older) == 1
    upgraded = Run.open(older.run("tiny")).stage("analyze")["params"]["config"]
    assert upgraded["grid_size"] == AnalysisConfig().grid_size and upgraded["umap_variants"] == []
    assert AnalysisConfig.from_dict(upgraded).tsne_variants == ()


def test_older_leftovers_are_tidied(older):
    """An older zspace's temporaries (`.NAME.RANDOM.tmp`) are removed, and an unfinished first
    training it left in train/ moves to train.partial/, where `train --run` continues it."""
    runs = older.root / "runs"
    leftovers = [runs / ".tiny.a1b2c3.tmp", runs / "tiny" / ".analysis.x9y8.tmp",
                 older.root / "datasets" / ".blobs.k7.tmp"]  # fmt: skip
    for path in leftovers:
        path.mkdir()
    (runs / "first" / "train").mkdir(parents=True)
    shutil.copy(runs / "tiny" / "train" / "checkpoint.npz", runs / "first" / "train")
    assert upgrade.upgrade_artifacts(older) == 1
    assert not any(path.exists() for path in leftovers)
    assert (runs / "first" / "train.partial" / "checkpoint.npz").is_file()
    assert not (runs / "first" / "train").exists()


def test_the_dashboard_names_the_upgrade_for_an_older_run(older, monkeypatch):
    write_schema_1(older.root)
    at = open_page(monkeypatch, older.root)
    assert "written by an older zspace" in at.warning[0].value
    assert at.code[0].value == f"python -m scripts.upgrade --artifacts {older.root}"
    assert run_suggested(at.code[0].value) == 0
    assert not open_page(monkeypatch, older.root).warning
