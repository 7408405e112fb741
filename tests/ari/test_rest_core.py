"""The REST core: encoding kept, auth in a header, failures as AriConnectionError."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web

from ccapp.ari.client import AriClient
from ccapp.ari.errors import AriConnectionError, AriError, AriNotFound


@pytest.fixture
async def echo_server():
    """A server that records what it receives and answers like Asterisk."""
    seen: list[web.Request] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request)
        if request.path.endswith("/slow"):
            await asyncio.sleep(5)
        if "missing" in request.raw_path:
            return web.json_response({"message": "Channel not found"}, status=404)
        body = {"value": (await request.text()) or request.query_string}
        return web.json_response(body)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", seen
    await runner.cleanup()


async def test_ids_stay_percent_encoded_and_credentials_go_in_a_header(echo_server):
    url, seen = echo_server
    async with AriClient(url, "user", "secret", app="ccapp") as client:
        assert await client.get_variable("a+b/c d", "X") == "variable=X"
        with pytest.raises(AriNotFound, match="Channel not found"):
            await client.answer("missing")
        with pytest.raises(AriError, match="unexpected response body") as error:
            await client.originate("PJSIP/1001", app="ccapp", variables={"A": "1"})
        assert error.value.status == 200
    first = seen[0]
    assert first.raw_path == "/ari/channels/a%2Bb%2Fc%20d/variable?variable=X"
    assert first.headers["Authorization"] == "Basic dXNlcjpzZWNyZXQ="
    assert "secret" not in first.raw_path and "user" not in first.raw_path
    assert seen[-1].headers["Content-Type"] == "application/json"
    assert await seen[-1].json() == {"variables": {"A": "1"}}


async def test_a_refused_connection_is_an_ari_connection_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = AriClient(f"http://127.0.0.1:{port}", "user", "secret", app="ccapp")
    with pytest.raises(AriConnectionError):
        await client.list_channels()
    await client.aclose()


async def test_a_slow_answer_times_out_as_an_ari_connection_error(echo_server):
    url, _ = echo_server
    client = AriClient(url, "user", "secret", app="ccapp", http_timeout=0.05)
    with pytest.raises(AriConnectionError, match="timed out"):
        await client._call("GET", "/slow")
    await client.aclose()
