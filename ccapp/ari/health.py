"""Publish the events websocket's state to Redis, where `ccapp.health` reads it for /healthz."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import redis.asyncio as aioredis

from ccapp.ari.protocol import ConnectionState

log = logging.getLogger(__name__)

ARI_STATE_KEY = "ccapp:ari:state"  # same key as ccapp.health (kept literal: no Django import here)


class RedisStateWriter:
    """A state callback for `AriClient`: writes state, since and app into the hash `ccapp:ari:state`."""

    def __init__(self, redis_url: str, app: str, *, client: aioredis.Redis | None = None) -> None:
        self.app = app
        self._redis = client or aioredis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self._pending: set[asyncio.Task[None]] = set()

    def __call__(self, state: ConnectionState) -> None:
        """Record a state change (in the background: a slow Redis must not block the websocket)."""
        task = asyncio.get_running_loop().create_task(self.write(state))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def write(self, state: ConnectionState) -> None:
        """Write one state now; failures are logged, never raised."""
        mapping = {"state": state.value, "since": datetime.now(UTC).isoformat(), "app": self.app}
        try:
            await self._redis.hset(ARI_STATE_KEY, mapping=mapping)
        except Exception as exc:
            log.warning("could not write ARI state to Redis: %s", exc)

    async def flush(self) -> None:
        """Wait for pending writes (tests, shutdown)."""
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Flush and close the Redis connection."""
        await self.flush()
        await self._redis.aclose()
