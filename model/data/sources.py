"""The sources `python -m scripts.prepare_data` builds data sets from, as messages name them: each
source's default data set name, and the command that builds a data set again from what its
`dataset.json` recorded (so a run whose data set is missing or was rebuilt is told the very
command that makes the images it was trained on)."""

from __future__ import annotations

from typing import Any

DEFAULT_NAMES = {"synthetic": "synthetic64", "celeba": "celeba", "folder": "folder"}


def prepare_arguments(
    name: str, source: dict[str, Any], image_size: int, split: dict[str, list[int]]
) -> list[str] | None:
    """`prepare_data`'s arguments that build data set `name` from `source` (a dataset.json's
    source record) with this image size and split; None for a source it cannot build (a test's
    own data, or a record too old to say)."""
    n_train, n_test = (stop - start for start, stop in (split["train"], split["test"]))
    kind, naming = source.get("kind"), ["--name", name, "--size", str(image_size)]
    if kind == "synthetic" and "seed" in source:
        return ["synthetic", *naming, "--count", str(n_train + n_test), "--test", str(n_test),
                "--seed", str(source["seed"])]  # fmt: skip
    if kind == "celeba" and "path" in source:
        requested = source.get("requested_split", {"train": n_train, "test": n_test})
        attributes = source.get("attributes_file")
        return ["celeba", source["path"], *naming, "--train", str(requested["train"]),
                "--test", str(requested["test"]),
                *(["--attributes", attributes] if attributes else [])]  # fmt: skip
    if kind == "folder" and "path" in source:
        return ["folder", source["path"], *naming, "--test", str(n_test)]
    return None


def first_build_arguments(name: str) -> list[str]:
    """How to build data set `name` that was never built: the source whose default name it is
    (`prepare_data celeba path/to/img_align_celeba` for `celeba`), else the built-in faces."""
    if name == DEFAULT_NAMES["celeba"]:
        return ["celeba", "path/to/img_align_celeba"]
    if name == DEFAULT_NAMES["folder"]:
        return ["folder", "path/to/images"]
    return ["synthetic", *([] if name == DEFAULT_NAMES["synthetic"] else ["--name", name])]
