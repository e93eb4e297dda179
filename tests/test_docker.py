"""The Docker image builds and serves: `verify-docker` (the shared tool beside this checkout)
builds ./Dockerfile with buildah on a stand-in Debian base and runs its CMD on a tiny run."""

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from scripts.serve import REPO

VERIFY_DOCKER_PLACES = (
    REPO.parent / "shared" / "tools" / "verify-docker",
    Path("/work/shared/tools/verify-docker"),
)
PORT = 8501  # the image's CMD serves here; verify-docker only watches it
IMAGE_USER_ID = 1000  # the Dockerfile's `zspace` user, who must be able to write the artifacts
DEV_ONLY = ("pytest", "ruff", "playwright")
PIP_CACHES = "ls -d /root/.cache/pip /home/zspace/.cache/pip 2>/dev/null || true"

pytestmark = pytest.mark.slow


def _verify_docker() -> Path:
    if os.geteuid() != 0:
        pytest.skip("verify-docker builds with buildah and debootstrap, which need root")
    tool = next((path for path in VERIFY_DOCKER_PLACES if path.is_file()), None)
    if tool is None:
        places = ", ".join(map(str, VERIFY_DOCKER_PLACES))
        pytest.skip(f"verify-docker (the shared tool) is not here: looked at {places}")
    missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (`.ci/run` installs them with apt-get)")
    with socket.socket() as probe:
        if probe.connect_ex(("localhost", PORT)) == 0:
            pytest.fail(f"port {PORT} is in use: stop the dashboard there, the image serves on it")
    return tool


def _buildah(*args: str) -> str:
    """buildah as verify-docker runs it (its storage, chroot isolation); stderr in failures."""
    env = {**os.environ, "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"}
    command = ["buildah", *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, f"buildah {' '.join(args)}: {result.stderr}"
    return result.stdout


def _image_id(image: str) -> str:
    """The ID of the image verify-docker last built, or "" if there is none."""
    listed = _buildah("images", "--quiet", "--filter", f"reference={image}")
    return listed.strip()


TRAINING_ONLY = {"tensorflow-cpu", "keras", "tf2onnx", "onnx", "scikit-learn", "opentsne",
                 "umap-learn", "numba"}  # fmt: skip
# (stage, the image verify-docker tags it, what its CMD logs when serving a folder of own runs)
IMAGES = {
    "full": ("localhost/zspace:verify", "holds your own runs and none of the demo runs"),
    "serve": ("localhost/zspace:verify-serve", "zspace dashboard: http://"),
}


@pytest.mark.parametrize("stage", list(IMAGES))
def test_the_image_builds_and_serves_a_run_as_a_non_root_user(stage, built_runs, tmp_path):
    """The default image (`full`, the quick start) and the serving image (`serve`, no
    TensorFlow) each serve the mounted run as it is."""
    tool = _verify_docker()
    image, served = IMAGES[stage]
    artifacts = tmp_path / "artifacts"
    shutil.copytree(built_runs / "artifacts", artifacts)
    for path in [artifacts, *artifacts.rglob("*")]:
        os.chown(path, IMAGE_USER_ID, IMAGE_USER_ID)

    # Docker's own image format, as `docker build` makes: OCI images drop the HEALTHCHECK.
    env = {**os.environ, "BUILDAH_FORMAT": "docker", "VERIFY_DOCKER_WAIT_S": "300"}
    if stage != "full":
        env["VERIFY_DOCKER_TARGET"] = stage
    previous = _image_id(image)
    result = subprocess.run(
        [str(tool), str(artifacts), str(PORT)], check=False, cwd=REPO, env=env,
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    output = result.stdout + result.stderr
    if previous and previous != _image_id(image):
        _buildah("rmi", previous)  # the last run's image, untagged now: GBs on disk
    assert result.returncode == 0, output
    assert f"served the dashboard on port {PORT}" in output

    # It served the mounted run as it was: nothing built, nothing downloaded.
    log = Path(re.search(r"log: (\S+)\)", output).group(1)).read_text()
    assert served in log, log
    assert "loading the runs under /zspace/artifacts" in log, log
    assert "tiny: decoder, nearest-data indexes" in log, log
    assert sorted(p.name for p in (artifacts / "runs").iterdir()) == ["tiny"]
    assert not (artifacts / "builds.json").exists()

    config = json.loads(_buildah("inspect", "--type", "image", image))["Docker"]["config"]
    assert config["User"] == "zspace"
    assert "8501/tcp" in config["ExposedPorts"]
    assert "/zspace/artifacts" in config["Volumes"]
    assert "scripts.health" in " ".join(config["Healthcheck"]["Test"])

    # What the stage needs and nothing else: no test or lint tools, no pip cache.
    container = _buildah("from", image).strip()
    try:
        installed = _buildah("run", container, "--", "python", "-m", "pip", "list", "--format=json")
        names = {re.sub(r"[-_.]+", "-", p["name"]).lower() for p in json.loads(installed)}
        assert names.isdisjoint(DEV_ONLY), names & set(DEV_ONLY)
        assert {"streamlit", "onnxruntime"} <= names
        if stage == "serve":
            assert names.isdisjoint(TRAINING_ONLY), names & TRAINING_ONLY
        else:
            assert TRAINING_ONLY <= names
        caches = _buildah("run", "--user", "0:0", container, "--", "sh", "-c", PIP_CACHES)
        assert caches.strip() == "", caches
    finally:
        _buildah("rm", container)
    size = _buildah("images", "--format", "{{.Size}}", image).strip()
    print(f"image {image}: {size}")
