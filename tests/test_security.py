"""The dashboard answers only to the names it is reached by, and lets no other site frame it."""

import asyncio
import base64
import http.client
import os

import pytest

from app.security import ALLOWED_HOSTS_ENV, HostGuard, configured_hosts, host_name, is_allowed
from scripts.bench.browser import dashboard_server, free_port


@pytest.mark.parametrize(
    "header",
    ["localhost", "localhost:8501", "LOCALHOST.", "app.localhost:1", "127.0.0.1:8501",
     "[::1]:8501", "192.0.2.7", "http://localhost:8501", "myserver", "myserver.lan:80"],
)  # fmt: skip
def test_local_names_addresses_and_allowed_names_are_answered(header):
    assert is_allowed(header, {"myserver", "myserver.lan"})


@pytest.mark.parametrize(
    "header",
    ["evil.example", "evil.example:8501", "http://evil.example:8501", "localhost.evil.example",
     "", "null", "user@localhost", "localhost:notaport", "localhost/path"],
)  # fmt: skip
def test_foreign_names_and_malformed_headers_are_refused(header):
    assert not is_allowed(header, {"myserver"})


def test_a_star_allows_every_name_but_not_a_malformed_one():
    assert is_allowed("anything.example", {"*"}) and not is_allowed("a@b", {"*"})


def test_configured_hosts_are_this_machine_and_the_environment(monkeypatch):
    hosts = configured_hosts({ALLOWED_HOSTS_ENV: " Dash.Example. , other"})
    assert {"dash.example", "other"} <= hosts
    assert host_name("Dash.Example.:8501") == "dash.example"


def _call(scope):
    """What HostGuard sends for `scope`, in front of an app that answers 200 (or accepts)."""
    sent = []

    async def app(scope, receive, send):
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
        else:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        sent.append(message)

    asyncio.run(HostGuard(app, allowed={"myserver"})(scope, receive, send))
    return sent


def _scope(kind, **headers):
    return {"type": kind, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}


def test_pages_are_answered_with_framing_forbidden_to_other_sites():
    start = _call(_scope("http", host="localhost:8501"))[0]
    assert start["status"] == 200
    assert (b"x-frame-options", b"SAMEORIGIN") in start["headers"]
    assert (b"content-security-policy", b"frame-ancestors 'self'") in start["headers"]


def test_a_rebound_name_gets_403_for_pages_and_websockets():
    start, body = _call(_scope("http", host="evil.example:8501"))
    assert start["status"] == 403 and b"--allow-host evil.example" in body["body"]
    [close] = _call(_scope("websocket", host="evil.example:8501", origin="http://evil.example"))
    assert close["type"] == "websocket.close"
    [close] = _call(_scope("websocket", host="localhost:8501", origin="http://evil.example"))
    assert close["type"] == "websocket.close"  # a foreign page opening our websocket
    [accept] = _call(_scope("websocket", host="localhost:8501", origin="http://localhost:8501"))
    assert accept["type"] == "websocket.accept"
    assert _call(_scope("http"))[0]["status"] == 403  # no Host at all


def _request(port, host, websocket=False, origin=None):
    """Status and headers of GET / (or the websocket handshake) sent with these headers."""
    connection = http.client.HTTPConnection("localhost", port, timeout=30)
    headers = {"Host": f"{host}:{port}"}
    if origin:
        headers["Origin"] = origin
    if websocket:
        headers |= {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                    "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}  # fmt: skip
    connection.request("GET", "/_stcore/stream" if websocket else "/", headers=headers)
    response = connection.getresponse()
    status, found = response.status, dict(response.getheaders())
    connection.close()
    return status, {k.lower(): v for k, v in found.items()}


@pytest.mark.slow
def test_the_running_dashboard_refuses_rebound_names_and_framing(built_runs):
    port = free_port()
    options = ("--allow-host", "dash.example")
    with dashboard_server(built_runs / "artifacts", port=port, options=options):
        status, headers = _request(port, "localhost")
        assert status == 200 and headers["x-frame-options"] == "SAMEORIGIN"
        assert headers["content-security-policy"] == "frame-ancestors 'self'"
        assert _request(port, "dash.example")[0] == 200  # allowed with --allow-host
        assert _request(port, "127.0.0.1")[0] == 200
        assert _request(port, "evil.example")[0] == 403
        evil = "http://evil.example"
        assert _request(port, "evil.example", websocket=True, origin=evil)[0] == 403
        assert _request(port, "localhost", websocket=True, origin=evil)[0] == 403
        own = f"http://localhost:{port}"
        assert _request(port, "localhost", websocket=True, origin=own)[0] == 101
