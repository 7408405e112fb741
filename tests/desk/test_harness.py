"""The web server the browser tests and bench_realtime start: reachable on 127.0.0.1 under any settings."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.db import connection
from django.test import override_settings
from websockets.asyncio.client import connect

from ccapp.desk.harness import WebServer

pytestmark = pytest.mark.django_db


@override_settings(ALLOWED_HOSTS=[])
def test_it_accepts_sockets_on_127_0_0_1_even_when_the_settings_allow_no_host(monkeypatch) -> None:
    monkeypatch.setenv("ALLOWED_HOSTS", "")  # production settings, DEBUG off, no ALLOWED_HOSTS given
    web = WebServer(database=connection.settings_dict["NAME"]).start()

    async def first_frame() -> dict:
        url = web.url.replace("http", "ws", 1) + "/ws/desk/"
        async with connect(url, additional_headers={"Origin": web.url}) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), 20))

    try:
        frame = asyncio.run(first_frame())  # was refused at the handshake (403) by the origin check
    finally:
        web.stop()
    assert (frame["type"], frame["error_id"]) == ("error", "forbidden")  # anonymous: refused with a message
