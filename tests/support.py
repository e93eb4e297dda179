"""What the tests share: tiny data sets and configs built on the fly, CelebA-shaped fixtures,
and the dashboard's pages opened headless.

- Blob data sets: smooth coloured blobs, structured enough for a tiny (V)AE to learn something,
  in a real data set folder (`write_blob_dataset`), and the demo preset shrunk to 32 px, z_dim 8
  and 2 epochs (`tiny_config`): the real code paths, in seconds.
- CelebA-shaped fixtures: numbered 178 x 218 JPGs and list_attr_celeba.txt. Every image has its
  own content (a colour from its number, a gradient, a marker square whose position depends on
  the number, and a red band in the 40 rows the CelebA crop removes), so tests can tell images
  apart and check crops and resizes pixel by pixel.
- `open_page`: a dashboard page run with Streamlit's AppTest over the runs under a folder.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
import shlex
import subprocess
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from model.analysis.results import load_result
from model.config import RunConfig, preset
from model.data.celeba import ATTRIBUTES_NAME, CELEBA_ATTRIBUTES
from model.data.store import AttributeTable, create_dataset, make_split


def assert_same_result(loaded, result) -> None:
    """Every field of a loaded analysis result equals the original, with the same type."""
    for field in dataclasses.fields(result):
        np.testing.assert_equal(getattr(loaded, field.name), getattr(result, field.name))
        assert type(getattr(loaded, field.name)) is type(getattr(result, field.name))


def blob_images(count: int, size: int, seed: int = 0) -> np.ndarray:
    """Smooth coloured blobs: structured enough for a tiny (V)AE to learn something."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    centres = rng.uniform(0.2, 0.8, (count, 2, 1, 1))
    radius = rng.uniform(0.1, 0.3, (count, 1, 1))
    colour = rng.uniform(0, 1, (count, 1, 1, 3))
    d2 = (xx - centres[:, 0]) ** 2 + (yy - centres[:, 1]) ** 2
    mask = np.exp(-d2 / (2 * radius**2))[..., None]
    return (255 * (0.1 + 0.8 * mask * colour)).astype(np.uint8)


def write_blob_dataset(
    path, count: int = 96, size: int = 32, n_test: int = 16, seed: int = 0, overwrite: bool = False
):
    with create_dataset(path, size, overwrite=overwrite) as writer:
        images = blob_images(count, size, seed)
        for start in range(0, count, 40):
            writer.add_images(images[start : start + 40])
        # one binary attribute (blob in the left half) and one continuous (mean brightness)
        left = (
            images[:, :, : size // 2].mean(axis=(1, 2, 3))
            > images[:, :, size // 2 :].mean(axis=(1, 2, 3))
        ).astype(np.float32)
        brightness = images.mean(axis=(1, 2, 3)).astype(np.float32) / 255
        table = AttributeTable(("Left", "brightness"), np.c_[left, brightness], binary=("Left",))
        return writer.finish(
            {"kind": "blobs", "seed": seed}, make_split(count, count - n_test, n_test), table
        )


TINY_OVERRIDES = {
    "dataset": "blobs",
    "model.image_size": "32",
    "model.z_dim": "8",
    "train.epochs": "2",
    "train.batch_size": "32",
}


def tiny_config(dataset: str = "blobs", **overrides: str) -> RunConfig:
    """The demo preset shrunk to 32 px, z_dim 8, 2 epochs: the real code paths, in seconds."""
    return preset("demo").with_overrides({**TINY_OVERRIDES, "dataset": dataset, **overrides})


# `prepare_data`'s arguments for the small synthetic data set `synth` of conftest's
# synthetic_runs (one worker: the bytes do not depend on how many).
SYNTH_DATA = ["synthetic", "--count", "96", "--test", "16", "--size", "32", "--name", "synth",
              "--workers", "1"]  # fmt: skip

SMALL_ANALYSIS = {
    "tsne_variants": ("raw_ee16_p10", "pca2_ee12_p30"),
    "tsne_iterations": 50,
    "umap_variants": ("pca2_n15_d0.1",),
    "grid_size": 24,
    "kmeans_ks": (2, 4),
    "nearest_sample": 50,
    "baseline_samples": 200,
    "pca_components": 6,
}


CELEBA_WIDTH, CELEBA_HEIGHT = 178, 218
IMAGES_FOLDER = "img_align_celeba"


@dataclass(frozen=True)
class CelebaFixture:
    """What `write_celeba_fixture` wrote under `root`.

    `folder` holds the JPGs; `zip_path` the same files under an img_align_celeba/ prefix (when
    asked for); `attributes` the -1/1 rows of list_attr_celeba.txt for `names`, in order.
    """

    root: Path
    folder: Path
    names: list[str]
    attributes: np.ndarray
    attributes_file: Path | None
    zip_path: Path | None
    corrupt: list[str]
    grayscale: list[str]

    @property
    def source(self) -> Path:
        """The zip when one was written, else the folder."""
        return self.zip_path or self.folder

    @property
    def good(self) -> list[str]:
        """Names of the usable images, in order."""
        bad = set(self.corrupt) | set(self.grayscale)
        return [name for name in self.names if name not in bad]


def celeba_name(index: int) -> str:
    """CelebA's file name for the image at 0-based `index`: 0 -> '000001.jpg'."""
    return f"{index + 1:06d}.jpg"


def face_like_image(
    index: int, size: tuple[int, int] = (CELEBA_WIDTH, CELEBA_HEIGHT)
) -> Image.Image:
    """A distinct RGB test picture for `index`: coloured gradient, marker square, red top band."""
    width, height = size
    rng = np.random.default_rng(index)
    base = rng.integers(40, 200, size=3)
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.empty((height, width, 3), dtype=np.float64)
    pixels[..., 0] = base[0] + 50 * xs / width
    pixels[..., 1] = base[1] + 50 * ys / height
    pixels[..., 2] = base[2]
    side = max(4, min(width, height) // 5)
    left = (index * 17) % max(1, width - side)
    top = height // 3 + (index * 11) % max(1, height // 2 - side)
    pixels[top : top + side, left : left + side] = 255 - base
    pixels[: min(40, height // 5)] = (230, 20, 20)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def write_truncated_jpg(path: Path, index: int = 0) -> None:
    """A JPG cut off halfway through: PIL opens it but cannot decode it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    face_like_image(index).save(path, quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_attribute_file(path: Path, names: Sequence[str], values: np.ndarray) -> None:
    """list_attr_celeba.txt in CelebA's layout: count, the 40 names, then `name -1  1 ...` rows."""
    lines = [str(len(names)), " ".join(CELEBA_ATTRIBUTES) + " "]
    lines += [name + "".join(f" {int(v):2d}" for v in row) for name, row in zip(names, values)]
    path.write_text("\n".join(lines) + "\n")


def write_celeba_fixture(
    root: Path,
    count: int,
    *,
    corrupt: Sequence[int] = (),
    grayscale: Sequence[int] = (),
    attributes: bool = True,
    zip_it: bool = False,
    seed: int = 0,
) -> CelebaFixture:
    """Write `count` CelebA-like JPGs to root/img_align_celeba and list_attr_celeba.txt to root.

    `corrupt` and `grayscale` are 0-based indices of images written truncated or in mode L;
    `zip_it` also writes root/img_align_celeba.zip with the files under an img_align_celeba/
    prefix. Attribute values are random -1/1 from `seed`.
    """
    folder = Path(root) / IMAGES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = [celeba_name(i) for i in range(count)]
    for i, name in enumerate(names):
        if i in corrupt:
            write_truncated_jpg(folder / name, i)
        elif i in grayscale:
            face_like_image(i).convert("L").save(folder / name, quality=95)
        else:
            face_like_image(i).save(folder / name, quality=95)
    values = np.random.default_rng(seed).choice([-1, 1], size=(count, len(CELEBA_ATTRIBUTES)))
    attributes_file = None
    if attributes:
        attributes_file = Path(root) / ATTRIBUTES_NAME
        write_attribute_file(attributes_file, names, values)
    zip_path = None
    if zip_it:
        zip_path = Path(root) / f"{IMAGES_FOLDER}.zip"
        with zipfile.ZipFile(zip_path, "w") as archive:
            archive.writestr(f"{IMAGES_FOLDER}/", "")
            for name in names:
                archive.write(folder / name, f"{IMAGES_FOLDER}/{name}")
    return CelebaFixture(
        root=Path(root),
        folder=folder,
        names=names,
        attributes=values,
        attributes_file=attributes_file,
        zip_path=zip_path,
        corrupt=[names[i] for i in corrupt],
        grayscale=[names[i] for i in grayscale],
    )


def expected_pixels(
    path: Path, box: tuple[int, int, int, int] | None, size: int, mode: str = "RGB"
) -> np.ndarray:
    """What a builder should store for the file: crop `box` (None = centre square), LANCZOS."""
    with Image.open(path) as image:
        image = image.convert(mode) if image.mode != mode else image
        width, height = image.size
        if box is None:
            side = min(width, height)
            left, top = (width - side) // 2, (height - side) // 2
            box = (left, top, left + side, top + side)
        return np.asarray(image.crop(box).resize((size, size), Image.Resampling.LANCZOS))


ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
Z_DIM = 8  # the tiny runs' (tiny_config)


def open_page(
    monkeypatch,
    root,
    page: str | None = None,
    run: str | None = None,
    decode: str | None = None,
    query: dict[str, str] | None = None,
) -> AppTest:
    """The dashboard over the runs under `root` on `views/<page>.py` (None: the first page),
    checked to have run without an exception. `run` is picked, `decode="server"` decodes on
    the server (the sidebar's switch off), `query` is the rest of the URL's settings."""
    monkeypatch.setenv("ZSPACE_ARTIFACTS", str(root))
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.query_params.update({"run": run, "decode": decode, **(query or {})})
    for key in [key for key, value in at.query_params.items() if value is None]:
        del at.query_params[key]
    if page is not None:  # st.Page's own address is the file's name: open it directly
        at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def image_urls(at: AppTest) -> list[str]:
    """Media URLs of every st.image; they change whenever the pixels do."""
    return [url for element in at.get("image") for url in element.value]


def image_captions(at: AppTest) -> list[list[str]]:
    """The captions of every st.image, in page order."""
    return [element.captions for element in at.get("image")]


def joined_captions(at: AppTest) -> list[str]:
    """Each st.image's captions as one string, in page order."""
    return [" ".join(captions) for captions in image_captions(at)]


def chart_figures(at: AppTest) -> list[dict]:
    """The figure JSON of every st.plotly_chart on the page, as sent to the browser."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def chart_figure(at: AppTest, number: int = 0) -> dict:
    """The page's `number`-th chart's figure JSON."""
    return chart_figures(at)[number]


def title(figure: dict) -> str:
    return figure["layout"]["title"]["text"]


def trace_names(figure: dict) -> list[str]:
    return [trace.get("name", "") for trace in figure["data"]]


def figure_array(value) -> np.ndarray:
    """A figure JSON array: a plain list, or Plotly's base64 {"dtype", "bdata"(, "shape")}."""
    if isinstance(value, dict):
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return array.reshape([int(n) for n in str(value.get("shape", -1)).split(",")])
    return np.asarray(value)


def analysis_result(root: Path, name: str, cls):
    """Run `tiny`'s analysis result `name` under the artifacts root `root`."""
    return load_result(cls, root / "runs" / "tiny" / "analysis" / f"{name}.npz")


def active_units(run_dir: Path, name: str) -> int:
    """Dimensions whose latents `name` (mu or z) vary by more than 0.01 across the data."""
    latents = np.load(run_dir / "latents" / f"{name}.npy")
    return int((latents.var(axis=0, ddof=1) > 0.01).sum())


def run_suggested(command: str) -> int:
    """Run a command a message or a page tells a person to run, as written: `python -m
    scripts.NAME ...` through that command's own main (in this process, as the command line
    calls it), anything else (`mv`, `rm`) as a program. Its exit code."""
    words = shlex.split(command)
    if words[:2] == ["python", "-m"] and words[2].startswith("scripts."):
        return importlib.import_module(words[2]).main(words[3:])
    return subprocess.run(words, check=False).returncode


def suggested_commands(text: str) -> list[str]:
    """The commands quoted in a message: every `...` that starts with a program name."""
    quoted = text.split("`")[1::2]
    return [part for part in quoted if part.split(" ")[0] in ("python", "mv", "rm")]


def one_error_line(captured: str) -> str:
    """A command's stderr holds exactly one line, `error: ...`, and no traceback: that line."""
    lines = [line for line in captured.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), captured
    assert "Traceback" not in captured
    return lines[0]
