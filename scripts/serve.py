"""Start the dashboard (Streamlit) on the runs under ARTIFACTS.

Every run's decoder is loaded and compiled, and its nearest-data index built, before the server
answers, so the first view of a live page shows faces at once. Binds to localhost by default;
`--address 0.0.0.0` exposes it to other machines (do that only on a network you trust: the
dashboard has no login).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, import_tensorflow_quietly

REPO = Path(__file__).resolve().parents[1]
ENTRY = REPO / "app" / "streamlit_app.py"


def streamlit_options(address: str, port: int) -> list[str]:
    """`streamlit run` options. No garbage collection after each script run: the long-lived
    objects are frozen at start-up (app.warmup), and a full collection per slider move is what
    made faces lag."""
    return [
        "--server.address", address, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal", "--runner.postScriptGC", "false",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.serve", description=__doc__)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--address", default="localhost", help="default localhost")
    parser.add_argument("--port", type=int, default=8501)
    args = parser.parse_args(argv)
    root = args.artifacts.resolve()
    os.environ["ZSPACE_ARTIFACTS"] = str(root)
    sys.path.insert(0, str(REPO))  # the pages import `app` and `model` from here, as we do

    started = time.perf_counter()
    print(f"zspace dashboard: loading the runs under {root} ...", flush=True)
    import_tensorflow_quietly()
    from app.warmup import warm_up

    warm_up(root, report=lambda line: print(line, flush=True))
    host = "localhost" if args.address in ("0.0.0.0", "::") else args.address
    print(
        f"zspace dashboard: http://{host}:{args.port}  (ready in "
        f"{time.perf_counter() - started:.0f} s; Ctrl+C stops it)",
        flush=True,
    )
    from streamlit.web import cli

    try:
        cli.main(["run", str(ENTRY), *streamlit_options(args.address, args.port)],
                 prog_name="streamlit", standalone_mode=False)  # fmt: skip
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
