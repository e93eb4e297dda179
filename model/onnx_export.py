"""Every decoder also as ONNX (`decoder.onnx`), checked against Keras when it is written.

Keras' own `Model.export(format="onnx")` makes the file: it drives tf2onnx, with the patches
tf2onnx needs for numpy 2 and Keras 3, and converts any Keras decoder, the studies' networks and
imported ones alike. (tf2onnx called directly needs those patches; a graph built by hand would
cover the studies' architecture only.)
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
from pathlib import Path

import keras
import numpy as np
import onnx
import onnxruntime
import tensorflow as tf

from model.files import atomic_path

CHECK_ROWS = 16  # z-points of the fixed batch both decoders must agree on
TOLERANCE = 1e-5  # largest absolute difference allowed between their outputs in [0, 1]
CHECK_SEED = 0


class ExportError(ValueError):
    """The decoder cannot be converted to ONNX, or its ONNX copy does not give its outputs."""


def export_decoder_file(decoder: Path, target: Path) -> None:
    """The saved decoder at `decoder` (decoder.keras) as ONNX at `target`; ExportError naming
    the file when it cannot be converted."""
    from model.network_files import load_network

    try:
        export_decoder(load_network(Path(decoder)), target)
    except ExportError as error:
        raise ExportError(f"{decoder}: {error}") from error


def export_decoder(network: keras.Model, path: Path) -> float:
    """Write `network` as ONNX at `path` (atomically), checked on a fixed batch; the largest
    absolute difference from Keras. ExportError naming the layer and op that cannot be
    converted, or the difference, otherwise (the caller says which decoder)."""
    path = Path(path)
    z_dim = int(network.input_shape[-1])
    network(np.zeros((1, z_dim), np.float32), training=False)  # Keras exports called models only
    signature = [tf.TensorSpec((None, z_dim), tf.float32, name="z")]
    with atomic_path(path) as tmp:
        try:
            with _quiet():
                network.export(str(tmp), format="onnx", verbose=False, input_signature=signature)
        except Exception as error:  # tf2onnx raises many types; the message is what matters
            last = str(error).strip().splitlines()[-1] if str(error).strip() else ""
            raise ExportError(
                f"the decoder cannot be converted to ONNX ({type(error).__name__}: {last})"
            ) from error
        problem = _unconvertible(network, tmp)
        if problem is not None:
            raise ExportError(problem)
        difference = check_decoder(network, tmp)
    return difference


def check_decoder(network: keras.Model, onnx_path: Path) -> float:
    """The largest absolute difference between the Keras and the ONNX decoder on a fixed
    batch; ExportError when it is above TOLERANCE."""
    z_dim = int(network.input_shape[-1])
    z = np.random.default_rng(CHECK_SEED).normal(size=(CHECK_ROWS, z_dim)).astype(np.float32)
    expected = np.asarray(network(z, training=False))
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: z})[0]
    if got.shape != expected.shape:
        raise ExportError(f"the ONNX decoder gives {got.shape}, the Keras one {expected.shape}")
    difference = float(np.max(np.abs(got - expected)))
    if not difference <= TOLERANCE:
        raise ExportError(
            f"the ONNX decoder differs from the Keras one by up to {difference:.3g} on a fixed "
            f"batch (at most {TOLERANCE:g} is allowed)"
        )
    return difference


def _unconvertible(network: keras.Model, onnx_path: Path) -> str | None:
    """What of the exported graph ONNX cannot run: the TensorFlow ops tf2onnx left as they
    were (it has no conversion for them), with the layers they come from; None if nothing."""
    graph = onnx.load(str(onnx_path)).graph
    left = [node for node in graph.node if not onnx.defs.has(node.op_type, node.domain or "")]
    if not left:
        return None
    ops = sorted({node.op_type for node in left})
    layers = sorted({_layer_of(network, node.name) for node in left} - {None})
    where = f"layer {', '.join(map(repr, layers))} uses" if layers else "the decoder uses"
    return f"{where} TensorFlow ops that ONNX cannot express: {', '.join(ops)}"


def _layer_of(network: keras.Model, node_name: str) -> str | None:
    """The layer a graph node came from: 'functional_1/wave_1/bessel/BesselI0e' -> 'wave'."""
    names = {layer.name for layer in network.layers}
    for part in node_name.split("/")[1:]:
        for candidate in (part, re.sub(r"_\d+$", "", part)):
            if candidate in names:
                return candidate
    return None


@contextlib.contextmanager
def _quiet():
    """tf2onnx logs every step and Keras prints where it saved; neither is for users."""
    loggers = [logging.getLogger(name) for name in ("tf2onnx", "absl")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)  # an op it cannot convert is said by the check
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
