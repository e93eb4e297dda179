"""A run's decoder on onnxruntime: what the dashboard decodes faces with, without TensorFlow.

One inference session per run is shared by every browser session. A decode spreads over the
cores the process may use (on 2 cores, 28 `celeba` faces take about 0.7 of one thread's time),
and its threads do not spin while they wait, so an idle dashboard takes no CPU and the decodes
of several sessions share the cores instead of fighting for them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime

from model.generation import to_uint8
from model.parallel import available_cores


class OnnxDecoder:
    """z-points (n, z_dim) -> uint8 images (n, S, S, 3), from `decoder.onnx`."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or available_cores()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # warnings about unused initialisers are not for users
        try:
            self.session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own types for a damaged file
            raise ValueError(f"{path} could not be loaded by onnxruntime: {error}") from error
        [given] = self.session.get_inputs()
        self.input_name = given.name
        self.z_dim = int(given.shape[-1])
        self.image_shape = tuple(int(n) for n in self.session.get_outputs()[0].shape[1:])

    def decode(self, z: np.ndarray) -> np.ndarray:
        """uint8 images (n, H, W, 3) for float z-points (n, z_dim)."""
        return to_uint8(self.decode_float(z))

    def decode_float(self, z: np.ndarray) -> np.ndarray:
        """The decoder's own float32 output in [0, 1]."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z-points must have shape (n, {self.z_dim}), got {z.shape}")
        if len(z) == 0:
            return np.zeros((0, *self.image_shape), np.float32)
        return self.session.run(None, {self.input_name: z})[0]

    def warm_up(self) -> None:
        """Run once, so the first person's first faces wait for no allocation."""
        self.decode(np.zeros((1, self.z_dim), np.float32))
