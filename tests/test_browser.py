"""One real-browser test: Debian's chromium, driven by Playwright, against `scripts.serve`."""

import asyncio
import json
from contextlib import contextmanager

import pytest

from scripts.bench.browser import CHROMIUM, IDLE, IMAGES, dashboard_server, launch_options

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed: `apt-get install chromium` enables this test "
        "(.ci/run installs it)",
    ),
]


# The sampled z-points' radii, as the "does this z land where data lives?" chart plots them;
# null until Plotly has drawn the chart, which it does after the rerun has finished.
SAMPLED_RADII = """(() => {
  const plot = document.querySelector('.js-plotly-plot');
  return plot && plot._fullData && plot._fullData[1] ? Array.from(plot._fullData[1].x) : null;
})()"""


@pytest.fixture
def dashboard(built_runs, tmp_path):
    with dashboard_server(built_runs / "artifacts", log=tmp_path / "server.log") as served:
        yield served.url


@contextmanager
def opened(url: str, height: int):
    """A chromium page on `url` once its first image is shown and its rerun has finished;
    yields the page and that image."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page(viewport={"width": 1400, "height": height})
        page.goto(url)
        image = page.locator(IMAGES).first
        image.wait_for(timeout=90_000)
        page.locator(IDLE).wait_for(timeout=90_000)
        yield page, image
        browser.close()


def test_moving_the_sampling_slider_changes_the_faces_and_the_link(dashboard, tmp_path):
    with opened(f"{dashboard}/sample?decode=server", 1600) as (page, faces):
        before = faces.get_attribute("src")
        page.wait_for_function(f"{SAMPLED_RADII} !== null", timeout=60_000)
        remembered = page.evaluate(f"window.__radii = JSON.stringify({SAMPLED_RADII})")
        radii_before = json.loads(remembered)
        scale = page.get_by_role("slider", name="Scale s")
        scale.focus()
        scale.press("End")  # one key, one rerun: the slider jumps to its maximum, 3.0
        page.wait_for_function("location.search.includes('scale=3.0')", timeout=60_000)
        page.wait_for_function(
            "before => document.querySelector('[data-testid=\"stImage\"] img').src !== before",
            arg=before,
            timeout=60_000,
        )
        page.locator(IDLE).wait_for(timeout=60_000)
        # The radius overlay follows the faces (once Plotly has redrawn it): larger radii at the
        # larger scale.
        redrawn = f"JSON.stringify({SAMPLED_RADII}) !== window.__radii"
        page.wait_for_function(redrawn, timeout=60_000)
        radii_after = page.evaluate(SAMPLED_RADII)
        assert len(radii_after) == len(radii_before) == 28
        assert min(radii_after) > max(radii_before)
        shot = tmp_path / "sample_page.png"
        page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_press_to_painted_clock_sees_the_new_faces(dashboard):
    """The benchmark's clock (scripts.bench.browser.press_to_painted) on a real page: it returns a
    positive time only once the new faces are on screen."""
    from playwright.async_api import async_playwright

    async def one_move() -> tuple[float, str, str]:
        from scripts.bench.browser import image_sources, press_to_painted

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            page = await browser.new_page()
            await page.goto(f"{dashboard}/sample?decode=server")
            await page.locator(IMAGES).first.wait_for(timeout=90_000)
            await page.locator(IDLE).wait_for(timeout=90_000)
            before = (await image_sources(page))[0]
            slider = page.get_by_role("slider", name="Number of faces")
            elapsed = await press_to_painted(page, slider, "ArrowLeft")
            after = (await image_sources(page))[0]
            await browser.close()
            return elapsed, before, after

    elapsed, before, after = asyncio.run(one_move())
    assert after != before
    assert 0 < elapsed < 60_000


def test_dimensions_page_draws_the_bars_and_a_traversal_follows_its_start(dashboard):
    with opened(f"{dashboard}/dimensions", 2400) as (page, grid):
        bars = "document.querySelectorAll('.js-plotly-plot .bars .point').length"
        page.wait_for_function(f"{bars} === 8", timeout=60_000)  # one bar per dimension
        before = grid.get_attribute("src")
        page.get_by_text("data point", exact=True).click()
        page.wait_for_function(
            "before => { const img = document.querySelector('[data-testid=\"stImage\"] img');"
            " return img.src !== before && img.complete && img.naturalWidth > 0; }",
            arg=before,
            timeout=60_000,
        )
        page.locator(IDLE).wait_for(timeout=60_000)
        assert "From image 0" in page.locator('[data-testid="stImageCaption"]').first.inner_text()


# Written into the server process (via PYTHONPATH): at exit, the names of every module it loaded.
RECORD_MODULES = """import atexit, json, os, sys
record = os.environ["ZSPACE_TEST_MODULES"]
atexit.register(lambda: open(record, "w").write(json.dumps(sorted(sys.modules))))
"""


def test_the_server_that_served_every_page_never_loaded_tensorflow(built_runs, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from playwright.sync_api import sync_playwright

    from scripts.bench.browser import free_port, wait_healthy
    from scripts.serve import REPO

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(RECORD_MODULES)
    record = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'site'}:{REPO}",
           "ZSPACE_TEST_MODULES": str(record)}  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.serve", "--artifacts", str(built_runs / "artifacts"),
         "--port", str(port)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://localhost:{port}"
        wait_healthy(url, 180, server)
        pages = sorted(p.stem for p in (REPO / "app" / "views").glob("*.py"))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options())
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name in pages:
                page.goto(f"{url}/{name}")
                page.locator(IDLE).wait_for(timeout=90_000)
                assert not page.locator('[data-testid="stException"]').count(), name
            page.goto(f"{url}/sample")
            page.locator(IMAGES).first.wait_for(timeout=90_000)  # faces were decoded
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    loaded = {name.split(".")[0] for name in json.loads(record.read_text())}
    assert "onnxruntime" in loaded and "streamlit" in loaded
    assert not loaded & {"tensorflow", "keras", "tf2onnx", "openTSNE", "sklearn"}


def test_the_screenshot_command_saves_a_small_picture_of_the_page(built_runs, tmp_path):
    from PIL import Image

    from scripts.screenshot import COLOURS
    from scripts.screenshot import main as screenshot

    out = tmp_path / "shot.png"
    args = ["--artifacts", str(built_runs / "artifacts"), "--page", "sample", "--out", str(out)]
    assert screenshot([*args, "--width", "900", "--height", "600"]) == 0
    with Image.open(out) as image:
        assert image.size == (900, 600) and image.mode == "P"
        assert len(image.getcolors(COLOURS)) > 16  # the page, not a blank window
