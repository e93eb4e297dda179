"""TensorFlow imported without its C++ start-up lines (oneDNN, CPU features, absl): TF 2.21 logs
them while loading, before TF_CPP_MIN_LOG_LEVEL can filter them, so the import runs with this
process's file descriptor 2 (C++ logging included) sent to /dev/null."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
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
    """Import TensorFlow (once) with its start-up lines silenced."""
    if "tensorflow" in sys.modules:
        return
    with _stderr_silenced():
        import tensorflow  # noqa: F401
