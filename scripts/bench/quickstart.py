"""The README's first command on a fresh clone, timed as a person waits for it: the install, the
dashboard's first answer, every run viewable, every t-SNE map done.

`python -m scripts.bench --only quickstart`. Not part of a full run: it takes the quick start's
whole time (tens of minutes on 2 cores), and nothing else may share the cores meanwhile. The
clone is of this repository's last commit; pip installs from its cache when it has one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from scripts.bench.browser import free_port
from scripts.bench.common import emit
from scripts.health import health_problem
from scripts.serve import REPO

POLL_SECONDS = 2


def bench_quickstart(workdir: Path, sizes: dict[str, int]) -> None:
    clone = workdir / "quickstart-clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    commit = _output(["git", "rev-parse", "--short", "HEAD"], clone)
    started = time.monotonic()
    subprocess.run(["python3", "-m", "venv", ".venv"], cwd=clone, check=True)
    subprocess.run(
        [".venv/bin/pip", "install", "--quiet", "--disable-pip-version-check", "-r",
         "requirements.txt"], cwd=clone, check=True,
    )  # fmt: skip
    marks = {"install": time.monotonic() - started}
    port = free_port()
    log = open(workdir / "quickstart.log", "w")  # noqa: SIM115 (closed below)
    quickstart = subprocess.Popen(
        [".venv/bin/python", "-m", "scripts.quickstart", "--quiet", "--port", str(port)],
        cwd=clone, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        while "maps" not in marks:
            if quickstart.poll() is not None:
                raise RuntimeError(f"the quick start exited with {quickstart.returncode}")
            now = time.monotonic() - started
            if "dashboard" not in marks and health_problem(f"http://localhost:{port}") is None:
                marks["dashboard"] = now
            states = _states(clone / "artifacts" / "builds.json")
            if "runs" not in marks and len(states) == 3 and set(states) <= {"maps", "ready"}:
                marks["runs"] = now
            if len(states) == 3 and set(states) == {"ready"}:
                marks["maps"] = now
            time.sleep(POLL_SECONDS)
    finally:
        quickstart.terminate()
        quickstart.wait(timeout=120)
        log.close()
    for mark, what in (("install", "pip install -r requirements.txt"),
                       ("dashboard", "the dashboard answers"),
                       ("runs", "all three runs can be looked at"),
                       ("maps", "every t-SNE and UMAP map is done")):  # fmt: skip
        emit(f"quickstart_minutes_{mark}", marks[mark] / 60, "min", what=what, commit=commit)


def _states(path: Path) -> list[str]:
    try:
        return [run["state"] for run in json.loads(path.read_text())["runs"]]
    except (OSError, ValueError, KeyError):
        return []  # not written yet, or being replaced


def _output(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()
