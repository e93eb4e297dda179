"""Start the dashboard (Streamlit) on the runs under ARTIFACTS.

Every run's decoder (its ONNX copy, on onnxruntime: the dashboard never imports TensorFlow) is
loaded, and its nearest-data index built, before the server answers, so the first view of a live
page shows faces at once. Binds to localhost by default;
`--address 0.0.0.0` exposes it to other machines (do that only on a network you trust: the
dashboard has no login). It answers only to localhost, IP addresses and this machine's names;
`--allow-host NAME` adds a name others reach it by (a guard against DNS rebinding).
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
import time
from pathlib import Path

from scripts.common import DEFAULT_ARTIFACTS, command_parser, port

REPO = Path(__file__).resolve().parents[1]
ENTRY = REPO / "app" / "server.py"  # the web server: the pages behind the host guard
PAGES = REPO / "app" / "streamlit_app.py"  # the pages alone (what AppTest opens)


def streamlit_options(address: str, port: int) -> list[str]:
    """`streamlit run` options. No garbage collection after each script run: the long-lived
    objects are frozen at start-up (app.warmup), and a full collection per slider move is what
    made faces lag."""
    return [
        "--server.address", address, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal", "--runner.postScriptGC", "false",
    ]  # fmt: skip


def listening_problem(address: str, port: int) -> str | None:
    """Why the dashboard could not listen on address:port (taken, or no such address); None
    if it can. Checked before the runs are loaded, which takes a while."""
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        return f"cannot listen on {address}:{port}: {error.strerror}"
    family, kind, protocol, _, where = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {address} is in use (another dashboard?); stop it, or "
                    "pass --port with a free port"
                )
            return f"cannot listen on {address}:{port}: {error.strerror}"
    return None


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """--port, --address and --allow-host, as `serve` and `quickstart` take them."""
    parser.add_argument("--port", type=port, default=8501, help="default 8501")
    parser.add_argument("--address", default="localhost", help="default localhost")
    parser.add_argument(
        "--allow-host", action="append", default=[], metavar="NAME",
        help="a host name others reach the dashboard by, e.g. its server's DNS name "
        "(repeatable; localhost and IP addresses always work)",
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("serve", __doc__)
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    problem = listening_problem(args.address, args.port)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    root = args.artifacts.resolve()
    os.environ["ZSPACE_ARTIFACTS"] = str(root)
    if args.allow_host:
        from app.security import ALLOWED_HOSTS_ENV

        known = os.environ.get(ALLOWED_HOSTS_ENV, "")
        os.environ[ALLOWED_HOSTS_ENV] = ",".join(filter(None, [known, *args.allow_host]))

    started = time.perf_counter()
    print(f"zspace dashboard: loading the runs under {root} ...", flush=True)
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
