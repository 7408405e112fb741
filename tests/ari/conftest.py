"""Fixtures for the ARI seam: a fast simulator (time factor 50) and a connected client."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from ccapp.ari.client import AriClient
from ccapp.ari.simulator import Simulator
from tests.ari.schema import validate_event

TIME_FACTOR = 50.0


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A running simulator; every event it emitted during the test must match events.json."""
    simulator = await Simulator.start(time_factor=TIME_FACTOR, username="ccapp", password="s3cret")
    try:
        yield simulator
    finally:
        await simulator.stop()
    errors = [e for event in simulator.world.events for e in validate_event(event)]
    assert not errors, errors[:10]


def make_client(sim: Simulator, *, password: str | None = None, **kwargs) -> AriClient:
    """A client for the simulator with short ping and backoff times (the stall tests need them)."""
    options = {
        "rng": random.Random(7),
        "backoff_initial": 0.02,
        "backoff_cap": 0.2,
        "ping_interval": 0.1,
        "ping_timeout": 0.2,
    }
    secret = sim.password if password is None else password
    return AriClient(sim.url, sim.username, secret, app=sim.app, **(options | kwargs))


@pytest.fixture
async def ari(sim: Simulator) -> AsyncIterator[AriClient]:
    """A client connected to `sim` (resync delivered)."""
    client = make_client(sim)
    async with client:
        await client.wait_connected()
        yield client


@pytest.fixture
async def call(sim: Simulator, ari: AriClient):
    """An inbound call already in the app (StasisStart emitted)."""
    handle = await sim.dial("4000", "+8613800138000")
    await sim.wait_for_event("StasisStart", lambda e: e["channel"]["id"] == handle.channel_id)
    return handle
