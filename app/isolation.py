"""Cross-origin isolation, so a browser may decode faces on more than one thread.

onnxruntime-web runs its WebAssembly on several threads only with SharedArrayBuffer, which a
browser grants a page only when it is cross-origin isolated: the page and everything it loads
say so (COOP same-origin, COEP require-corp). Every file the dashboard loads comes from the
dashboard itself, so every response carries both headers.
"""

from __future__ import annotations

from collections.abc import Callable

from app.security import ASGIApp, Scope, with_headers

ISOLATION_HEADERS = [
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-embedder-policy", b"require-corp"),
]


class CrossOriginIsolation:
    """ASGI middleware: the isolation headers on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, with_headers(send, ISOLATION_HEADERS))
