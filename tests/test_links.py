"""Nothing is written or served through a link (docs/runs.md): a link planted in a run, in a data
set or in place of a lock file is refused by every writer, naming it, and never served; the
links a person makes on purpose (the artifacts folder, runs/, datasets/ on another disk) keep
working; the dashboard serves only what a run's manifest records, streamed, with Range and
HEAD answered."""

import asyncio
import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from starlette.applications import Starlette

from app.assets import decoder_url, grid_url, routes, runtime_url
from model.links import check_no_links, first_link, regular_file_in
from model.pipeline.runs import Run
from scripts import analyze, encode, prepare_data, train, upgrade
from scripts.vendor_onnxruntime_web import FOLDER
from tests.support import TINY_OVERRIDES, one_error_line, run_suggested, suggested_commands

PRECIOUS = b"a file of the person's, outside zspace's folder\n"


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file outside the artifacts folder that no command may write."""
    path = tmp_path / "elsewhere" / "precious.txt"
    path.parent.mkdir()
    path.write_bytes(PRECIOUS)
    return path


def _writer(name: str, root: Path) -> int:
    """Each command that writes a run or a data set, on run `tiny` / data set `blobs`."""
    common = ["--quiet", "--artifacts", str(root)]
    if name == "prepare_data":
        return prepare_data.main(["synthetic", "--count", "40", "--test", "8", "--size", "32",
                                  "--name", "blobs", "--force", *common])  # fmt: skip
    if name == "train":
        return train.main(["--run", "tiny", *common])
    if name == "encode":
        return encode.main(["--run", "tiny", "--force", "--batch-size", "40", *common])
    return analyze.main(["--run", "tiny", "--force", "--tsne", "raw_ee16_p10", "--umap",
                         "--kmeans-max-k", "4", *common])  # fmt: skip


def _refused(name: str, root: Path, link: Path, capsys) -> str:
    """The writer's one error line (exit code 2), which names `link` and the `rm` removing it."""
    assert _writer(name, root) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"{link} is a symbolic link" in line and f"`rm {link}`" in line, line
    return line


WRITERS = ["prepare_data", "train", "encode", "analyze"]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_lock_file_that_is_a_link_is_refused_not_written_through(
    analyzed, outside, writer, capsys
):
    folder = "datasets/.blobs.lock" if writer == "prepare_data" else "runs/.tiny.lock"
    lock = analyzed.root / folder
    lock.symlink_to(outside)
    line = _refused(writer, analyzed.root, lock, capsys)
    assert "zspace's own files are never links" in line
    assert outside.read_bytes() == PRECIOUS and lock.is_symlink()  # neither written nor removed
    [remove] = suggested_commands(line)
    assert run_suggested(remove) == 0 and not lock.exists()
    if writer == "encode":  # the command again, now that the link is gone
        assert _writer(writer, analyzed.root) == 0


@pytest.mark.parametrize("writer", ["train", "encode", "analyze"])
def test_a_link_inside_a_run_is_refused_by_every_writer(analyzed, outside, writer, capsys):
    planted = analyzed.run("tiny") / "analysis" / "planted.npz"
    planted.symlink_to(outside)
    line = _refused(writer, analyzed.root, planted, capsys)
    assert "no zspace command makes links inside run tiny" in line
    assert outside.read_bytes() == PRECIOUS
    [remove] = suggested_commands(line)
    assert run_suggested(remove) == 0
    assert _writer(writer, analyzed.root) == 0


def test_a_run_folder_that_is_a_link_is_neither_written_nor_listed(analyzed, tmp_path, capsys):
    elsewhere = tmp_path / "someone-elses-folder"
    shutil.copytree(analyzed.run("tiny"), elsewhere)
    before = sorted(path.name for path in elsewhere.rglob("*"))
    link = analyzed.root / "runs" / "elsewhere"
    link.symlink_to(elsewhere, target_is_directory=True)
    common = ["--quiet", "--artifacts", str(analyzed.root)]
    tiny = [f"--set={key}={value}" for key, value in TINY_OVERRIDES.items()]
    assert train.main(["--preset", "demo", *tiny, "--run", "elsewhere", "--force", *common]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"{link} is a symbolic link" in line and "must be a real folder" in line
    assert encode.main(["--run", "elsewhere", "--force", *common]) == 2
    assert sorted(path.name for path in elsewhere.rglob("*")) == before
    with pytest.raises(ValueError, match="symbolic link"):
        Run.open(link)
    assert upgrade.main(common) == 0  # the other runs are upgraded; this one is named
    assert "skipped run elsewhere" in capsys.readouterr().out


@pytest.mark.parametrize("writer", ["prepare_data", "encode"])
def test_a_link_inside_a_data_set_is_refused(analyzed, outside, writer, capsys):
    attributes = analyzed.dataset("blobs") / "attributes.csv"
    outside.write_bytes(attributes.read_bytes())
    attributes.unlink()
    attributes.symlink_to(outside)
    before = outside.read_bytes()
    line = _refused(writer, analyzed.root, attributes, capsys)
    assert "no zspace command makes links inside data set blobs" in line
    assert outside.read_bytes() == before


def test_links_a_person_makes_keep_working(analyzed, tmp_path):
    """The artifacts folder, and its runs/ and datasets/, on another disk."""
    disk = tmp_path / "other-disk"
    disk.mkdir()
    for folder in ("runs", "datasets"):
        shutil.move(analyzed.root / folder, disk / folder)
        (analyzed.root / folder).symlink_to(disk / folder, target_is_directory=True)
    linked_root = tmp_path / "linked-artifacts"
    linked_root.symlink_to(analyzed.root, target_is_directory=True)
    common = ["--quiet", "--artifacts", str(linked_root)]
    assert encode.main(["--run", "tiny", "--force", "--batch-size", "40", *common]) == 0
    assert not list((disk / "runs").glob(".tiny*"))  # the lock went with the command
    run = Run.open(linked_root / "runs" / "tiny")
    run.check("train", "encode")
    status, _, body = asgi(linked_root, decoder_url("tiny", "x"))
    assert status == 200 and body == (run.path / "train" / "decoder.onnx").read_bytes()


def test_the_link_helpers_see_links_anywhere_on_the_way(tmp_path):
    run = tmp_path / "run"
    (run / "train").mkdir(parents=True)
    (run / "train" / "a.npz").write_bytes(b"x")
    assert regular_file_in(run, "train/a.npz") == run / "train" / "a.npz"
    assert regular_file_in(run, "train") is None  # a folder
    assert regular_file_in(run, "../run/train/a.npz") is None
    assert regular_file_in(run, "/etc/passwd") is None
    check_no_links(run, "run r")
    (tmp_path / "real").mkdir()
    (run / "latents").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "z.npy").write_bytes(b"z")
    assert first_link(run, "latents/z.npy") == run / "latents"
    assert regular_file_in(run, "latents/z.npy") is None
    with pytest.raises(ValueError, match="latents is a symbolic link"):
        check_no_links(run, "run r")


# --- what the dashboard serves ------------------------------------------------------------


def asgi(root: Path, url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """One request to the dashboard's file routes over the artifacts at `root`: status,
    headers, body."""
    app = Starlette(routes=routes(root))
    path, _, query = url.partition("?")
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "", "scheme": "http",
             "http_version": "1.1", "server": ("localhost", 8501), "client": ("127.0.0.1", 1),
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    sent: list[dict] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client stays connected until the response is done
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(bytes(m.get("body", b"")) for m in sent[1:])
    return start["status"], response_headers, body


@pytest.fixture
def planted(analyzed, tmp_path) -> Path:
    """The analysed artifacts plus the planted runs of the issue: `evil` (no manifest, its
    decoder a link to /etc/passwd), `linked` (tiny's manifest, its decoder a link to tiny's
    very decoder) and `changed` (tiny's manifest over another decoder)."""
    root, tiny = analyzed.root, analyzed.run("tiny")
    (root / "runs" / "evil" / "train").mkdir(parents=True)
    (root / "runs" / "evil" / "train" / "decoder.onnx").symlink_to("/etc/passwd")
    for name in ("linked", "changed"):
        shutil.copytree(tiny, root / "runs" / name)
    (root / "runs" / "linked" / "train" / "decoder.onnx").unlink()
    (root / "runs" / "linked" / "train" / "decoder.onnx").symlink_to(tiny / "train/decoder.onnx")
    with (root / "runs" / "changed" / "train" / "decoder.onnx").open("r+b") as handle:
        handle.write(b"\0")
    return root


@pytest.mark.parametrize("run", ["evil", "linked", "changed", "nothere", "..", "tiny%2F.."])
def test_only_a_recorded_regular_file_is_served(planted, run):
    status, _, body = asgi(planted, f"/zspace/decoders/{run}/decoder.onnx")
    assert status == 404 and b"root:" not in body


def test_the_decoder_and_a_grid_are_the_recorded_files(planted):
    run = Run.open(planted / "runs" / "tiny")
    status, headers, body = asgi(planted, decoder_url("tiny", "any"))
    assert status == 200 and body == (run.path / "train" / "decoder.onnx").read_bytes()
    assert "immutable" in headers["cache-control"] and headers["accept-ranges"] == "bytes"
    name = "tsne_pca2_ee12_p30"
    with np.load(run.path / "analysis" / f"grid_{name}.npz") as saved:
        z = saved["z"].astype("<f4").tobytes()
    _, _, plain = asgi(planted, grid_url("tiny", name, "any"))
    _, zipped_headers, zipped = asgi(planted, grid_url("tiny", name, "any"),
                                     {"Accept-Encoding": "gzip"})  # fmt: skip
    assert plain == z and zipped_headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped) == z
    status, headers, part = asgi(planted, grid_url("tiny", name, "any"), {"Range": "bytes=8-15"})
    assert status == 206 and part == z[8:16]
    assert headers["content-range"] == f"bytes 8-15/{len(z)}"
    assert asgi(planted, grid_url("tiny", name, "any"), {"Range": "bytes=-4"})[2] == z[-4:]
    assert asgi(planted, grid_url("tiny", name, "any"), {"Range": f"bytes={len(z)}-"})[0] == 416
    status, headers, body = asgi(planted, grid_url("tiny", name, "any"), method="HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == str(len(z))
    assert asgi(planted, grid_url("tiny", "tsne_nothere", "any"))[0] == 404
    assert asgi(planted, grid_url("tiny", "../manifest", "any"))[0] == 404


def test_the_runtime_is_streamed_with_range_and_head(planted):
    name = "ort-wasm-simd-threaded.wasm"
    whole = (FOLDER / name).read_bytes()
    status, headers, part = asgi(planted, runtime_url(name), {"Range": "bytes=100-199"})
    assert status == 206 and part == whole[100:200]
    assert headers["content-range"] == f"bytes 100-199/{len(whole)}"
    status, headers, body = asgi(planted, runtime_url(name), method="HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == str(len(whole))
    status, headers, body = asgi(planted, runtime_url(name), {"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == whole
    status, headers, body = asgi(planted, runtime_url(name))
    assert status == 200 and body == whole and "content-encoding" not in headers
