"""The commands that messages name as the fix, written as a person types them."""

from __future__ import annotations

import shlex


def command(script: str, *args: object) -> str:
    """`python -m scripts.SCRIPT ARGS...`, every argument shell-quoted (a path with a space
    stays one argument when the line is pasted into a shell)."""
    return shlex.join(["python", "-m", f"scripts.{script}", *map(str, args)])


def older_format(where: object, version: object, current: int) -> str:
    """The message for a file in another schema than this zspace's: what to run about it."""
    if isinstance(version, int) and version < current:
        return (
            f"{where} was written by an older zspace (schema_version {version}, this one reads "
            f"{current}); `{command('upgrade')}` brings it up to date, keeping everything"
        )
    return f"{where} has schema_version {version!r}; this zspace reads {current} (a newer zspace?)"
