"""What browsers download to decode faces themselves: the vendored onnxruntime-web files, each
run's decoder as ONNX and each map's decodable grid, served by the dashboard itself (never from a
CDN).

Both are immutable under their URL (the runtime's version, the decoder's sha256 in the query),
so a browser fetches each once. Each file is gzipped once and kept in memory: Streamlit's own
middleware would otherwise gzip the 14 MB runtime at its highest level on every download. The
WebAssembly runtime is gzipped in the background as the server starts (0.7 s of one core), so
the first browser's first view does not wait for it.
"""

from __future__ import annotations

import functools
import gzip
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from model.names import is_valid_name
from model.network_files import ONNX_FILE
from model.pipeline.runs import ANALYSIS_DIR, TRAIN_DIR, ArtifactLayout

RUNTIME_FOLDER = Path(__file__).resolve().parent / "static" / "onnxruntime-web"
RUNTIME_VERSION = (RUNTIME_FOLDER / "VERSION").read_text().strip()
RUNTIME_PREFIX = f"/zspace/onnxruntime-web/{RUNTIME_VERSION}"
DECODERS_PREFIX = "/zspace/decoders"
GRIDS_PREFIX = "/zspace/grids"
_TYPES = {".mjs": "text/javascript", ".wasm": "application/wasm"}
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
_MAP_NAME = re.compile(r"(tsne|umap)_[A-Za-z0-9_.]+")
# What a browser without WebGPU downloads (the WebGPU build is gzipped on its first request).
_FIRST_VIEW = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
_RUNTIME_FILES = frozenset(
    path.name for path in RUNTIME_FOLDER.iterdir() if path.suffix in (".mjs", ".wasm")
)


def runtime_url(name: str) -> str:
    """The path of an onnxruntime-web file, e.g. runtime_url('ort.wasm.min.mjs')."""
    return f"{RUNTIME_PREFIX}/{name}"


def decoder_url(run: str, sha256: str) -> str:
    """The path of a run's decoder.onnx; its hash keeps a browser's copy current."""
    return f"{DECODERS_PREFIX}/{run}/{ONNX_FILE}?v={sha256[:16]}"


def grid_url(run: str, name: str, sha256: str) -> str:
    """The path of a map's decodable grid (its z, float32), e.g. grid_url('demo', 'tsne_...')."""
    return f"{GRIDS_PREFIX}/{run}/{name}?v={sha256[:16]}"


def routes(artifacts: Path) -> list[Route]:
    """The runtime's and the decoders' routes; starts gzipping the runtime for its first view."""
    warm = [RUNTIME_FOLDER / name for name in _FIRST_VIEW]
    threading.Thread(target=lambda: [_gzipped_file(path) for path in warm], daemon=True).start()

    async def runtime(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _RUNTIME_FILES:
            return PlainTextResponse(f"no onnxruntime-web file {name!r}", 404)
        return _file(request, RUNTIME_FOLDER / name)

    async def decoder(request: Request) -> Response:
        run = request.path_params["run"]
        path = ArtifactLayout(artifacts).root / "runs" / run / TRAIN_DIR / ONNX_FILE
        if not is_valid_name(run) or not path.is_file():
            return PlainTextResponse(f"run {run!r} has no {ONNX_FILE}", 404)
        return _file(request, path)

    async def grid(request: Request) -> Response:
        run, name = request.path_params["run"], request.path_params["name"]
        path = ArtifactLayout(artifacts).root / "runs" / run / ANALYSIS_DIR / f"grid_{name}.npz"
        if not (is_valid_name(run) and _MAP_NAME.fullmatch(name) and path.is_file()):
            return PlainTextResponse(f"run {run!r} has no grid for map {name!r}", 404)
        packed = _grid_bytes(str(path), os.stat(path).st_mtime_ns)
        return _respond(
            request, "application/octet-stream", lambda: gzip.decompress(packed), lambda: packed
        )

    return [
        Route(f"{RUNTIME_PREFIX}/{{name}}", runtime),
        Route(f"{DECODERS_PREFIX}/{{run}}/{ONNX_FILE}", decoder),
        Route(f"{GRIDS_PREFIX}/{{run}}/{{name}}", grid),
    ]


def _file(request: Request, path: Path) -> Response:
    media_type = _TYPES.get(path.suffix, "application/octet-stream")
    return _respond(request, media_type, path.read_bytes, lambda: _gzipped_file(path))


def _respond(
    request: Request, media_type: str, plain: Callable[[], bytes], gzipped: Callable[[], bytes]
) -> Response:
    """The gzipped bytes for a client that takes gzip, else the plain ones; immutable."""
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(plain(), media_type=media_type, headers=_IMMUTABLE)
    headers = {**_IMMUTABLE, "Content-Encoding": "gzip"}
    return Response(gzipped(), media_type=media_type, headers=headers)


@functools.lru_cache(maxsize=16)
def _grid_bytes(path: str, mtime_ns: int) -> bytes:
    """A grid's z as little-endian float32, [row, column, component], gzipped."""
    with np.load(path, allow_pickle=False) as saved:
        z = np.ascontiguousarray(saved["z"], dtype="<f4")
    return gzip.compress(z.tobytes(), compresslevel=6, mtime=0)


def _gzipped_file(path: Path) -> bytes:
    return _gzipped(str(path), os.stat(path).st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _gzipped(path: str, mtime_ns: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)
