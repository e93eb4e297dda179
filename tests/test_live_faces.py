"""Faces decoded in the browser (Debian's chromium, onnxruntime-web on WebAssembly): they follow a
drag with no rerun until the release, the server's statistics then use exactly the painted z,
the canvas shows the server's own faces, and the JavaScript sharpening is PIL's. On a map, the
face follows the cursor with no rerun, and where the cursor rests it is the server's decode of
the same z, on a PCA plane and on a t-SNE map's decodable grid."""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from model.analysis.map_grid import MapGrid, grid_latents
from model.analysis.pca import PcaResult
from model.analysis.planes import pca_plane
from model.analysis.results import load_result
from model.generation import sampled, sharpen, to_uint8
from model.grid import image_grid
from model.onnx_decoder import OnnxDecoder
from scripts.bench.browser import (
    CHROMIUM,
    IDLE,
    LIVE,
    dashboard_server,
    launch_options,
    live_canvas_pixels,
    live_paints,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                       "(`apt-get install chromium`; .ci/run installs it)"),
]  # fmt: skip
SCRIPT = Path(__file__).resolve().parents[1] / "app" / "live_faces.js"
SAMPLED_RADII = """(() => {
  const plot = document.querySelector('.js-plotly-plot');
  return plot && plot._fullData && plot._fullData[1] ? Array.from(plot._fullData[1].x) : null;
})()"""


@pytest.fixture(scope="module")
def dashboard(built_runs):
    with dashboard_server(built_runs / "artifacts") as served:
        yield served.url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**launch_options())
        yield launched
        launched.close()


def _painted(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(url)
    page.locator(IDLE).wait_for(timeout=120_000)
    page.locator(f"{LIVE}[data-paints]").first.wait_for(timeout=120_000)
    return page


def _server_faces(artifacts: Path, scale: float, sharpness: float | None, faces: int = 28):
    decoder = OnnxDecoder(artifacts / "runs" / "tiny" / "train" / "decoder.onnx")
    decoded = decoder.decode(sampled("normal", faces, decoder.z_dim, 0).at(scale))
    return image_grid(decoded if sharpness is None else sharpen(decoded, sharpness), 7)


def test_a_drag_paints_many_frames_and_the_server_hears_only_the_release(dashboard, browser):
    page = _painted(browser, f"{dashboard}/sample")
    assert page.locator(LIVE).get_attribute("data-backend") in ("wasm", "webgpu")
    # Isolated (app.isolation), so WebAssembly decodes on as many threads as the machine has.
    assert page.evaluate("crossOriginIsolated")
    cores = min(4, page.evaluate("navigator.hardwareConcurrency"))
    threads = f"{cores} thread{'s' if cores > 1 else ''}"
    assert page.locator(f"{LIVE} .status").text_content() == (
        f"decoded in this browser (onnxruntime-web, WebAssembly, {threads})"
    )
    page.wait_for_function(f"{SAMPLED_RADII} !== null", timeout=60_000)
    slider = page.locator(f"{LIVE} input[type=range][aria-label='Scale s']")
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.2 * box["width"], y)
    page.mouse.down()
    states, frames, first = set(), set(), live_paints(page)
    for step in range(40):
        page.mouse.move(box["x"] + (0.2 + 0.6 * step / 39) * box["width"], y)
        page.wait_for_timeout(40)
        states.add(page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state"))
        frames.add(live_canvas_pixels(page).tobytes())
    assert states == {"notRunning"}  # no rerun while the hand moves
    assert live_paints(page) - first >= 3 and len(frames) >= 3  # several different faces
    page.mouse.up()
    painted = json.loads(page.locator(LIVE).get_attribute("data-values"))[0]
    page.wait_for_function(f"location.search.includes('scale={painted:g}')", timeout=60_000)
    page.locator(IDLE).wait_for(timeout=60_000)
    # The statistics below ran with exactly the painted z: its radii, as the chart plots them.
    z = sampled("normal", 28, 8, 0).at(painted)
    radii = page.evaluate(SAMPLED_RADII)
    np.testing.assert_allclose(radii, np.linalg.norm(z, axis=1), rtol=1e-5)
    page.close()


def test_the_canvas_shows_the_servers_faces(dashboard, browser, built_runs):
    """Raw, the two float32 decoders (WebAssembly's and the server's) differ by rounding only;
    sharpening multiplies a difference of one by up to its factor, and only around those."""
    canvases = {}
    for name, settings in (("raw", "sharpen=0"), ("sharpened", "sharpness=7.0")):
        page = _painted(browser, f"{dashboard}/sample?scale=1.35&{settings}")
        canvases[name] = live_canvas_pixels(page)
        page.close()
    artifacts = built_runs / "artifacts"
    raw = np.abs(canvases["raw"].astype(int) - _server_faces(artifacts, 1.35, None).astype(int))
    assert raw.max() <= 1 and np.mean(raw > 0) <= 0.001
    sharp = np.abs(canvases["sharpened"].astype(int) - _server_faces(artifacts, 1.35, 7.0))
    assert np.mean(sharp > 0) <= 0.001
    near = np.zeros(raw.shape[:2], bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= np.roll(raw.max(axis=2) > 0, (dy, dx), axis=(0, 1))
    assert not (sharp.max(axis=2) > 1)[~near].any()


def test_the_javascript_sharpening_is_pils(browser):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in ((17, 23), (32, 32))]
    images.append(np.asarray(Image.linear_gradient("L").resize((40, 30)).convert("RGB")))
    values = rng.uniform(-0.01, 1.01, 4000).astype(np.float32)
    values[:4] = [0.5 / 255, 1.5 / 255, 2.5 / 255, 254.5 / 255]  # halves: rint rounds to even
    page = browser.new_page()
    page.goto("about:blank")
    module = f"data:text/javascript,{SCRIPT.read_text()}".replace("%", "%25").replace("#", "%23")
    got = page.evaluate(
        """async ([module, images, factors, values]) => {
          const js = await import(module);
          const sharpened = images.map(([pixels, h, w]) => factors.map(
            (f) => Array.from(js.sharpen(Uint8ClampedArray.from(pixels), w, h, f))));
          return {sharpened, uint8: Array.from(js.toUint8(Float32Array.from(values)))};
        }""",
        [module, [[im.ravel().tolist(), *im.shape[:2]] for im in images], FACTORS,
         values.tolist()],
    )  # fmt: skip
    page.close()
    for image, results in zip(images, got["sharpened"]):
        for factor, result in zip(FACTORS, results):
            expected = np.asarray(ImageEnhance.Sharpness(Image.fromarray(image)).enhance(factor))
            np.testing.assert_array_equal(np.array(result, np.uint8).reshape(image.shape),
                                          expected, err_msg=f"factor {factor}")  # fmt: skip
    np.testing.assert_array_equal(got["uint8"], to_uint8(values))


FACTORS = [0.0, 0.5, 1.0, 2.5, 7.0, 10.0]


def test_the_runtime_and_decoders_are_served_by_the_dashboard_itself(dashboard, built_runs):
    import gzip
    import urllib.error
    import urllib.request

    from app.assets import decoder_url, runtime_url
    from model.pipeline.runs import Run
    from scripts.vendor_onnxruntime_web import FOLDER

    def get(path: str, gzipped: bool = True):
        headers = {"Accept-Encoding": "gzip"} if gzipped else {}
        request = urllib.request.Request(f"{dashboard}{path}", headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read(), response.headers  # looked up without regard to case

    body, headers = get(runtime_url("ort-wasm-simd-threaded.wasm"))
    assert headers["Content-Encoding"] == "gzip" and "immutable" in headers["Cache-Control"]
    assert headers["Content-Type"] == "application/wasm"  # compiled as it streams in
    _, page_headers = get("/sample")
    assert page_headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page_headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert gzip.decompress(body) == (FOLDER / "ort-wasm-simd-threaded.wasm").read_bytes()
    run = Run.open(built_runs / "artifacts" / "runs" / "tiny")
    onnx_sha = run.stage("train")["files"]["train/decoder.onnx"]["sha256"]
    body, headers = get(decoder_url("tiny", onnx_sha), gzipped=False)
    assert body == (run.path / "train" / "decoder.onnx").read_bytes()
    for missing in (runtime_url("secret.txt"), "/zspace/decoders/nothere/decoder.onnx",
                    "/zspace/decoders/..%2Fruns/decoder.onnx"):  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(missing)
        assert refused.value.code in (400, 404), missing  # Streamlit itself refuses ".."


def test_the_vendored_runtime_matches_its_recorded_hashes():
    from scripts.vendor_onnxruntime_web import FILES, FOLDER, check, vendored_version

    assert check() == []
    assert vendored_version() == "1.30.0"
    recorded = (FOLDER / "SHA256SUMS").read_text().splitlines()
    assert {line.split("  ")[1] for line in recorded} == set(FILES)
    assert "MIT License" in (FOLDER / "LICENSE").read_text()


PLOT = ".st-key-proj_map .nsewdrag"
STATE = '[data-testid="stApp"]'


def _server_z(artifacts, view: str, x: float, y: float) -> np.ndarray:
    analysis = artifacts / "runs" / "tiny" / "analysis"
    if view == "pca":
        z = np.load(artifacts / "runs" / "tiny" / "latents" / "z.npy")
        pca = load_result(PcaResult, analysis / "pca.npz")
        return pca_plane(pca, 0, 1, z[3]).at(x, y)
    grid = load_result(MapGrid, analysis / "grid_tsne_pca2_ee12_p30.npz")
    return grid_latents(grid, [[x, y]])[0]


@pytest.mark.parametrize("view", ["pca", "tsne"])
def test_the_face_follows_the_cursor_and_rests_on_the_servers_decode(
    dashboard, browser, built_runs, view
):
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{dashboard}/projections?proj_view={view}&proj_tsne=pca2_ee12_p30&proj_row=3")
    page.locator(IDLE).wait_for(timeout=120_000)
    page.locator(f"{LIVE}[data-paints]").first.wait_for(timeout=120_000)
    box = page.locator(PLOT).first.bounding_box()
    first, states, frames = live_paints(page), set(), set()
    for step in range(30):
        page.mouse.move(box["x"] + box["width"] * (0.1 + 0.8 * step / 29),
                        box["y"] + box["height"] * (0.3 + 0.4 * step / 29))  # fmt: skip
        page.wait_for_timeout(40)
        states.add(page.locator(STATE).get_attribute("data-test-script-state"))
        frames.add(live_canvas_pixels(page).tobytes())
    assert states == {"notRunning"}  # no rerun while the cursor moves
    assert live_paints(page) - first >= 5 and len(frames) >= 3  # several different faces
    x, y = json.loads(page.locator(LIVE).get_attribute("data-values"))
    page.wait_for_function(f"location.search.includes('proj_cx={x!r}')", timeout=60_000)
    page.locator(IDLE).wait_for(timeout=60_000)
    artifacts = built_runs / "artifacts"
    decoder = OnnxDecoder(artifacts / "runs" / "tiny" / "train" / "decoder.onnx")
    expected = image_grid(decoder.decode(_server_z(artifacts, view, x, y)), 1)
    difference = np.abs(live_canvas_pixels(page).astype(int) - expected.astype(int))
    assert difference.max() <= 1  # two float32 decoders: rounding only
    # The link holds the view and the cursor: opened anew, it paints the same face.
    link = page.url
    query = parse_qs(urlparse(link).query)
    assert query["proj_view"] == [view] and float(query["proj_cy"][0]) == y
    page.close()
    again = browser.new_page(viewport={"width": 1400, "height": 1200})
    again.goto(link)
    again.locator(IDLE).wait_for(timeout=120_000)
    again.locator(f"{LIVE}[data-paints]").first.wait_for(timeout=120_000)
    assert json.loads(again.locator(LIVE).get_attribute("data-values")) == [x, y]
    assert np.abs(live_canvas_pixels(again).astype(int) - expected.astype(int)).max() <= 1
    again.close()
