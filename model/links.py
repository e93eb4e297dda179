"""Symbolic links: what zspace reads, writes and serves stays inside the artifacts folder.

No zspace command makes a link inside a run or a data set folder, so a link found there was
planted (a colleague's zipped runs, a shared folder) and could make a writer write, or the
dashboard serve, a file anywhere on the machine. Every writer refuses a run or data set that
holds one, naming it; readers and the dashboard's routes take only regular files reached
without a link from the run's or data set's folder; zspace's own small files beside them (lock
files, the build's log) are opened without following links.

Links a person makes on purpose above that level keep working: the artifacts folder itself, or
its `runs/` and `datasets/` on another disk.
"""

from __future__ import annotations

import errno
import os
import shlex
import stat
from pathlib import Path


class LinkError(ValueError):
    """A symbolic link where zspace makes none; the message names it and what to do."""


def describe_link(path: Path) -> str:
    """'PATH is a symbolic link (to TARGET)'."""
    try:
        target = f" (to {os.readlink(path)})"
    except OSError:
        target = ""
    return f"{path} is a symbolic link{target}"


def _refuse(path: Path, why: str) -> LinkError:
    return LinkError(
        f"{describe_link(path)}; {why}, so zspace reads and writes nothing through it: remove "
        f"it (`{shlex.join(['rm', str(path)])}`)"
    )


def check_no_links(folder: Path, what: str) -> None:
    """LinkError naming the first symbolic link at `folder` or anywhere under it; `what`
    names the folder in the message ("run demo", "data set synthetic64")."""
    folder = Path(folder)
    if folder.is_symlink():
        raise _refuse(
            folder, f"the folder of {what} must be a real folder (to keep runs or data sets on "
            "another disk, link runs/, datasets/ or the artifacts folder)",
        )  # fmt: skip
    if not folder.is_dir():
        return
    pending = [folder]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    raise _refuse(Path(entry.path), f"no zspace command makes links inside {what}")
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))


def first_link(folder: Path, relative: str | Path) -> Path | None:
    """The first symbolic link on the way from `folder` (itself included) to
    `folder / relative`; None if there is none (or the way stops at a missing entry)."""
    path = Path(folder)
    for part in ("", *Path(relative).parts):
        path = path / part if part else path
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return path
        except OSError:
            return None
    return None


def regular_file_in(folder: Path, relative: str | Path) -> Path | None:
    """`folder / relative` if it is a regular file reached from `folder` through real folders
    only (no link on the way, no `..`); None otherwise."""
    relative = Path(relative)
    if relative.is_absolute() or ".." in relative.parts or first_link(folder, relative):
        return None
    path = Path(folder) / relative
    try:
        return path if stat.S_ISREG(os.lstat(path).st_mode) else None
    except OSError:
        return None


def open_no_follow(path: Path, flags: int, mode: int = 0o644) -> int:
    """os.open that refuses a link at `path` itself (LinkError) instead of following it."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _refuse(path, "zspace's own files are never links") from None
        raise
