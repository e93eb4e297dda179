"""The commands that messages name as the fix, written as a person types them."""

from __future__ import annotations

import shlex


def command(script: str, *args: object) -> str:
    """`python -m scripts.SCRIPT ARGS...`, every argument shell-quoted (a path with a space
    stays one argument when the line is pasted into a shell)."""
    return shlex.join(["python", "-m", f"scripts.{script}", *map(str, args)])
