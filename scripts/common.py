"""Shared command-line plumbing: quiet TensorFlow, readable errors instead of tracebacks."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

DEFAULT_ARTIFACTS = Path("artifacts")
# Errors a user can fix from the message alone: printed without a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    FileNotFoundError,
    FileExistsError,
    FloatingPointError,  # training diverged: the message says what was kept
    ConnectionError,  # distributed training lost a worker: the message says how to resume
)


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send this process's file descriptor 2 (C++ logging included) to /dev/null for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow without its C++ start-up lines (oneDNN, CPU features, absl): TF 2.21
    logs them while loading, before TF_CPP_MIN_LOG_LEVEL can filter them."""
    if "tensorflow" in sys.modules:
        return
    with _stderr_silenced():
        import tensorflow  # noqa: F401


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Ctrl+C (SIGINT) and `kill` / `docker stop` (SIGTERM) both stop a command as Ctrl+C does,
    keeping what is finished. Set explicitly: a process started in the background by a
    non-interactive shell, or by one that was, inherits SIGINT ignored."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)


def run(main: Callable[[], int | None], tensorflow: bool = True) -> int:
    """Run a command's body: log to stderr, turn user errors into `error: ...` and exit code 2.

    `tensorflow`: the body uses it, so it is imported first, quietly.
    """
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # its INFO lines are not for users
    _stop_on_signals()
    try:
        if tensorflow:
            import_tensorflow_quietly()
        return main() or 0
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished stages and checkpoints are kept", file=sys.stderr)
        return 130
