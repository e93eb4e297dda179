"""No page shows a traceback for what a person's folder can hold: files that match their
manifest's hashes but not what they must be, a manifest or dataset.json with impossible values,
a data set rebuilt or gone under a run. Every page that reads such a file says in one line what
is wrong, naming the file, and shows the command that mends it; the other runs stay usable; and
the command, run as a person would, mends it."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from model.files import file_record, read_json, write_json
from scripts.serve import REPO
from tests.support import open_page, run_suggested

PAGES = sorted(path.stem for path in (REPO / "app" / "views").glob("*.py"))


def _recorded(run: Path, relative: str) -> None:
    """Update the manifest's record of `relative`, as if the stage had written it."""
    manifest = read_json(run / "manifest.json")
    for stage in manifest["stages"].values():
        if relative in stage["files"]:
            stage["files"][relative] = file_record(run / relative)
    write_json(run / "manifest.json", manifest)


def _manifest(run: Path, change) -> None:
    manifest = read_json(run / "manifest.json")
    change(manifest)
    write_json(run / "manifest.json", manifest)


def _garbage_decoder(root: Path) -> None:
    run = root / "runs" / "tiny"
    (run / "train" / "decoder.onnx").write_bytes(b"not an onnx graph" * 100)
    _recorded(run, "train/decoder.onnx")


def _z_of_wrong_shape(root: Path) -> None:
    run = root / "runs" / "tiny"
    np.save(run / "latents" / "z.npy", np.load(run / "latents" / "z.npy")[:90])
    _recorded(run, "latents/z.npy")


def _z_with_nan(root: Path) -> None:
    run = root / "runs" / "tiny"
    z = np.load(run / "latents" / "z.npy")
    z[7, 2] = np.nan
    np.save(run / "latents" / "z.npy", z)
    _recorded(run, "latents/z.npy")


def _huge_z_dim(root: Path) -> None:
    _manifest(root / "runs" / "tiny", lambda m: m["config"]["model"].update(z_dim=10**30))


def _escaping_data_set_name(root: Path) -> None:
    _manifest(root / "runs" / "tiny", lambda m: m["dataset"].update(name="../../etc"))


def _garbage_manifest(root: Path) -> None:
    (root / "runs" / "tiny" / "manifest.json").write_text("{ garbage")


def _huge_count(root: Path) -> None:
    info = read_json(root / "datasets" / "synth" / "dataset.json")
    write_json(root / "datasets" / "synth" / "dataset.json", {**info, "count": 10**12})


def _rebuilt_smaller(root: Path) -> None:
    from scripts import prepare_data

    smaller = ["synthetic", "--count", "72", "--test", "8", "--size", "32", "--name", "synth"]
    assert prepare_data.main([*smaller, "--force", "--quiet", "--artifacts", str(root)]) == 0


def _data_set_gone(root: Path) -> None:
    shutil.rmtree(root / "datasets" / "synth")


# name: (what to do to the folder, what every warning names, whether every page shows it)
CASES = {
    "garbage decoder.onnx, hash updated": (_garbage_decoder, "decoder.onnx", False),
    "z.npy of another shape, hash updated": (_z_of_wrong_shape, "z.npy", False),
    "z.npy with a NaN, hash updated": (_z_with_nan, "z.npy", False),
    "manifest with z_dim 10^30": (_huge_z_dim, "manifest.json", True),
    "manifest with data set ../../etc": (_escaping_data_set_name, "manifest.json", True),
    "manifest that is not JSON": (_garbage_manifest, "manifest.json", True),
    "dataset.json with a count of 10^12": (_huge_count, "dataset.json", True),
    "data set rebuilt with fewer images": (_rebuilt_smaller, "datasets/synth was rebuilt", True),
    "data set gone": (_data_set_gone, "datasets/synth", True),
}


@pytest.fixture
def folder(synthetic_runs, with_ae, tmp_path) -> Path:
    """The synthetic run `tiny` beside the AE run `tiny-ae` (on its own data set), writable."""
    root = tmp_path / "artifacts"
    shutil.copytree(synthetic_runs, root)
    shutil.copytree(with_ae / "runs" / "tiny-ae", root / "runs" / "tiny-ae")
    shutil.copytree(with_ae / "datasets" / "blobs", root / "datasets" / "blobs")
    return root


def _problems(
    monkeypatch, root: Path, names: str, pages: list[str] = PAGES
) -> dict[str, tuple[str, str]]:
    """Each of the `pages` of run `tiny` that warns about `names`: its warning and the command
    shown. No page raises."""
    found = {}
    for page in pages:
        at = open_page(monkeypatch, root, page, run="tiny", decode="server")
        warnings = [w.value for w in at.warning if names in w.value]
        if warnings:
            assert len(at.code) == 1, (page, warnings)
            found[page] = (warnings[0], at.code[0].value)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_tampered_run_is_one_line_on_every_page_and_its_command_mends_it(
    monkeypatch, folder, case
):
    tamper, names, everywhere = CASES[case]
    tamper(folder)
    found = _problems(monkeypatch, folder, names)
    assert found and (not everywhere or set(found) == set(PAGES)), sorted(found)
    [(warning, command)] = set(found.values())
    assert "\n" not in warning.strip() and "Traceback" not in warning
    assert f"`{command}`" in warning  # the line names the command the page shows
    other = open_page(monkeypatch, folder, "radius", run="tiny-ae")  # the other run still works
    assert not other.warning and not other.code
    assert run_suggested(command) == 0
    shown = sorted(found)
    assert not _problems(monkeypatch, folder, names, [shown[0], shown[-1]])  # mended


def test_a_missing_data_set_is_built_again_from_the_runs_record(monkeypatch, folder):
    """The command names the source and settings the run's data set was built from (here the
    synthetic faces' seed and sizes), not a default; run, it makes the very same images."""
    _data_set_gone(folder)
    [(_, command)] = set(_problems(monkeypatch, folder, "datasets/synth").values())
    words = command.split()
    for flag, value in (("--count", "96"), ("--test", "16"), ("--size", "32"), ("--seed", "0")):
        assert words[words.index(flag) + 1] == value
    assert run_suggested(command) == 0
    assert not _problems(monkeypatch, folder, "datasets/synth", ["sample"])


def test_a_celeba_runs_missing_data_set_is_named_with_its_own_source(tmp_path):
    """Not `prepare_data synthetic --name celeba`: the CelebA folder and split it came from."""
    from model.config import preset
    from model.data.store import Dataset
    from model.pipeline.runs import ArtifactLayout, Run, RunError, run_dataset
    from scripts import prepare_data
    from tests.support import write_celeba_fixture

    fixture = write_celeba_fixture(tmp_path / "celeba-download", 12)
    layout = ArtifactLayout(tmp_path / "my artifacts")
    build = ["celeba", str(fixture.folder), "--size", "32", "--train", "8", "--test", "4",
             "--quiet", "--artifacts", str(layout.root)]  # fmt: skip
    assert prepare_data.main(build) == 0
    dataset = Dataset(layout.dataset("celeba"))
    run = Run.new(layout.run("mine"), preset("celeba"), dataset)
    shutil.rmtree(layout.dataset("celeba"))
    with pytest.raises(RunError) as missing:
        run_dataset(run)
    command = missing.value.fix
    assert command.startswith(f"python -m scripts.prepare_data celeba {fixture.folder} ")
    assert f"--artifacts '{layout.root}'" in command  # quoted: the folder's name has a space
    assert run_suggested(command) == 0
    assert run_dataset(run).identity() == dataset.identity()
