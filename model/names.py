"""Names of runs and data sets. Each is one folder under the artifacts root, so a name is one
path component from a small alphabet: it can never point at another folder, and it reads the
same in a shell command, a URL and a file listing."""

from __future__ import annotations

import re

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = (
    "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit "
    "(e.g. demo, celeba-96, vae_xii)"
)


def check_name(kind: str, name: object) -> str:
    """`name` if it is a valid name for a `kind` ("run" or "data set"); ValueError otherwise."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"{kind} name {name!r} is not allowed: use {NAME_RULE}")
    return name


def is_valid_name(name: str) -> bool:
    return NAME_PATTERN.fullmatch(name) is not None
