"""The whole main job on the built-in data: synthetic faces, train `demo`, encode, analyze,
then the dashboard on http://localhost:8501.

Every step skips when its outputs are already current, so running it again is cheap.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from scripts import analyze, encode, prepare_data, serve, train
from scripts.common import DEFAULT_ARTIFACTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.quickstart", description=__doc__)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--no-app", action="store_true", help="stop before starting the dashboard")
    parser.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    args = parser.parse_args(argv)
    common = ["--artifacts", str(args.artifacts)] + (["--quiet"] if args.quiet else [])
    steps = [
        ("data set", prepare_data.main, ["synthetic", *common]),
        ("training", train.main, ["--preset", "demo", *common]),
        ("encoding", encode.main, ["--run", "demo", *common]),
        ("analysis", analyze.main, ["--run", "demo", *common]),
    ]
    started = time.perf_counter()
    for title, command, command_args in steps:
        print(f"== {title}", flush=True)
        code = command(command_args)
        if code:
            print(f"quickstart stopped: the {title} step failed (exit code {code})")
            return code
    print(
        f"quickstart done in {time.perf_counter() - started:.0f} s; "
        f"the run is in {args.artifacts}/runs/demo"
    )
    if args.no_app:
        return 0
    return serve.main(["--artifacts", str(args.artifacts), "--port", str(args.port)])


if __name__ == "__main__":
    raise SystemExit(main())
