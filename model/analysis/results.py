"""Saving and loading analysis results: frozen dataclasses of arrays and scalars, one .npz each."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from model.files import atomic_path

R = TypeVar("R")


def save_result(result: Any, path: Path) -> None:
    """Write a dataclass of numpy arrays, numbers, strings and JSON-able dicts/lists."""
    arrays: dict[str, np.ndarray] = {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, np.ndarray):
            arrays[field.name] = value
        elif isinstance(value, dict | list | tuple):
            arrays[field.name] = np.array(json.dumps(value))
            arrays[f"{field.name}__json"] = np.array(True)
        else:
            arrays[field.name] = np.asarray(value)
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def load_result(cls: type[R], path: Path) -> R:
    """Read a result saved by `save_result`, naming the file if it is missing or incomplete."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    with np.load(path, allow_pickle=False) as data:
        values = {}
        for field in dataclasses.fields(cls):
            if field.name not in data:
                raise ValueError(f"{path} lacks {field.name!r}; rebuild it with scripts.analyze")
            value = data[field.name]
            if f"{field.name}__json" in data:
                values[field.name] = json.loads(str(value))
            elif value.ndim == 0:  # scalars are saved as 0-d arrays
                values[field.name] = value.item()
            else:
                values[field.name] = value
    return cls(**values)
