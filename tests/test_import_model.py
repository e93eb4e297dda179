"""Your own model: an encoder/decoder pair the test builds (dense, not the studies' conv
networks) and saves, imported, encoded, analysed and shown; every mismatch named."""

import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from model.data.store import Dataset
from model.pipeline.analysis import AnalysisConfig
from model.pipeline.runs import Run, RunError
from model.pipeline.stages import analyze_stage, encode_stage, train_stage
from scripts import import_model
from scripts.train import main as train_main
from tests.support import SMALL_ANALYSIS, tiny_config

SIZE, Z_DIM = 32, 6  # the blobs data set's image size; a z_dim the studies' presets do not use
ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
PAGES = ("overview", "radius", "components", "dimensions", "correlations", "projections",
         "attributes", "sample", "interpolate")  # fmt: skip


def _encoder(outputs: int = 2, size: int = SIZE, z_dim: int = Z_DIM) -> keras.Model:
    keras.utils.set_random_seed(0)
    images = keras.Input((size, size, 3))
    hidden = keras.layers.Dense(32, activation="tanh")(keras.layers.Flatten()(images))
    heads = [keras.layers.Dense(z_dim, name=f"head_{i}")(hidden) for i in range(outputs)]
    return keras.Model(images, heads if outputs > 1 else heads[0])


def _decoder(z_dim: int = Z_DIM, activation: str = "sigmoid", bias: float = 0.0) -> keras.Model:
    keras.utils.set_random_seed(1)
    z = keras.Input((z_dim,))
    hidden = keras.layers.Dense(32, activation="relu")(z)
    constant = keras.initializers.Constant(bias)
    pixels = keras.layers.Dense(SIZE * SIZE * 3, activation, bias_initializer=constant)(hidden)
    return keras.Model(z, keras.layers.Reshape((SIZE, SIZE, 3))(pixels))


def _save(model: keras.Model, path: Path) -> Path:
    model.save(path)
    return path


def _import(
    layout, encoder: Path, decoder: Path, *extra: str, run: str = "mine", data: Path | None = None
) -> int:
    return import_model.main(["--encoder", str(encoder), "--decoder", str(decoder),
                              "--data", str(data or layout.dataset("blobs")), "--run", run,
                              "--artifacts", str(layout.root), *extra])  # fmt: skip


@pytest.fixture
def pair(tmp_path) -> tuple[Path, Path]:
    return _save(_encoder(), tmp_path / "enc.keras"), _save(_decoder(), tmp_path / "dec.keras")


def test_an_imported_vae_is_encoded_analysed_and_shown(layout, pair, monkeypatch, capsys):
    assert _import(layout, *pair, "--kl-factor", "0.5") == 0
    out = capsys.readouterr().out
    assert "VAE with z_dim 6" in out and "python -m scripts.encode --run mine" in out
    run = Run.open(layout.run("mine"))
    model = run.config.model
    assert (model.kind, model.z_dim, model.image_size, model.kl_factor) == ("vae", 6, 32, 0.5)
    assert run.imported and run.file_problems("train") == []
    encode_stage(layout, "mine", batch_size=40, progress=False)
    mu = np.load(layout.run("mine") / "latents" / "mu.npy")
    pixels = Dataset(layout.dataset("blobs")).read(0, 96).astype(np.float32) / 255.0
    expected_mu = _encoder()(pixels)[0]
    np.testing.assert_allclose(mu, np.asarray(expected_mu), atol=1e-5)
    analyze_stage(layout, "mine", AnalysisConfig(**SMALL_ANALYSIS), progress=False)
    monkeypatch.setenv("ZSPACE_ARTIFACTS", str(layout.root))
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.query_params["run"] = "mine"
    at.run()
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page
        assert not at.warning, (page, at.warning[0].value if at.warning else "")
    at.switch_page("views/overview.py").run()
    card = " ".join(at.table[0].value["value"])
    assert "imported (trained elsewhere)" in card and "enc.keras" in card
    assert "no training history" in at.info[0].value


def test_an_ae_and_an_encoder_that_also_gives_its_own_z(layout, tmp_path):
    decoder = _save(_decoder(), tmp_path / "dec.keras")
    assert _import(layout, _save(_encoder(1), tmp_path / "ae.keras"), decoder, run="ae") == 0
    assert Run.open(layout.run("ae")).config.model.kind == "ae"
    encode_stage(layout, "ae", progress=False)
    assert sorted(p.name for p in (layout.run("ae") / "latents").iterdir()) == ["z.npy"]
    three = _save(_encoder(3), tmp_path / "three.keras")  # [z_mean, z_log_var, z]
    assert _import(layout, three, decoder, run="three") == 0
    assert Run.open(layout.run("three")).config.model.kind == "vae"


def test_importing_again_is_a_no_op_and_another_model_needs_force(layout, pair, tmp_path, capsys):
    assert _import(layout, *pair) == 0
    manifest = (layout.run("mine") / "manifest.json").read_text()
    assert _import(layout, *pair) == 0
    assert "up to date" in capsys.readouterr().out
    assert (layout.run("mine") / "manifest.json").read_text() == manifest
    other = _save(_decoder(bias=0.1), tmp_path / "other.keras")
    assert _import(layout, pair[0], other) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert _import(layout, pair[0], other, "--force") == 0


def test_training_over_an_imported_run_is_refused(layout, pair):
    assert _import(layout, *pair) == 0
    with pytest.raises(RunError, match="holds an imported model"):
        train_stage(layout, "mine", tiny_config(), progress=False)
    with pytest.raises(RunError, match="new: model.architecture 'imported' means networks"):
        train_stage(layout, "new", tiny_config(**{"model.architecture": "imported"}))


def test_an_older_import_gets_its_onnx_decoder_from_the_upgrade(layout, pair, capsys):
    from scripts.upgrade import main as upgrade_main
    from tests.test_upgrade import write_schema_2

    assert _import(layout, *pair) == 0
    write_schema_2(layout.root, "mine", onnx=False)
    assert upgrade_main(["--artifacts", str(layout.root)]) == 0
    run = Run.open(layout.run("mine"))
    assert run.records("train/decoder.onnx") and run.file_problems("train") == []
    assert train_main(["--run", "mine", "--artifacts", str(layout.root)]) == 2  # nothing to do
    assert "mine: model.architecture 'imported' means networks" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("encoder", "decoder", "message"),
    [
        (lambda: _encoder(size=16), _decoder,
         r"enc.keras takes input \(None, 16, 16, 3\), but the images of .*blobs are \(None, 32"),
        (_encoder, lambda: _decoder(z_dim=5),
         r"dec.keras takes input \(None, 5\), but .*enc.keras gives z of \(None, 6\)"),
        (_encoder, lambda: _decoder(activation="linear", bias=2.0),
         r"dec.keras gives values from .* on a sample batch; zspace needs images in \[0, 1\]"),
        (_encoder, lambda: _decoder(activation="linear", bias=np.inf),
         r"dec.keras gives non-finite values"),
        (lambda: _encoder(4), _decoder, r"enc.keras gives outputs .*expected \[z_mean"),
    ],
    ids=["image size", "z_dim", "range", "non-finite", "outputs"],
)  # fmt: skip
def test_a_pair_that_does_not_fit_is_named_and_nothing_is_written(
    layout, tmp_path, capsys, encoder, decoder, message
):
    enc, dec = _save(encoder(), tmp_path / "enc.keras"), _save(decoder(), tmp_path / "dec.keras")
    assert _import(layout, enc, dec) == 2
    assert capsys.readouterr().err.startswith("error: ")
    with pytest.raises(RunError, match=message):
        from model.import_model import import_model as register

        register(layout, "mine", enc, dec, "blobs")
    assert not layout.run("mine").exists()


def test_files_and_data_sets_that_are_not_there(layout, pair, tmp_path, capsys):
    junk = tmp_path / "junk.keras"
    junk.write_text("not a model")
    assert _import(layout, junk, pair[1]) == 2
    assert "junk.keras could not be loaded as a Keras model" in capsys.readouterr().err
    assert _import(layout, tmp_path / "none.keras", pair[1]) == 2
    assert "none.keras not found" in capsys.readouterr().err
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(layout.dataset("blobs"), elsewhere)
    code = _import(layout, *pair, run="x", data=elsewhere)
    assert code == 2 and "is not under" in capsys.readouterr().err
    assert not layout.run("x").exists()
