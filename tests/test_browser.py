"""One real-browser test: Debian's chromium, driven by Playwright, against `streamlit run`."""

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from scripts.serve import streamlit_command

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed: `apt-get install chromium` enables this test "
        "(.ci/run installs it)",
    ),
]
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dashboard(built_runs):
    port = _free_port()
    env = {**os.environ, "ZSPACE_ARTIFACTS": str(built_runs / "artifacts")}
    server = subprocess.Popen(
        streamlit_command("localhost", port),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        pytest.fail("streamlit did not come up within 90 s")
    yield url
    server.terminate()
    server.wait(timeout=30)


def test_moving_the_sampling_slider_changes_the_faces(dashboard, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{dashboard}/sample")
        faces = page.locator('[data-testid="stImage"] img').first
        faces.wait_for(timeout=90_000)
        before = faces.get_attribute("src")
        scale = page.get_by_role("slider").first  # "Scale s" leads the sidebar's sliders
        scale.focus()
        scale.press("End")  # one key, one rerun: the slider jumps to its maximum, 3.0
        page.wait_for_function("location.search.includes('scale=3.0')", timeout=60_000)
        page.wait_for_function(
            "before => document.querySelector('[data-testid=\"stImage\"] img').src !== before",
            arg=before,
            timeout=60_000,
        )
        page.wait_for_timeout(500)
        shot = tmp_path / "sample_page.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
