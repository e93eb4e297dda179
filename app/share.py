"""Page settings that live in the URL query string, so a shared link reproduces the view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st


def init_from_url(defaults: dict[str, Any], parsers: dict[str, Callable[[str], Any]]) -> None:
    """Once per session: seed each widget key from ?key=value, else its default.

    A value that does not parse, or that a parser rejects (ValueError), falls back to the default.
    """
    for key, default in defaults.items():
        if key in st.session_state:
            continue
        text = st.query_params.get(key)
        value = default
        if text is not None:
            try:
                value = parsers[key](text)
            except (KeyError, ValueError):
                value = default
        st.session_state[key] = value


def write_to_url(keys: list[str]) -> None:
    """Put the widgets' current values into the query string."""
    for key in keys:
        value = st.session_state[key]
        st.query_params[key] = str(int(value) if isinstance(value, bool) else value)


def bounded(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    """A parser that accepts a number only within [low, high]."""

    def parse(text: str) -> Any:
        value = kind(text)
        if not low <= value <= high:
            raise ValueError(f"{value} outside [{low}, {high}]")
        return value

    return parse


def one_of(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"{text!r} is not one of {choices}")
        return text

    return parse


def flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError(f"{text!r} is not 0 or 1")
    return text == "1"
