"""One writer at a time: an exclusive lock per run and per data set.

A lock is a small file beside the folder it guards (`runs/.NAME.lock`), held with `flock`, so the
kernel releases it the moment its process ends, however it ends: a lock left by a killed process
is free for the next command, which says that it took it over. The file names the process that
holds it, so a second command refuses with one line that says who is writing. It is opened
without following links: a link planted in its place is refused, never written through.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from model.files import naming_the_file
from model.links import open_no_follow

log = logging.getLogger(__name__)


class Busy(RuntimeError):
    """Another process is writing the same run or data set."""


@contextlib.contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold the lock file `path` for the block; Busy naming the holder if another process has
    it. `what` names the guarded thing in messages, e.g. "run demo"."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, what)
    try:
        previous = _read_holder(fd)
        if previous is not None:
            log.warning("%s: took over the lock of %s, which is no longer running", what,
                        describe_holder(previous))  # fmt: skip
        with naming_the_file(path):
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(_this_process()).encode(), 0)
        yield
    finally:
        # Unlinked while still held: a process that opened the old file sees it is gone.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def _acquire(path: Path, what: str) -> int:
    while True:
        fd = open_no_follow(path, os.O_RDWR | os.O_CREAT)  # a planted link is refused
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = describe_holder(holder) if holder else "another process"
            raise Busy(
                f"{what} is being written by {who}; wait until it finishes, or stop it "
                "(a stopped command keeps what it finished)"
            ) from None
        try:
            same_file = os.fstat(fd).st_ino == os.lstat(path).st_ino
        except FileNotFoundError:
            same_file = False
        if same_file:
            return fd
        os.close(fd)  # the holder released and removed it in between: lock the new file


def _read_holder(fd: int) -> dict[str, Any] | None:
    data = os.pread(fd, 4096, 0)
    if not data:
        return None
    try:
        holder = json.loads(data)
    except ValueError:
        return None
    return holder if isinstance(holder, dict) else None


def describe_holder(holder: dict[str, Any]) -> str:
    """'process 1234 on host (python -m scripts.train --run demo, since 10:32:05 UTC)'."""
    where = "" if holder.get("host") == socket.gethostname() else f" on {holder.get('host')}"
    since = str(holder.get("since", ""))[11:19]
    return f"process {holder.get('pid')}{where} ({holder.get('command')}, since {since} UTC)"


def _this_process() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": _command_line(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _command_line() -> str:
    """How this process was started, as a person would type it."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name and not spec.name.endswith("__main__"):
        return " ".join(["python -m", spec.name, *sys.argv[1:]])
    return " ".join(["python", *sys.argv]) if sys.argv else "python"


def lock_beside(folder: Path, what: str) -> contextlib.AbstractContextManager[None]:
    """The lock of `folder` (a run or a data set): the file `.NAME.lock` beside it."""
    folder = Path(folder)
    return exclusive(folder.with_name(f".{folder.name}.lock"), what)
