"""Who may talk to the dashboard: the host names it answers to, and who may frame its pages.

DNS rebinding: a page on a foreign name that the attacker points at 127.0.0.1 reaches a local
server with that foreign name in its Host header (and as its Origin). So the dashboard answers
only requests addressed to `localhost`, to an IP address (a browser sends a literal address only
when a person typed it), to this machine's own names, and to the names a person allowed with
`python -m scripts.serve --allow-host NAME` (or ZSPACE_ALLOWED_HOSTS=NAME,NAME). Every page
says that only the dashboard itself may frame it (clickjacking).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from model.commands import command

ALLOWED_HOSTS_ENV = "ZSPACE_ALLOWED_HOSTS"
FRAME_HEADERS = [
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]  # fmt: skip


def configured_hosts(environ: MutableMapping[str, str] | None = None) -> frozenset[str]:
    """This machine's names and those in ZSPACE_ALLOWED_HOSTS (comma-separated; `*` allows
    every name)."""
    environ = os.environ if environ is None else environ
    extra = [name.strip() for name in environ.get(ALLOWED_HOSTS_ENV, "").split(",")]
    names = {socket.gethostname(), socket.getfqdn(), *extra}
    return frozenset(name.lower().rstrip(".") for name in names if name)


def host_name(header: str) -> str | None:
    """The name or address in a Host header or an Origin URL, lowercased; None if malformed."""
    try:
        parts = urlsplit(header if "//" in header else f"//{header}")
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.path not in ("", "/"):
        return None
    return parts.hostname.rstrip(".")


def is_allowed(header: str | None, allowed: Iterable[str]) -> bool:
    """True when a request addressed to `header` (its Host, or its Origin) may be answered;
    never for an opaque origin ("null": a sandboxed frame or a local file)."""
    name = host_name(header or "")
    if name is None:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    allowed = set(allowed)
    return name == "localhost" or name.endswith(".localhost") or name in allowed or "*" in allowed


class HostGuard:
    """ASGI middleware: refuse requests and websockets addressed to names not allowed, and send
    the framing headers with every response."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1")
                   for key, value in scope.get("headers", [])}  # fmt: skip
        host, origin = headers.get("host", ""), headers.get("origin")
        if not is_allowed(host, self.allowed):
            await _refuse(scope, send, host)
            return
        if origin is not None and not is_allowed(origin, self.allowed):
            await _refuse(scope, send, origin)
            return

        await self.app(scope, receive, with_headers(send, FRAME_HEADERS))


def with_headers(send: Callable, headers: list[tuple[bytes, bytes]]) -> Callable:
    """ASGI `send` that adds `headers` to every response it starts."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *headers]
        await send(message)

    return send_with_headers


async def _refuse(scope: Scope, send: Callable, name: str) -> None:
    text = (
        f"zspace does not answer requests addressed to {name!r} (a guard against DNS "
        "rebinding). To reach the dashboard under this name, start it with "
        f"`{command('serve', '--allow-host', host_name(name) or 'NAME')}` or set "
        f"{ALLOWED_HOSTS_ENV}.\n"
    ).encode()
    if scope["type"] == "websocket":  # closed before the handshake: the server answers 403
        await send({"type": "websocket.close", "code": 1008, "reason": text[:120].decode()})
        return
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(text)).encode()), *FRAME_HEADERS]  # fmt: skip
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": text})
