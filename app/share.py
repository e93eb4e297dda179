"""Page settings that live in the URL query string, so a shared link reproduces the view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st


def init_from_url(defaults: dict[str, Any], parsers: dict[str, Callable[[str], Any]]) -> None:
    """Once per session: seed each widget key from ?key=value, else its default.

    A value that does not parse, or that a parser rejects (ValueError), falls back to the default.
    """
    read_from_url({key: parsers[key] for key in defaults if key in parsers})
    for key, default in defaults.items():
        st.session_state.setdefault(key, default)


def read_from_url(parsers: dict[str, Callable[[str], Any]]) -> None:
    """Once per session: each key the link sets, as its parser reads it; a key the link lacks,
    or whose value its parser rejects (ValueError), is left unset."""
    for key, parse in parsers.items():
        if key in st.session_state or key not in st.query_params:
            continue
        try:
            st.session_state[key] = parse(st.query_params[key])
        except ValueError:
            pass


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
