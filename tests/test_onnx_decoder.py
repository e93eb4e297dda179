"""The dashboard's decoder on onnxruntime: shared between threads, strict about its input."""

import threading

import numpy as np
import pytest

from model.config import ModelConfig
from model.networks import build_decoder
from model.onnx_decoder import OnnxDecoder
from model.onnx_export import export_decoder


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "decoder.onnx"
    export_decoder(build_decoder(ModelConfig(image_size=32, z_dim=8)), path)
    return OnnxDecoder(path)


def test_a_decoder_is_shared_safely_between_threads(decoder):
    z = np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32)
    expected = decoder.decode(z)
    assert expected.shape == (6, 32, 32, 3) and expected.dtype == np.uint8
    results = [None] * 8

    def work(i):
        results[i] = decoder.decode(z)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_shapes_are_checked_and_nothing_decodes_to_nothing(decoder):
    assert decoder.z_dim == 8 and decoder.image_shape == (32, 32, 3)
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        decoder.decode(np.zeros((2, 3)))
    assert decoder.decode(np.zeros((0, 8))).shape == (0, 32, 32, 3)
    single = decoder.decode(np.ones((1, 8)))
    np.testing.assert_array_equal(single, decoder.decode(np.ones((5, 8)))[:1])


def test_a_missing_or_damaged_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="decoder.onnx is missing"):
        OnnxDecoder(tmp_path / "decoder.onnx")
    (tmp_path / "decoder.onnx").write_bytes(b"not onnx")
    with pytest.raises(ValueError, match="decoder.onnx could not be loaded by onnxruntime"):
        OnnxDecoder(tmp_path / "decoder.onnx")
