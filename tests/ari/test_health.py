"""The connection state reaches Redis, where /healthz reads it."""

from __future__ import annotations

import os

import pytest
import redis.asyncio as aioredis

from ccapp.ari.health import ARI_STATE_KEY, RedisStateWriter
from ccapp.ari.protocol import ConnectionState
from tests.ari.conftest import make_client

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture
async def redis_client():
    client = aioredis.Redis.from_url(REDIS_URL)
    await client.delete(ARI_STATE_KEY)
    yield client
    await client.delete(ARI_STATE_KEY)
    await client.aclose()


async def state_of(redis_client) -> dict[str, str]:
    raw = await redis_client.hgetall(ARI_STATE_KEY)
    return {k.decode(): v.decode() for k, v in raw.items()}


def test_the_key_is_the_one_healthz_reads():
    from ccapp import health

    assert health.ARI_STATE_KEY == ARI_STATE_KEY


async def test_the_writer_follows_the_websocket_state(sim, redis_client):
    writer = RedisStateWriter(REDIS_URL, "ccapp")
    client = make_client(sim)
    client.add_state_callback(writer)
    async with client:
        await client.wait_connected()
        await writer.flush()
        state = await state_of(redis_client)
        assert (state["state"], state["app"]) == ("connected", "ccapp")
        assert state["since"].startswith("20")
        await sim.drop_websockets("abort")
        await sim.wait_for(lambda: client.state is not ConnectionState.CONNECTED)
        await writer.flush()
        assert (await state_of(redis_client))["state"] in ("connecting", "disconnected")
    await writer.flush()
    assert (await state_of(redis_client))["state"] == "disconnected"
    await writer.aclose()


async def test_a_redis_outage_is_logged_not_raised(caplog):
    writer = RedisStateWriter("redis://127.0.0.1:1/0", "ccapp")
    await writer.write(ConnectionState.CONNECTED)
    assert "could not write ARI state" in caplog.text
    await writer.aclose()
