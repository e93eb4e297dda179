"""Shared command-line plumbing: quiet TensorFlow, readable errors instead of tracebacks."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
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
)


def run(main: Callable[[], int | None]) -> int:
    """Run a command's body: log to stderr, turn user errors into `error: ...` and exit code 2."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        return main() or 0
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished stages and checkpoints are kept", file=sys.stderr)
        return 130
