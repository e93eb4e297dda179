"""Run and data set names: one path component from a small alphabet, checked in one place."""

import pytest

from model.config import RunConfig
from model.names import check_name
from model.pipeline.runs import ArtifactLayout

GOOD = ["demo", "demo-tiny-kl", "synthetic64", "vae_xii", "celeba.96", "A", "x" * 64]
BAD = ["", ".", "..", "../runs", "../../x", "/abs", "a/b", "a b", ".hidden", "-flag", "x" * 65,
       "tab\t", "ünï", "a~b", "a\\b"]  # fmt: skip


@pytest.mark.parametrize("name", GOOD)
def test_good_names_pass(name):
    assert check_name("run", name) == name


@pytest.mark.parametrize("name", BAD)
def test_bad_names_are_refused_by_every_way_a_name_becomes_a_path(name, tmp_path):
    layout = ArtifactLayout(tmp_path)
    for make_path in (layout.run, layout.dataset, layout.run_lock, layout.dataset_lock):
        with pytest.raises(ValueError, match="name .* is not allowed: use 1 to 64 letters"):
            make_path(name)
    with pytest.raises(ValueError, match="data set name"):
        RunConfig(dataset=name)
    assert list(tmp_path.iterdir()) == []


def test_runs_lists_only_folders_a_command_can_name(tmp_path):
    for name in ("demo", "my run", ".hidden"):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "manifest.json").write_text("{}")
    assert [p.name for p in ArtifactLayout(tmp_path).runs()] == ["demo"]
