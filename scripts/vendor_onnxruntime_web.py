"""Fetch the onnxruntime-web files the dashboard serves to browsers, and check them.

  python -m scripts.vendor_onnxruntime_web            # check the vendored files against SHA256SUMS
  python -m scripts.vendor_onnxruntime_web --fetch    # fetch them again from npm, then check
  python -m scripts.vendor_onnxruntime_web --update 1.31.0   # another version: new SHA256SUMS

The files live in app/static/onnxruntime-web/ with LICENSE (the package is MIT-licensed; npm's
tarball carries no license file), VERSION and SHA256SUMS. The dashboard serves them itself
(never from a CDN), so browsers decode faces with no network beyond the dashboard. Fetching
needs the npm registry, not node.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import urllib.request
from pathlib import Path

from scripts.common import command_parser, run

FOLDER = Path(__file__).resolve().parents[1] / "app" / "static" / "onnxruntime-web"
REGISTRY = "https://registry.npmjs.org/onnxruntime-web"
# The WASM backend (its loader and SIMD build) and the WebGPU backend (with its asyncify build).
FILES = (
    "ort.wasm.min.mjs",
    "ort-wasm-simd-threaded.mjs",
    "ort-wasm-simd-threaded.wasm",
    "ort.webgpu.min.mjs",
    "ort-wasm-simd-threaded.asyncify.mjs",
    "ort-wasm-simd-threaded.asyncify.wasm",
)
SUMS = "SHA256SUMS"


def vendored_version() -> str:
    return (FOLDER / "VERSION").read_text().strip()


def check() -> list[str]:
    """Every vendored file that is missing or differs from SHA256SUMS."""
    sums = dict(line.split("  ")[::-1] for line in (FOLDER / SUMS).read_text().splitlines())
    problems = []
    for name, expected in sorted(sums.items()):
        path = FOLDER / name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            problems.append(f"{path} does not match its sha256 in {FOLDER / SUMS}")
    return problems


def fetch(version: str, keep_sums: bool) -> None:
    """Download the package from npm (checked against the registry's integrity hash) and write
    its files; with `keep_sums`, refuse files that differ from SHA256SUMS."""
    with urllib.request.urlopen(f"{REGISTRY}/{version}", timeout=60) as response:
        release = json.load(response)
    with urllib.request.urlopen(release["dist"]["tarball"], timeout=300) as response:
        tarball = response.read()
    algorithm, _, digest = release["dist"]["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != digest:
        raise ValueError(f"the npm tarball of onnxruntime-web {version} fails its integrity hash")
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        contents = {name: archive.extractfile(f"package/dist/{name}").read() for name in FILES}
        package = json.load(archive.extractfile("package/package.json"))
    if (licence := package.get("license")) != "MIT":  # LICENSE beside the files is MIT's text
        raise ValueError(f"onnxruntime-web {version} is licensed {licence!r}, not MIT")
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
    if keep_sums:
        recorded = dict(line.split("  ")[::-1] for line in (FOLDER / SUMS).read_text().splitlines())
        different = sorted(name for name in sums if recorded.get(name) != sums[name])
        if different:
            raise ValueError(f"npm's files differ from {FOLDER / SUMS}: {', '.join(different)}")
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        (FOLDER / name).write_bytes(data)
    (FOLDER / "VERSION").write_text(f"{version}\n")
    (FOLDER / SUMS).write_text("".join(f"{sums[name]}  {name}\n" for name in sorted(sums)))


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("vendor_onnxruntime_web", __doc__)
    parser.add_argument("--fetch", action="store_true", help="fetch the vendored version again")
    parser.add_argument("--update", metavar="VERSION", help="vendor another version")
    args = parser.parse_args(argv)

    def body() -> None:
        if args.update:
            fetch(args.update, keep_sums=False)
        elif args.fetch:
            fetch(vendored_version(), keep_sums=True)
        problems = check()
        if problems:
            raise ValueError("; ".join(problems))
        print(f"onnxruntime-web {vendored_version()}: {len(FILES)} files match {SUMS}")

    return run(body, tensorflow=False)


if __name__ == "__main__":
    raise SystemExit(main())
