"""The live benchmark when the browser decodes (the default): a person's hand, in chromium.

For the `demo` run (64 px, z_dim 64; the serve benchmark's random-weight runs) and the live
benchmark's `celeba` run (96 px, z_dim 256, 28 faces), on the Sample page's scale slider, with
onnxruntime-web on WebAssembly (headless chromium has no GPU adapter):

- paints per second during a 2-second mouse drag, and the server process's CPU seconds during
  the drags (the release's rerun is not in them);
- key press to painted: ArrowRight on the slider until the canvas shows the new faces (its next
  animation frame), median and p90 over moves with a person's pauses between them;
- a new browser's first view to faces, the runtime (14 MB) and the decoder downloaded;
- 4 and 8 people dragging at once, each in their own chromium: paints per second per session,
  and the server's CPU per session-move. The browsers share this machine's 2 cores with the
  server, which a room's laptops would not;
- for `demo`, the face under the cursor of the Projections page: paints per second while the
  mouse crosses a PCA plane and a t-SNE map's decodable grid for 2 seconds, and the server's
  CPU seconds meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from scripts.bench.common import emit

DRAG_SECONDS = 2.0
RELEASE_S = 1.0  # the rerun a release starts has begun by then
PAUSE_S = (0.1, 0.4)  # a person's pause between two key presses
# The component's root inside its shadow root, as page scripts must reach it.
LIVE_ROOT = (
    "[...document.querySelectorAll('*')].find((e) => e.shadowRoot && "
    "e.shadowRoot.querySelector('.live-faces')).shadowRoot.querySelector('.live-faces')"
)
# Arms the clock: stamps the next key press's time.
_ARM = """() => {
  window.__pressed = null;
  document.addEventListener('keydown', () => { window.__pressed = performance.now(); },
      {capture: true, once: true});
}"""
# The canvas shows the faces of `value`, painted after the press.
_SHOWS = f"""value => {{
  const live = {LIVE_ROOT};
  return window.__pressed !== null && live.dataset.values === JSON.stringify([value]) &&
      Number(live.dataset.paintedAt) > window.__pressed;
}}"""


# The page's own clocks (app/live_faces.js): ms of each decode and of each sharpen-and-paint.
_PARTS = """() => Object.fromEntries(['decode', 'paint'].map((part) => [part,
  performance.getEntriesByType('measure').filter((m) => m.name === `live-faces:${part}`)
    .map((m) => m.duration)]))"""


# When the first view's component mounted, had its runtime and its sessions, and first painted:
# seconds since the page's navigation began.
_STAGES = """() => Object.fromEntries(performance.getEntriesByType('mark')
  .filter((m) => m.name.startsWith('live-faces:'))
  .map((m) => [m.name.slice(11).replace('-', '_') + '_s', Math.round(m.startTime) / 1000]))"""


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _open(browser: Any, url: str) -> Any:
    from scripts.bench.browser import IDLE, LIVE

    context = await browser.new_context(viewport={"width": 1400, "height": 1100})
    page = await context.new_page()
    await page.goto(url, timeout=180_000)
    await page.locator(IDLE).wait_for(timeout=180_000)
    await page.locator(f"{LIVE}[data-paints]").first.wait_for(timeout=180_000)
    return page


async def _paints(page: Any) -> int:
    from scripts.bench.browser import LIVE

    return int(await page.locator(LIVE).first.get_attribute("data-paints"))


async def _drag(page: Any, pid: int, seconds: float = DRAG_SECONDS) -> tuple[int, float, int]:
    """A mouse drag along the scale slider: (paints, server CPU seconds, mouse moves)."""
    from scripts.bench.browser import IDLE, LIVE

    slider = page.locator(f"{LIVE} input[type=range]").first
    box = await slider.bounding_box()
    y = box["y"] + box["height"] / 2
    await page.mouse.move(box["x"] + 0.15 * box["width"], y)
    await page.mouse.down()
    before, cpu, moves = await _paints(page), _cpu_seconds(pid), 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        await page.mouse.move(box["x"] + (0.15 + 0.7 * elapsed / seconds) * box["width"], y)
        moves += 1
        await asyncio.sleep(1 / 60)  # a mouse reports about 60 positions a second
    painted, used = await _paints(page) - before, _cpu_seconds(pid) - cpu
    await page.mouse.up()
    await asyncio.sleep(RELEASE_S)  # the release's rerun, outside the next drag's clock
    await page.locator(IDLE).wait_for(timeout=180_000)
    return painted, used, moves


async def _presses(page: Any, moves: int, seed: int) -> list[float]:
    """ms from each ArrowRight to the canvas's next paint."""
    from scripts.bench.browser import LIVE

    pause = random.Random(seed)
    slider = page.locator(f"{LIVE} input[type=range]").first
    await slider.focus()
    await slider.press("Home")
    await page.wait_for_timeout(500)
    times = []
    for _ in range(moves):
        await page.evaluate(_ARM)
        await slider.press("ArrowRight")
        value = float(await slider.input_value())
        await page.wait_for_function(_SHOWS, arg=value, timeout=60_000, polling="raf")
        painted = await page.locator(LIVE).first.get_attribute("data-painted-at")
        times.append(float(painted) - await page.evaluate("window.__pressed"))
        await asyncio.sleep(pause.uniform(*PAUSE_S))
    return times


async def _room(url: str, pid: int, sessions: int) -> list[tuple[int, float, int]]:
    """`sessions` people, each in their own chromium, dragging at once."""
    from playwright.async_api import async_playwright

    from scripts.bench.browser import launch_options

    async with async_playwright() as playwright:
        browsers = [await playwright.chromium.launch(**launch_options()) for _ in range(sessions)]
        try:
            pages = [await _open(browser, url) for browser in browsers]
            cpu = _cpu_seconds(pid)
            results = await asyncio.gather(*(_drag(page, pid) for page in pages))
            shared = _cpu_seconds(pid) - cpu
            return [(painted, shared / sessions, moves) for painted, _, moves in results]
        finally:
            for browser in browsers:
                await browser.close()


async def _one_person(url: str, pid: int, presses: int, drags: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from scripts.bench.browser import launch_options

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        try:
            started = time.perf_counter()
            page = await _open(browser, url)
            first_view = time.perf_counter() - started
            stages = await page.evaluate(_STAGES)
            backend = await page.locator("[data-backend]").first.get_attribute("data-backend")
            cpu = _cpu_seconds(pid)
            await asyncio.sleep(DRAG_SECONDS)  # the server's CPU with the page open and idle
            idle = _cpu_seconds(pid) - cpu
            drags = [await _drag(page, pid) for _ in range(drags)]
            await asyncio.sleep(1.0)  # the last release's rerun is over
            times = await _presses(page, presses, seed=0)
            parts = await page.evaluate(_PARTS)
        finally:
            await browser.close()
    return {"first_view": first_view, "backend": backend, "drags": drags, "presses": times,
            "idle_cpu": idle, "parts": parts, "stages": stages}  # fmt: skip


async def _cursor_sweeps(url: str, pid: int, sweeps: int) -> list[tuple[int, float]]:
    """The mouse across the map's plot area for DRAG_SECONDS, `sweeps` times: (paints, server
    CPU seconds) of each."""
    from playwright.async_api import async_playwright

    from scripts.bench.browser import IDLE, launch_options

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        try:
            page = await _open(browser, url)
            box = await page.locator(".st-key-proj_map .nsewdrag").first.bounding_box()
            results = []
            for sweep in range(sweeps):
                await page.mouse.move(box["x"] + 0.1 * box["width"], box["y"] + box["height"] / 2)
                before, cpu = await _paints(page), _cpu_seconds(pid)
                started = time.perf_counter()
                while (elapsed := time.perf_counter() - started) < DRAG_SECONDS:
                    across = 0.1 + 0.8 * elapsed / DRAG_SECONDS
                    height = 0.3 + 0.4 * ((elapsed * (sweep + 1)) % 1)
                    await page.mouse.move(box["x"] + across * box["width"],
                                          box["y"] + height * box["height"])  # fmt: skip
                    await asyncio.sleep(1 / 60)  # a mouse reports about 60 positions a second
                results.append((await _paints(page) - before, _cpu_seconds(pid) - cpu))
                await asyncio.sleep(RELEASE_S)  # the rest's rerun, outside the next sweep
                await page.locator(IDLE).wait_for(timeout=180_000)
        finally:
            await browser.close()
    return results


def measure_map(url: str, pid: int, run: str, sizes: dict[str, int], **shape: Any) -> None:
    """The face under the cursor of `run`'s Projections page, on a plane and on a grid."""
    for view, query in (("pca", "proj_view=pca"),
                        ("tsne", "proj_view=tsne&proj_tsne=pca2_ee12_p30")):  # fmt: skip
        page_url = f"{url}/projections?run={run}&{query}"
        sweeps = asyncio.run(_cursor_sweeps(page_url, pid, sizes["drags"]))
        rates = [painted / DRAG_SECONDS for painted, _ in sweeps]
        emit(f"live_browser_map_paints_per_second_{run}_{view}", statistics.median(rates),
             "1/s", sweeps=len(rates), seconds=DRAG_SECONDS, slowest=round(min(rates), 1),
             server_cpu_seconds=round(max(c for _, c in sweeps), 3), **shape)  # fmt: skip


def measure(
    url: str, pid: int, run: str, name: str, sizes: dict[str, int], **shape: Any
) -> None:
    """Every browser-decoding figure of `run` on the dashboard at `url` (server process `pid`),
    under the figure names' `name`."""
    page_url = f"{url}/sample?run={run}"
    person = asyncio.run(_one_person(page_url, pid, sizes["live_moves"], sizes["drags"]))
    backend = {"backend": person["backend"], **shape}
    emit(f"live_browser_first_view_seconds_{name}", person["first_view"], "s",
         downloads="runtime and decoder, no cache", **person["stages"], **backend)  # fmt: skip
    rates = [painted / DRAG_SECONDS for painted, _, _ in person["drags"]]
    emit(f"live_browser_drag_paints_per_second_{name}", statistics.median(rates), "1/s",
         drags=len(rates), seconds=DRAG_SECONDS, **backend)  # fmt: skip
    emit(f"live_browser_drag_server_cpu_seconds_{name}", max(c for _, c, _ in person["drags"]),
         "s", during="each 2-s drag, release excluded (the largest)",
         idle=round(person["idle_cpu"], 3), **backend)  # fmt: skip
    times = person["presses"]
    emit(f"live_browser_press_to_painted_ms_{name}", statistics.median(times), "ms",
         p90=round(statistics.quantiles(times, n=10)[-1], 1) if len(times) > 1 else times[0],
         moves=len(times), **{f"{part}_ms_median": round(statistics.median(ms), 1)
                              for part, ms in person["parts"].items()}, **backend)  # fmt: skip
    for sessions in (sizes["room_small"], sizes["room_large"]):
        room = asyncio.run(_room(page_url, pid, sessions))
        rates = [painted / DRAG_SECONDS for painted, _, _ in room]
        moves = sum(m for _, _, m in room)
        emit(f"live_browser_drag_paints_per_second_{name}_{sessions}_sessions",
             statistics.median(rates), "1/s", slowest=round(min(rates), 1),
             shared_cores="the browsers and the server share this machine's 2 cores",
             **backend)  # fmt: skip
        cpu = sum(c for _, c, _ in room)
        emit(f"live_browser_server_cpu_ms_per_move_{name}_{sessions}_sessions",
             1000 * cpu / max(moves, 1), "ms", moves=moves, **backend)  # fmt: skip


def bench_live_browser(workdir: Path, sizes: dict[str, int]) -> None:
    from scripts.bench.browser import dashboard_server
    from scripts.bench.live import RUN as LIVE_RUN
    from scripts.bench.live import live_artifacts
    from scripts.bench.serve import demo_artifacts

    demo = demo_artifacts(workdir, sizes["serve_images"])
    with dashboard_server(demo, log=workdir / "live_browser_demo.log") as served:
        measure(served.url, served.pid, "demo", "demo", sizes, faces=28, image_size=64, z_dim=64)
        measure_map(served.url, served.pid, "demo", sizes, faces=1, image_size=64, z_dim=64)
    live = live_artifacts(workdir, sizes["live_latents"])
    with dashboard_server(live, log=workdir / "live_browser_celeba.log") as served:
        measure(served.url, served.pid, LIVE_RUN, "celeba", sizes, faces=28, image_size=96,
                z_dim=256)
