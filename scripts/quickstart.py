"""The studies' whole story on the built-in data, then the dashboard on http://localhost:8501.

Builds the synthetic faces and the `demo` VAE (train, encode, analyze), opens the dashboard, and
meanwhile builds the `demo-ae` and `demo-tiny-kl` runs and then the t-SNE maps of all three in
the background: the sidebar shows the progress, and each run joins the run picker when ready.
Ctrl+C stops everything; running the command again skips what is done and continues the rest.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

from scripts import build, prepare_data, serve
from scripts.common import DEFAULT_ARTIFACTS

FIRST_RUN = "demo"
ALL_RUNS = (FIRST_RUN, "demo-ae", "demo-tiny-kl")
LOG_FILE = "build.log"
STOP_SECONDS = 30  # for the background build to stop after Ctrl+C, before it is killed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.quickstart", description=__doc__)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--no-app", action="store_true", help="build all three runs here, then stop (no dashboard)"
    )
    parser.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    parser.add_argument("--address", default="localhost", help="default localhost")
    args = parser.parse_args(argv)
    common = ["--artifacts", str(args.artifacts)] + (["--quiet"] if args.quiet else [])
    started = time.perf_counter()
    # With the dashboard: `demo` first without its t-SNE maps (the slowest step), the rest after.
    first = [FIRST_RUN, "--maps", "skip"] if not args.no_app else [*ALL_RUNS]
    for title, command, command_args in (
        ("data set", prepare_data.main, ["synthetic", *common]),
        (" ".join(first), build.main, [*first, *common]),
    ):
        print(f"== {title}", flush=True)
        code = command(command_args)
        if code == 130:  # Ctrl+C: the command said what was kept
            return code
        if code:
            print(f"quickstart stopped: the {title} step failed (exit code {code})")
            return code
    minutes = (time.perf_counter() - started) / 60
    print(f"== ready in {minutes:.1f} min, under {args.artifacts}/runs/")
    if args.no_app:
        return 0
    background = start_background_build(args.artifacts.resolve())
    try:
        address = ["--port", str(args.port), "--address", args.address]
        return serve.main(["--artifacts", str(args.artifacts), *address])
    finally:
        stop(background)


def start_background_build(artifacts: Path) -> subprocess.Popen:
    """`python -m scripts.build demo demo-ae demo-tiny-kl --maps last` beside the dashboard:
    the two other runs, then the t-SNE maps of all three; its output goes to a log file."""
    log_path = artifacts / LOG_FILE
    print(
        f"== {', '.join(ALL_RUNS[1:])} and the t-SNE maps: building in the background "
        f"(log: {log_path}); the dashboard's sidebar shows the progress",
        flush=True,
    )
    with open(log_path, "a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "scripts.build", *ALL_RUNS, "--maps", "last",
             "--artifacts", str(artifacts), "--quiet"],
            cwd=serve.REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    """Stop the background build as Ctrl+C would (finished stages and epochs are kept)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


if __name__ == "__main__":
    raise SystemExit(main())
