"""Shared command-line plumbing: quiet TensorFlow, readable errors instead of tracebacks."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from model.locks import Busy
from model.quiet_tensorflow import import_tensorflow_quietly

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

DEFAULT_ARTIFACTS = Path("artifacts")
# Errors a user can fix from the message alone: printed without a traceback, exit code 2.
USER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,  # a folder given where a file belongs
    NotADirectoryError,
    FloatingPointError,  # training diverged: the message says what was kept
    ConnectionError,  # distributed training lost a worker: the message says how to resume
)
# The machine, not the command, is in the way (another process, the disk, memory): exit code 1.
ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (Busy, MemoryError, OSError)
_KEPT = "what was finished is kept, and nothing was half-written"


def command_parser(name: str, doc: str | None) -> argparse.ArgumentParser:
    """The parser of `python -m scripts.NAME`, its help led by the module's docstring as written."""
    return argparse.ArgumentParser(
        prog=f"python -m scripts.{name}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def describe_environment_error(error: BaseException) -> str:
    """One line for an error of the machine: which file, what happened, what to do."""
    if isinstance(error, Busy):
        return str(error)
    if isinstance(error, MemoryError) or _out_of_memory(error):
        return f"out of memory ({_KEPT}); free some memory or choose smaller settings"
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        what = error.strerror or str(error)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"{what} writing{where}: free some space and run the command again ({_KEPT})"
        return f"{what}{where}"
    return str(error)


def _out_of_memory(error: BaseException) -> bool:
    """TensorFlow's own out-of-memory error (its class, without importing TensorFlow)."""
    return any(cls.__name__ == "ResourceExhaustedError" for cls in type(error).__mro__)


def port(text: str) -> int:
    """An argparse type: a TCP port number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is not between 1 and 65535")
    return value


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Ctrl+C (SIGINT) and `kill` / `docker stop` (SIGTERM) both stop a command as Ctrl+C does,
    keeping what is finished. Set explicitly: a process started in the background by a
    non-interactive shell, or by one that was, inherits SIGINT ignored."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)


def run(main: Callable[[], int | None], tensorflow: bool = True) -> int:
    """Run a command's body: log to stderr, and turn errors into one line `error: ...`, exit
    code 2 for what the user can fix in the command, 1 for what the machine is short of, 130
    for Ctrl+C or SIGTERM (with what was kept).

    `tensorflow`: the body uses it, so it is imported first, quietly.
    """
    # zspace's own lines (a lock taken over, images skipped) at INFO; the libraries' only from
    # WARNING (openTSNE, TensorFlow and others log their progress at INFO: not for users)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    for ours in ("model", "scripts"):
        logging.getLogger(ours).setLevel(logging.INFO)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    _stop_on_signals()
    try:
        if tensorflow:
            import_tensorflow_quietly()
        return main() or 0
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ENVIRONMENT_ERRORS as error:
        print(f"error: {describe_environment_error(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print(str(stop) or "interrupted; finished stages and checkpoints are kept", file=sys.stderr)
        return 130
    except Exception as error:
        if not _out_of_memory(error):
            raise
        print(f"error: {describe_environment_error(error)}", file=sys.stderr)
        return 1
