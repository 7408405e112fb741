"""The real Stasis worker against the project's ARI simulator, time sped up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from ccapp.ari.simulator.server import Simulator
from ccapp.models import Call
from ccapp.stasis.app import StasisApp
from ccapp.stasis.runner import build

FACTOR = 20.0  # one simulated second is 50 ms


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = await Simulator.start(time_factor=FACTOR)
    for n in range(1001, 1400):  # every phone the factories hand out answers after 1 s by default
        simulator.agent(f"PJSIP/{n}")
    yield simulator
    await simulator.stop()


async def start_worker(sim: Simulator, node: str = "test-node") -> tuple[Any, StasisApp]:
    client, app = build(url=sim.url, app_name=sim.app, node=node, time_factor=FACTOR)
    client.start()
    app.start()
    await asyncio.wait_for(client.wait_connected(), 5)
    return client, app


async def stop_worker(client: Any, app: StasisApp) -> None:
    await client.close()
    await app.close()


@pytest.fixture
async def worker(sim: Simulator) -> AsyncIterator[StasisApp]:
    client, app = await start_worker(sim)
    yield app
    await stop_worker(client, app)


def sync(fn: Callable[..., Any]) -> Callable[..., Any]:
    return sync_to_async(fn, thread_sensitive=False)


async def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll a sync (database) predicate until it is truthy."""
    check = sync(predicate)
    async with asyncio.timeout(timeout):
        while not (value := await check()):
            await asyncio.sleep(0.02)
        return value


async def call_of(channel_id: str) -> Call:
    return await sync(lambda: Call.objects.get(channel_id=channel_id))()


async def kinds(call_id: int) -> list[str]:
    from ccapp.models import CallEvent

    return await sync(
        lambda: list(
            CallEvent.objects.filter(call_id=call_id).order_by("at", "id").values_list("kind", flat=True)
        )
    )()


def requests_to(sim: Simulator, method: str, fragment: str) -> list[Any]:
    return [r for r in sim.requests if r.method == method and fragment in r.path]


class AsyncListener:
    """A channel-layer member of some groups, to assert on what `ccapp.realtime` published."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel = ""

    async def join(self, *groups: str) -> AsyncListener:
        self.channel = await self.layer.new_channel()
        for group in groups:
            await self.layer.group_add(group, self.channel)
        return self

    async def until(self, event: str, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.layer.receive(self.channel)
                if message.get("event") == event:
                    return message["data"]


@pytest.fixture(scope="session", autouse=True)
def _close_worker_connections(django_db_setup, django_db_blocker):
    """The worker's database threads keep their connections; end them before the test database is dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """channels_redis binds its receive lock to the first event loop; each test has its own loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fresh_routing_settings():
    """Routing settings are cached a few seconds per id; each test starts without them."""
    from ccapp.stasis import claims

    claims.forget_settings()
    yield
