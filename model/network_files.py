"""A run's networks on disk: the names of the files in its train/ folder, and saving and
loading the networks.

`train/encoder.keras` and `train/decoder.keras` are what training writes (and what a model of
your own is imported as); `train/decoder.onnx` is the decoder's copy the dashboard decodes with;
`history.json` and `checkpoint.npz` are training's record and state (model.training).
Keras is imported only by the functions that need it, so the dashboard reads the names without
TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from model.files import atomic_path

if TYPE_CHECKING:
    import keras

    from model.autoencoder import LatentAutoencoder

ENCODER_FILE = "encoder.keras"
DECODER_FILE = "decoder.keras"
ONNX_FILE = "decoder.onnx"  # the decoder, exported for onnxruntime (model.onnx_export)
HISTORY_FILE = "history.json"
CHECKPOINT_FILE = "checkpoint.npz"


def save_networks(model: LatentAutoencoder, out_dir: Path) -> None:
    """Save encoder and decoder as separate .keras files: always float32 networks on one device,
    whatever precision and devices trained them, so every run loads and decodes alike."""
    for network, name in zip(_plain_networks(model), (ENCODER_FILE, DECODER_FILE)):
        with atomic_path(out_dir / name) as tmp:
            network.save(tmp)


def _plain_networks(model: LatentAutoencoder) -> tuple[keras.Model, keras.Model]:
    from model.networks import build_decoder, build_encoder

    if model.plain:
        return model.encoder, model.decoder
    plain = build_encoder(model.config), build_decoder(model.config)
    for copy, trained in zip(plain, (model.encoder, model.decoder)):
        copy.set_weights(trained.get_weights())
    return plain


def load_network(path: Path) -> keras.Model:
    """Load a saved encoder or decoder, naming the file if it is missing or unreadable."""
    import keras

    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for a damaged archive
        raise ValueError(f"{path} could not be loaded as a Keras model: {error}") from error
