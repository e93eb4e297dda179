"""Save a PNG of a dashboard page as a browser shows it: the README's picture, made again with

  python -m scripts.screenshot --page sample --out docs/dashboard.png

Starts `python -m scripts.serve` on ARTIFACTS on a free port, opens the page in Debian's
chromium (through Playwright), waits until its script has finished and its faces are painted,
and writes the visible window as a palette PNG (small enough to commit).
"""

from __future__ import annotations

from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, run

PAGES = ("overview", "radius", "components", "dimensions", "correlations", "projections",
         "attributes", "compare", "sample", "interpolate")  # fmt: skip
COLOURS = 128  # a palette PNG: the flat colours and the faces keep well in 128


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("screenshot", __doc__)
    parser.add_argument("--page", choices=PAGES, default="sample")
    parser.add_argument("--run", help="the run to pick (default: the picker's first)")
    parser.add_argument("--query", default="", help="more of the URL, e.g. 'n=12&seed=3'")
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    args = parser.parse_args(argv)

    def body() -> None:
        from scripts.bench.browser import browser_missing

        if missing := browser_missing():
            raise FileNotFoundError(f"cannot take a screenshot: {missing}")
        if not args.artifacts.is_dir():
            raise FileNotFoundError(f"{args.artifacts} not found; build runs first")
        query = "&".join(filter(None, [f"run={args.run}" if args.run else "", args.query]))
        path = f"/{args.page}" if args.page != "overview" else "/"
        png = _screenshot(args.artifacts.resolve(), path + (f"?{query}" if query else ""), args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        _save_small(png, args.out)
        print(f"screenshot: {args.page} -> {args.out} ({args.out.stat().st_size // 1024} KiB)")

    return run(body, tensorflow=False)


def _screenshot(artifacts: Path, path: str, args) -> bytes:
    from playwright.sync_api import sync_playwright

    from scripts.bench.browser import IDLE, dashboard_server, launch_options

    with dashboard_server(artifacts) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(served.url + path)
        page.wait_for_selector(IDLE, timeout=120_000)
        _wait_for_faces(page)
        page.wait_for_timeout(1500)  # charts finish their transitions
        png = page.screenshot()
        browser.close()
    return png


def _wait_for_faces(page, timeout_s: float = 120) -> None:
    """Until the faces are painted: by the browser's decoder (app/live_faces.js counts its
    frames in data-paints), or, decoded on the server, the page's first image loaded."""
    import time

    from scripts.bench.browser import IMAGES, LIVE

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        live = page.locator(LIVE)  # Playwright's locators see inside the component's shadow DOM
        if live.count():
            if all(int(live.nth(i).get_attribute("data-paints") or 0) > 0
                   for i in range(live.count())):  # fmt: skip
                return
        elif page.locator(IMAGES).count() and page.locator(IMAGES).first.evaluate(
            "img => img.complete && img.naturalWidth > 0"
        ):
            return
        page.wait_for_timeout(200)
    raise TimeoutError(f"the page's faces were not painted within {timeout_s:.0f} s")


def _save_small(png: bytes, out: Path) -> None:
    import io

    from PIL import Image

    from model.files import atomic_path

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(COLOURS, dither=Image.Dither.NONE)
    with atomic_path(out) as tmp:
        image.save(tmp, format="PNG", optimize=True)


if __name__ == "__main__":
    raise SystemExit(main())
