import os
import stat

import pytest

from model.files import atomic_directory, atomic_path, file_record, read_json, write_json


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_path_publishes_only_on_success_with_normal_permissions(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        assert tmp.suffix == ".txt"  # writers that insist on a suffix (Keras, numpy) work
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    mask = os.umask(0)
    os.umask(mask)
    assert _mode(target) == 0o666 & ~mask


def test_atomic_directory_replaces_only_a_complete_directory(tmp_path):
    target = tmp_path / "ds"
    with atomic_directory(target) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(RuntimeError), atomic_directory(target, overwrite=True) as tmp:
        (tmp / "a").write_text("2")
        raise RuntimeError("crash")
    assert (target / "a").read_text() == "1" and sorted(tmp_path.iterdir()) == [target]
    with pytest.raises(FileExistsError, match="already exists"), atomic_directory(target):
        pass
    mask = os.umask(0)
    os.umask(mask)
    assert _mode(target) == 0o777 & ~mask


def test_json_and_records(tmp_path):
    write_json(tmp_path / "x.json", {"a": [1, 2]})
    assert read_json(tmp_path / "x.json") == {"a": [1, 2]}
    record = file_record(tmp_path / "x.json")
    assert record["size"] == (tmp_path / "x.json").stat().st_size and len(record["sha256"]) == 64
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="bad.json is not valid JSON"):
        read_json(tmp_path / "bad.json")
