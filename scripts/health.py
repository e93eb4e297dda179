"""Exit 0 when the dashboard answers its health check (http://HOST:PORT/_stcore/health), 1 if not.

The Docker image's HEALTHCHECK: the container is healthy once the dashboard serves. Imports
nothing heavy, so it costs a few milliseconds every time Docker asks.
"""

from __future__ import annotations

import argparse
import urllib.request

HEALTH_PATH = "/_stcore/health"


def health_problem(url: str, timeout: float = 3.0) -> str | None:
    """None when `url`'s health endpoint answers "ok"; otherwise what it did instead."""
    try:
        with urllib.request.urlopen(f"{url}{HEALTH_PATH}", timeout=timeout) as response:
            body = response.read(100).decode(errors="replace").strip()
    except OSError as error:
        return f"no answer ({getattr(error, 'reason', error)})"
    return None if body == "ok" else f"answered {body!r}, not 'ok'"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.health", description=__doc__)
    parser.add_argument("--host", default="localhost", help="default localhost")
    parser.add_argument("--port", type=int, default=8501, help="default 8501")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    args = parser.parse_args(argv)
    url = f"http://{args.host}:{args.port}"
    problem = health_problem(url, args.timeout)
    print(f"{url}{HEALTH_PATH}: {problem or 'ok'}")
    return 1 if problem else 0


if __name__ == "__main__":
    raise SystemExit(main())
