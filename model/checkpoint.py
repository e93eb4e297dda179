"""Training state in one file: every model and optimizer variable plus a JSON record.

Written atomically each epoch, so a kill -9 at any moment leaves the last complete epoch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from model.autoencoder import LatentAutoencoder
from model.files import atomic_path


def save_checkpoint(model: LatentAutoencoder, path: Path, record: dict[str, Any]) -> None:
    """Save all model variables (weights, BatchNorm stats, RNG state), optimizer state, `record`."""
    arrays = {f"model_{i:04d}": v.numpy() for i, v in enumerate(model.variables)}
    arrays |= {f"optimizer_{i:04d}": v.numpy() for i, v in enumerate(model.optimizer.variables)}
    arrays["record"] = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def read_checkpoint_record(path: Path) -> dict[str, Any]:
    with np.load(path) as data:
        if "record" not in data:
            raise ValueError(f"{path} is not a zspace checkpoint (no record)")
        return json.loads(data["record"].tobytes().decode())


def restore_checkpoint(model: LatentAutoencoder, path: Path) -> dict[str, Any]:
    """Load the state saved by `save_checkpoint` into a model built from the same config."""
    values, record = checkpoint_values(model, path)
    for variable, value in zip(training_variables(model), values):
        variable.assign(value)
    return record


def training_variables(model: LatentAutoencoder) -> list:
    """Everything a checkpoint holds: the model's variables, then the optimizer's."""
    return [*model.variables, *model.optimizer.variables]


def checkpoint_values(model: LatentAutoencoder, path: Path) -> tuple[list[np.ndarray], dict]:
    """The values `save_checkpoint` saved, in `training_variables` order, each checked against
    `model`'s variable; and the record."""
    values: list[np.ndarray] = []
    with np.load(path) as data:
        for prefix, variables in (
            ("model", model.variables),
            ("optimizer", model.optimizer.variables),
        ):
            keys = sorted(k for k in data.files if k.startswith(f"{prefix}_"))
            if len(keys) != len(variables):
                raise ValueError(
                    f"{path} holds {len(keys)} {prefix} variables, the model has {len(variables)}"
                )
            for key, variable in zip(keys, variables):
                if tuple(data[key].shape) != tuple(variable.shape):
                    raise ValueError(
                        f"{path}: {key} has shape {data[key].shape}, "
                        f"{variable.path} needs {tuple(variable.shape)}"
                    )
                values.append(data[key])
        return values, json.loads(data["record"].tobytes().decode())
