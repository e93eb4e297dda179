"""The commands that messages name as the fix, written as a person types them."""

from __future__ import annotations

import shlex
from pathlib import Path

DEFAULT_ARTIFACTS = Path("artifacts")  # every command's --artifacts, relative to where it runs


def command(script: str, *args: object, artifacts: Path | None = None) -> str:
    """`python -m scripts.SCRIPT ARGS...`, every argument shell-quoted (a path with a space
    stays one argument when the line is pasted into a shell), and `--artifacts DIR` when the
    artifacts folder `artifacts` it applies to is not the default one."""
    if artifacts is not None and Path(artifacts).resolve() != DEFAULT_ARTIFACTS.resolve():
        args = (*args, "--artifacts", artifacts)
    return shlex.join(["python", "-m", f"scripts.{script}", *map(str, args)])


def shell(*args: object) -> str:
    """A shell command other than zspace's (`mv`, `rm`), every argument quoted."""
    return shlex.join(map(str, args))


def older_format(where: object, version: object, current: int, artifacts: Path | None) -> str:
    """The message for a file in another schema than this zspace's: what to run about it."""
    if isinstance(version, int) and version < current:
        return (
            f"{where} was written by an older zspace (schema_version {version}, this one reads "
            f"{current}); `{command('upgrade', artifacts=artifacts)}` brings it up to date, "
            "keeping everything"
        )
    return f"{where} has schema_version {version!r}; this zspace reads {current} (a newer zspace?)"
