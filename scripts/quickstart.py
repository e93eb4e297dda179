"""The studies' whole story on the built-in data, then the dashboard on http://localhost:8501.

Builds the synthetic faces and the `demo` VAE (train, encode, analyze), opens the dashboard, and
meanwhile builds the `demo-ae` and `demo-tiny-kl` runs and then the t-SNE and UMAP maps of all
three in the background: the sidebar shows the progress, and each run joins the run picker when
ready. Ctrl+C stops everything; running the command again serves at once if a run can be looked at,
and continues the rest in the background. An artifacts folder that holds runs of its own and none
of the demo runs (your CelebA runs, say) is served as it is, with nothing built.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

from scripts import serve
from scripts.common import DEFAULT_ARTIFACTS, command_parser

FIRST_RUN = "demo"
ALL_RUNS = (FIRST_RUN, "demo-ae", "demo-tiny-kl")
LOG_FILE = "build.log"
STOP_SECONDS = 30  # for the background build to stop after Ctrl+C, before it is killed


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("quickstart", __doc__)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--no-app", action="store_true", help="build all three runs here, then stop (no dashboard)"
    )
    serve.add_server_arguments(parser)
    args = parser.parse_args(argv)
    problem = None if args.no_app else serve.listening_problem(args.address, args.port)
    if problem is not None:  # before minutes of building, not after
        print(f"error: {problem}", file=sys.stderr)
        return 1
    if code := run_command(["upgrade", "--quiet", "--artifacts", str(args.artifacts)]):
        return code  # an older run or data set that cannot be upgraded: the step said why
    todo = "all" if args.no_app else what_to_build(args.artifacts)
    if todo == "all":
        code = build_first_run(args)
        if code or args.no_app:
            return code
    else:
        print(f"== {_SERVING[todo].format(runs=args.artifacts / 'runs')}", flush=True)
    from model.links import LinkError

    try:
        background = start_background_build(args.artifacts.resolve()) if todo in BUILDING else None
    except LinkError as error:  # build.log planted as a link: not written through
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        address = ["--port", str(args.port), "--address", args.address]
        hosts = [f"--allow-host={name}" for name in args.allow_host]
        return serve.main(["--artifacts", str(args.artifacts), *address, *hosts])
    finally:
        if background is not None:
            stop(background)


ToDo = Literal["all", "rest", "built", "own"]
BUILDING: tuple[ToDo, ...] = ("all", "rest")  # the cases that build beside the dashboard
_SERVING = {
    "rest": "a run under {runs}/ is ready: the dashboard opens at once",
    "built": "the demo runs under {runs}/ are built: the dashboard opens at once",
    "own": "{runs}/ holds your own runs and none of the demo runs: serving them, building "
    "nothing (`python -m scripts.build` builds the demo runs)",
}


def what_to_build(artifacts: Path) -> ToDo:
    """What to build. "all": the data set and `demo` before the dashboard, the rest beside it;
    "rest": a run can be looked at already, so the dashboard opens at once and the rest is
    built beside it; "built": the last build finished all three runs; "own": the folder holds
    runs of its own and none of the demo runs, which are then not built."""
    from model.pipeline.build_status import read_build_status
    from model.pipeline.runs import ArtifactLayout

    layout = ArtifactLayout(artifacts)
    names = [path.name for path in layout.runs()]
    if names and not set(names) & set(ALL_RUNS):
        return "own"
    status = read_build_status(layout.root)
    if status and not status.alive:
        ready = {progress.run for progress in status.runs if progress.state == "ready"}
        if ready >= set(ALL_RUNS) and set(ALL_RUNS) <= set(names):
            return "built"
    return "rest" if any(_analysed(layout.run(name)) for name in names) else "all"


def _analysed(run_dir: Path) -> bool:
    from model.pipeline.runs import Run, RunError

    try:
        return Run.open(run_dir).stage("analyze") is not None
    except (RunError, OSError, ValueError):
        return False


def build_first_run(args: argparse.Namespace) -> int:
    """The data set and `demo` without its maps (all three runs with their maps when there
    is no dashboard to open); the exit code of the step that failed, or 0.

    Each step is a command of its own process, so this one, which goes on to serve the
    dashboard, never loads TensorFlow."""
    common = ["--artifacts", str(args.artifacts)] + (["--quiet"] if args.quiet else [])
    started = time.perf_counter()
    # With the dashboard: `demo` first without its maps (the slowest steps), the rest after.
    first = [FIRST_RUN, "--maps", "skip"] if not args.no_app else [*ALL_RUNS]
    for title, command in (
        ("data set", ["prepare_data", "synthetic", *common]),
        (" ".join(first), ["build", *first, *common]),
    ):
        print(f"== {title}", flush=True)
        code = run_command(command)
        if code == 130:  # Ctrl+C: the command said what was kept
            return code
        if code:
            print(f"quickstart stopped: the {title} step failed (exit code {code})")
            return code
    minutes = (time.perf_counter() - started) / 60
    print(f"== ready in {minutes:.1f} min, under {args.artifacts}/runs/")
    return 0


def run_command(command: list[str]) -> int:
    """`python -m scripts.COMMAND ...` in a process of its own; its exit code (130 once it
    stopped on Ctrl+C, which reaches it too, or on a SIGTERM, which is passed on to it)."""
    child = subprocess.Popen([sys.executable, "-m", f"scripts.{command[0]}", *command[1:]],
                             cwd=serve.REPO)  # fmt: skip
    previous = signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:  # the child got the same Ctrl+C: let it say what it kept
                continue
    finally:
        signal.signal(signal.SIGTERM, previous)


def start_background_build(artifacts: Path) -> subprocess.Popen:
    """`python -m scripts.build demo demo-ae demo-tiny-kl --maps last` beside the dashboard:
    the two other runs, then the t-SNE and UMAP maps of all three; its output goes to a log file."""
    log_path = artifacts / LOG_FILE
    print(
        f"== {', '.join(ALL_RUNS[1:])} and the maps: building in the background "
        f"(log: {log_path}); the dashboard's sidebar shows the progress",
        flush=True,
    )
    from model.links import open_no_follow

    with os.fdopen(open_no_follow(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "a") as log:
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
