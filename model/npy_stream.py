"""Stream rows into a .npy file whose length is only known at the end."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

# A fixed-size header leaves room to write the final shape once all rows are in.
HEADER_BYTES = 128


class NpyStreamWriter:
    """Append batches of rows of one shape and dtype; `close` writes the final .npy header.

    Rows go straight to the file with plain writes, so memory stays flat however many rows.
    `rows_sha256` is the sha256 of the row bytes (the file without its header), kept as they go.
    """

    def __init__(self, path: Path, row_shape: tuple[int, ...], dtype: np.dtype | str) -> None:
        self.path = Path(path)
        self.row_shape = tuple(row_shape)
        self.dtype = np.dtype(dtype)
        self.count = 0
        self._digest = hashlib.sha256()
        self._handle = open(self.path, "wb")  # noqa: SIM115 - closed by close() or abort()
        self._handle.write(b"\0" * HEADER_BYTES)

    def append(self, rows: np.ndarray) -> None:
        if rows.dtype != self.dtype or rows.shape[1:] != self.row_shape:
            raise ValueError(
                f"{self.path.name}: rows must be {self.dtype} of shape (n, "
                f"{', '.join(map(str, self.row_shape))}), got {rows.dtype} {rows.shape}"
            )
        data = np.ascontiguousarray(rows).tobytes()
        self._handle.write(data)
        self._digest.update(data)
        self.count += len(rows)

    @property
    def rows_sha256(self) -> str:
        return self._digest.hexdigest()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        """Write the header for the rows written so far, flush and sync."""
        self._handle.seek(0)
        self._handle.write(npy_header((self.count, *self.row_shape), self.dtype))
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()

    def abort(self) -> None:
        if not self._handle.closed:
            self._handle.close()


def npy_header(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    """A version 1.0 .npy header padded to exactly HEADER_BYTES."""
    text = repr(
        {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
    )
    prefix = b"\x93NUMPY\x01\x00"
    body_len = HEADER_BYTES - len(prefix) - 2
    if len(text) + 1 > body_len:
        raise ValueError(f"shape {shape} does not fit a {HEADER_BYTES}-byte .npy header")
    body = (text + " " * (body_len - len(text) - 1) + "\n").encode("latin1")
    return prefix + body_len.to_bytes(2, "little") + body
