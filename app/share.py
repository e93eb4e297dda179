"""Page settings that live in the URL query string, so a shared link reproduces the view.

Every value a link sets is read through a parser that accepts only what the page can show (a
known name, a finite number in range); anything else falls back to the page's default, so no
link can put a page in a state it cannot draw."""

from __future__ import annotations

import re
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
    """A parser that accepts a number only within [low, high] (never NaN or infinite)."""

    def parse(text: str) -> Any:
        value = kind(text)
        if not low <= value <= high:  # False for NaN too
            raise ValueError(f"{value} outside [{low}, {high}]")
        return value

    return parse


def matching(pattern: str) -> Callable[[str], str]:
    """A parser that accepts only text matching the regular expression `pattern` in full."""
    compiled = re.compile(pattern)

    def parse(text: str) -> str:
        if not compiled.fullmatch(text):
            raise ValueError(f"{text!r} does not match {pattern}")
        return text

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
