"""The downloads benchmark: what a crowd of browsers fetching the decoding runtime costs the
dashboard's memory.

`python -m scripts.serve` on an empty artifacts folder; once it answers, N clients at once each
download the largest file it serves (the asyncify build of onnxruntime-web's WebAssembly, 27 MB)
to the end, first plainly (no Accept-Encoding: streamed from disk), then taking gzip (the copy
gzipped once and kept). The figure is the rise of the server's resident memory (VmRSS, sampled
every 20 ms) above what it held just before, in MiB. Each round starts from a fresh server.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

from scripts.bench.common import emit

LARGEST = "ort-wasm-simd-threaded.asyncify.wasm"


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _download(url: str, gzipped: bool, start: threading.Barrier, sizes: list[int]) -> None:
    headers = {"Accept-Encoding": "gzip"} if gzipped else {}
    request = urllib.request.Request(url, headers=headers)
    start.wait()
    received = 0
    with urllib.request.urlopen(request, timeout=600) as response:
        while block := response.read(1 << 16):
            received += len(block)
    sizes.append(received)


def crowd(url: str, pid: int, clients: int, gzipped: bool) -> dict[str, float]:
    """`clients` simultaneous downloads of `url`: the server's RSS rise (MiB) and the time."""
    urllib.request.urlopen(url, timeout=600).read()  # the file's first download, before counting
    before = _rss_mib(pid)
    start, sizes = threading.Barrier(clients + 1), []
    threads = [threading.Thread(target=_download, args=(url, gzipped, start, sizes))
               for _ in range(clients)]  # fmt: skip
    for thread in threads:
        thread.start()
    start.wait()
    started, peak = time.perf_counter(), before
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, _rss_mib(pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if len(sizes) != clients or len(set(sizes)) != 1:
        raise RuntimeError(f"{clients - len(sizes)} of {clients} downloads failed")
    return {"rise_mib": peak - before, "seconds": seconds, "before_mib": before,
            "bytes_each": sizes[0]}  # fmt: skip


def bench_downloads(workdir: Path, sizes: dict[str, int]) -> None:
    from app.assets import runtime_url
    from scripts.bench.browser import dashboard_server

    clients = sizes["downloads"]
    artifacts = workdir / "downloads" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    for gzipped in (False, True):
        with dashboard_server(artifacts, log=workdir / "downloads" / "serve.log") as served:
            result = crowd(f"{served.url}{runtime_url(LARGEST)}", served.pid, clients, gzipped)
        emit(f"download_rss_rise_mib_{'gzip' if gzipped else 'plain'}", result["rise_mib"],
             "MiB", clients=clients, file=LARGEST, bytes_each=result["bytes_each"],
             seconds=round(result["seconds"], 1),
             rss_before_mib=round(result["before_mib"]))  # fmt: skip
