"""Start the dashboard (Streamlit) on the runs under ARTIFACTS.

Binds to localhost by default; `--address 0.0.0.0` exposes it to other machines (do that only
on a network you trust: the dashboard has no login).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS

ENTRY = Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"


def streamlit_command(address: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(ENTRY),
        "--server.address", address, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.serve", description=__doc__)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--address", default="localhost", help="default localhost")
    parser.add_argument("--port", type=int, default=8501)
    args = parser.parse_args(argv)
    env = {**os.environ, "ZSPACE_ARTIFACTS": str(args.artifacts.resolve())}
    host = "localhost" if args.address in ("0.0.0.0", "::") else args.address
    print(f"zspace dashboard: http://{host}:{args.port}  (Ctrl+C stops it)", flush=True)
    try:
        command = streamlit_command(args.address, args.port)
        return subprocess.run(command, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
