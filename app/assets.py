"""What browsers download to decode faces themselves: the vendored onnxruntime-web files, each
run's decoder as ONNX and each map's decodable grid, served by the dashboard itself (never from a
CDN).

Only what a run's manifest records is served: a regular file inside that run's folder, reached
without a link, whose size and sha256 are the recorded ones (model.links). Each is
immutable under its URL (the runtime's version, the decoder's sha256 in the query), so a
browser fetches each once.

Files are streamed from disk in small chunks, with Range and HEAD answered, so a crowd of
downloads holds no file in memory per request. A client that takes gzip gets a copy gzipped once
and kept (Streamlit's own middleware would gzip the 14 MB runtime at its highest level on every
download), streamed in chunks as well; the WebAssembly runtime is gzipped in the background as
the server starts (0.7 s of one core), so the first browser's first view does not wait for it.
"""

from __future__ import annotations

import functools
import gzip
import os
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from model.files import sha256_of
from model.links import regular_file_in
from model.names import is_valid_name
from model.network_files import ONNX_FILE
from model.pipeline.runs import ANALYSIS_DIR, TRAIN_DIR, ArtifactLayout, Run, RunError

RUNTIME_FOLDER = Path(__file__).resolve().parent / "static" / "onnxruntime-web"
RUNTIME_VERSION = (RUNTIME_FOLDER / "VERSION").read_text().strip()
RUNTIME_PREFIX = f"/zspace/onnxruntime-web/{RUNTIME_VERSION}"
DECODERS_PREFIX = "/zspace/decoders"
GRIDS_PREFIX = "/zspace/grids"
CHUNK_BYTES = 256 * 1024
_TYPES = {".mjs": "text/javascript", ".wasm": "application/wasm"}
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
_MAP_NAME = re.compile(r"(tsne|umap)_[A-Za-z0-9_.]+")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
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


def recorded_file(artifacts: Path, run: str, relative: str) -> Path | None:
    """`runs/RUN/RELATIVE` if run RUN's manifest records it and it is that very file: regular,
    inside the run's folder with no link on the way, of the recorded size and sha256."""
    if not is_valid_name(run):
        return None
    folder = ArtifactLayout(artifacts).run(run)
    try:
        manifest = Run.open(folder).manifest
    except (RunError, ValueError, OSError):
        return None
    records = [stage["files"][relative] for stage in manifest["stages"].values()
               if relative in stage["files"]]  # fmt: skip
    path = regular_file_in(folder, relative)
    if not records or path is None:
        return None
    status = os.stat(path)
    if status.st_size != records[0]["size"]:
        return None
    digest = _sha256(str(path), status.st_ino, status.st_size, status.st_mtime_ns)
    return path if digest == records[0]["sha256"] else None


@functools.lru_cache(maxsize=64)
def _sha256(path: str, inode: int, size: int, mtime_ns: int) -> str:
    return sha256_of(Path(path))


def routes(artifacts: Path) -> list[Route]:
    """The runtime's, the decoders' and the grids' routes; starts gzipping the runtime for its
    first view."""
    warm = [RUNTIME_FOLDER / name for name in _FIRST_VIEW]
    threading.Thread(target=lambda: [_gzipped_file(path) for path in warm], daemon=True).start()

    async def runtime(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _RUNTIME_FILES:
            return PlainTextResponse(f"no onnxruntime-web file {name!r}", 404)
        return _file(request, RUNTIME_FOLDER / name)

    async def decoder(request: Request) -> Response:
        run = request.path_params["run"]
        path = recorded_file(artifacts, run, f"{TRAIN_DIR}/{ONNX_FILE}")
        if path is None:
            return PlainTextResponse(f"run {run!r} has no {ONNX_FILE}", 404)
        return _file(request, path)

    async def grid(request: Request) -> Response:
        run, name = request.path_params["run"], request.path_params["name"]
        path = None
        if _MAP_NAME.fullmatch(name):
            path = recorded_file(artifacts, run, f"{ANALYSIS_DIR}/grid_{name}.npz")
        if path is None:
            return PlainTextResponse(f"run {run!r} has no grid for map {name!r}", 404)
        try:
            plain, packed = _grid_bytes(str(path), os.stat(path).st_mtime_ns)
        except (ValueError, KeyError, OSError):
            return PlainTextResponse(f"run {run!r}: the grid of map {name!r} is unreadable", 404)
        return _from_memory(request, "application/octet-stream", plain, packed)

    return [
        Route(f"{RUNTIME_PREFIX}/{{name}}", runtime),
        Route(f"{DECODERS_PREFIX}/{{run}}/{ONNX_FILE}", decoder),
        Route(f"{GRIDS_PREFIX}/{{run}}/{{name}}", grid),
    ]


def _takes_gzip(request: Request) -> bool:
    """The client takes gzip and wants the whole file (a Range is of the file's own bytes)."""
    return "gzip" in request.headers.get("accept-encoding", "") and "range" not in request.headers


def _file(request: Request, path: Path) -> Response:
    """A file from disk (Range and HEAD answered by Starlette), or its gzipped copy."""
    media_type = _TYPES.get(path.suffix, "application/octet-stream")
    if _takes_gzip(request):
        return _from_memory(request, media_type, b"", _gzipped_file(path))
    return FileResponse(path, media_type=media_type, headers=_IMMUTABLE)


def _from_memory(request: Request, media_type: str, plain: bytes, packed: bytes) -> Response:
    """Bytes kept in memory, streamed in chunks: `packed` (gzipped) to a client that takes gzip,
    else `plain`, or the one byte range it asks for."""
    headers = dict(_IMMUTABLE)
    status = 200
    if _takes_gzip(request):
        body = memoryview(packed)
        headers["Content-Encoding"] = "gzip"
    else:
        body = memoryview(plain)
        headers["Accept-Ranges"] = "bytes"
        asked = request.headers.get("range")
        if asked is not None:
            span = _byte_range(asked, len(body))
            if span is None:
                headers = {"Content-Range": f"bytes */{len(body)}"}
                return PlainTextResponse("range not satisfiable", 416, headers=headers)
            if span != (0, len(body)):
                start, stop = span
                headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(body)}"
                body, status = body[start:stop], 206
    headers["Content-Length"] = str(len(body))
    if request.method == "HEAD":
        return Response(None, status, headers, media_type)
    return StreamingResponse(_chunks(body), status, headers, media_type)


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """[start, stop) of a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`
    bytes; None if it is malformed or lies outside them (several ranges get the whole file)."""
    match = _RANGE.fullmatch(header.strip())
    if "," in header:
        return 0, size
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        start, stop = max(size - int(last), 0), size
    else:
        start = int(first)
        stop = min(int(last) + 1, size) if last else size
    return (start, stop) if start < stop else None


async def _chunks(body: memoryview) -> AsyncIterator[memoryview]:
    for start in range(0, len(body), CHUNK_BYTES):
        yield body[start : start + CHUNK_BYTES]


@functools.lru_cache(maxsize=16)
def _grid_bytes(path: str, mtime_ns: int) -> tuple[bytes, bytes]:
    """A grid's z as little-endian float32, [row, column, component]: plain and gzipped."""
    with np.load(path, allow_pickle=False) as saved:
        plain = np.ascontiguousarray(saved["z"], dtype="<f4").tobytes()
    return plain, gzip.compress(plain, compresslevel=6, mtime=0)


def _gzipped_file(path: Path) -> bytes:
    return _gzipped(str(path), os.stat(path).st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _gzipped(path: str, mtime_ns: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)
