"""Crash-safe file writing and content hashes: nothing half-written under a final name."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _give_normal_permissions(path: Path, directory: bool) -> None:
    """mkstemp/mkdtemp create owner-only entries; final files get the usual umask-based mode."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def sha256_of(path: Path, chunk_bytes: int = 1 << 22, start: int = 0) -> str:
    """Hex sha256 of a file from byte `start` on, read in chunks so memory stays flat."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        handle.seek(start)
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def file_record(path: Path) -> dict[str, Any]:
    """The {sha256, size} record the manifests keep for every file."""
    return {"sha256": sha256_of(path), "size": path.stat().st_size}


# What the writers below leave behind when their process is killed: `.NAME~RANDOM.tmp[.ext]`
# files and folders, and `.NAME~old`, a folder a swap moved aside. Run and data set names
# never hold a "~", so `.NAME~` belongs to NAME alone.
TEMPORARY = re.compile(r"\.(?P<name>[^~]+)~.*")


@contextlib.contextmanager
def naming_the_file(path: Path) -> Iterator[None]:
    """An OSError of the block that names no file (a write to a full disk, say) names `path`."""
    try:
        yield
    except OSError as error:
        if error.filename is None and error.errno is not None:
            raise type(error)(error.errno, error.strerror, str(path)) from error
        raise


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name keeps the suffix: some writers (Keras, numpy) insist on it.
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}~", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    _give_normal_permissions(tmp, directory=False)
    try:
        with naming_the_file(path):
            yield tmp
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def temporary_directory(beside: Path) -> Iterator[Path]:
    """A new hidden folder `.NAME~RANDOM.tmp` next to `beside`, removed after the block unless
    the block renamed it."""
    beside = Path(beside)
    beside.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{beside.name}~", suffix=".tmp", dir=beside.parent))
    _give_normal_permissions(tmp, directory=True)
    try:
        with naming_the_file(beside):
            yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_temporaries(folder: Path, name: str | None = None) -> list[Path]:
    """Remove what killed writers left in `folder` (of `name` only, if given); call it only
    while no other process can be writing there (under the folder's lock). Returns them."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for entry in folder.iterdir():
        match = TEMPORARY.fullmatch(entry.name)
        if match is None or (name is not None and match["name"] != name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def finish_swap(path: Path) -> None:
    """Undo a folder swap that stopped halfway (`path` moved aside, its new version not in
    place): the old folder goes back. Call it under the folder's lock."""
    path = Path(path)
    old = _aside(path)
    if old.is_dir() and not old.is_symlink() and not os.path.lexists(path):
        os.replace(old, path)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ctrl+C and SIGTERM wait until the block is done (a few renames that belong together),
    then take effect as usual; only a kill -9 can stop it halfway. (A handler, not a signal
    mask: with threads, a masked signal still reaches Python through another thread.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    deferred = (signal.SIGINT, signal.SIGTERM)
    previous = {
        signum: signal.signal(signum, lambda n, _: received.append(n)) for signum in deferred
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in received[:1]:
            signal.raise_signal(signum)


def link_or_copy(source: Path, target: Path) -> None:
    """`target` as another name of the file `source` (a hard link: no bytes copied), or a copy
    where the file system has no hard links. For files no one writes again (results)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically, pretty-printed and newline-terminated."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def read_json(path: Path) -> Any:
    """Read JSON, naming the file in the error when it is not valid JSON."""
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error


@contextlib.contextmanager
def atomic_directory(path: Path, overwrite: bool = False) -> Iterator[Path]:
    """Build a directory under a temporary name; it replaces `path` only when the block succeeds.

    An existing `path` is refused unless `overwrite`; it is swapped out only after the new
    directory is complete, so a failure at any point leaves the old one untouched.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite to replace it")
    with temporary_directory(path) as tmp:
        yield tmp
        shutil.rmtree(swap_in(tmp, path), ignore_errors=True)


def swap_in(new: Path, path: Path) -> Path:
    """Rename the folder `new` to `path`; the folder that was there (if any) is moved aside to
    `.NAME~old`, whose path is returned: the caller removes it once the swap is final, or puts
    it back with `finish_swap` after taking the new folder away."""
    old = _aside(path)
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        os.replace(path, old)
    os.replace(new, path)
    return old


def _aside(path: Path) -> Path:
    return path.with_name(f".{path.name}~old")
