"""Real-browser tooling for tests and benchmarks: a dashboard server, Debian's chromium through
Playwright, and the press-to-painted clock.

Playwright downloads no browser here: it drives /usr/bin/chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.health import health_problem
from scripts.serve import REPO

CHROMIUM = Path("/usr/bin/chromium")
# Without these, chromium reaches for Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # a rerun has finished
IMAGES = '[data-testid="stImage"] img'  # the decoded faces a page shows


def browser_missing() -> str | None:
    """Why no real-browser figure can be taken here, or None when chromium and Playwright are
    both installed."""
    if not CHROMIUM.exists():
        return "no /usr/bin/chromium (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "no Playwright (pip install -r requirements-dev.txt)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, timeout: float, server: subprocess.Popen | None = None) -> float:
    """Seconds until `url`'s health endpoint answers "ok"; RuntimeError after `timeout` or if
    the server process exits first."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the dashboard server exited with {server.returncode}")
        if health_problem(url, timeout=2) is None:
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@dataclass(frozen=True)
class Served:
    """A running dashboard: where, how soon it answered, and its process."""

    url: str
    answered_s: float
    pid: int


def peak_rss_mib(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


@contextmanager
def dashboard_server(
    artifacts: Path,
    port: int | None = None,
    timeout: float = 180,
    log: Path | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[Served]:
    """`python -m scripts.serve` on `artifacts` (with `options`), until the block ends."""
    port = port or free_port()
    command = [sys.executable, "-m", "scripts.serve", "--artifacts", str(artifacts), *options]
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://localhost:{port}"
    try:
        yield Served(url, wait_healthy(url, timeout, server), server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if log:
            output.close()


def launch_options() -> dict[str, Any]:
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


# Installed before a key press: records the press time and the page's image sources at that
# moment (an image that arrives between installing and pressing, e.g. the last part of the
# previous rerun, is not new), then on every animation frame looks at the page's images; once
# one has a new source and all are loaded, it stamps the frame after they are decoded, i.e.
# when the new picture is painted.
_ARM = """(selector) => {
  window.__pressed = null; window.__painted = null;
  const sources = () => [...document.querySelectorAll(selector)].map(img => img.src);
  document.addEventListener('keydown', () => {
    window.__pressed = performance.now();
    const before = sources();
    const look = () => {
      const images = [...document.querySelectorAll(selector)];
      const fresh = images.some(img => !before.includes(img.src));
      if (fresh && images.every(img => img.complete && img.naturalWidth > 0)) {
        Promise.all(images.map(img => img.decode().catch(() => null))).then(() =>
          requestAnimationFrame(() => { window.__painted = performance.now(); }));
      } else {
        requestAnimationFrame(look);
      }
    };
    requestAnimationFrame(look);
  }, {capture: true, once: true});
}"""


async def image_sources(page: Any) -> list[str]:
    return await page.eval_on_selector_all(IMAGES, "images => images.map(img => img.src)")


async def press_to_painted(
    page: Any, control: Any, key: str, timeout_ms: float = 120_000
) -> float:
    """Milliseconds from pressing `key` on `control` to the page's new faces painted (async
    Playwright); then waits for the rerun to finish, so moves never overlap."""
    await page.evaluate(_ARM, IMAGES)
    await control.press(key)
    await page.wait_for_function("window.__painted !== null", timeout=timeout_ms, polling="raf")
    elapsed = await page.evaluate("window.__painted - window.__pressed")
    await page.locator(IDLE).wait_for(timeout=timeout_ms)
    return float(elapsed)


# The browser-decoded faces (app/live_faces.js): the component's root element, with data-paints
# (frames painted so far), data-painted-at (performance.now() of the last) and data-values.
LIVE = ".live-faces"


def live_canvas_pixels(page: Any) -> Any:
    """The live canvas's RGB pixels (H, W, 3) uint8, as the page painted them (sync Playwright)."""
    import numpy as np

    shot = page.locator(f"{LIVE} canvas").first.evaluate(
        "c => ({w: c.width, h: c.height, data: Array.from("
        "c.getContext('2d').getImageData(0, 0, c.width, c.height).data)})"
    )
    return np.array(shot["data"], np.uint8).reshape(shot["h"], shot["w"], 4)[..., :3]


def live_paints(page: Any) -> int:
    """Frames the live canvas has painted (0 before the first)."""
    return int(page.locator(LIVE).first.get_attribute("data-paints") or 0)
