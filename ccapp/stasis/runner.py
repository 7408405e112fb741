"""Running the Stasis application: connect the ARI client, register handlers, serve until stopped."""

from __future__ import annotations

import asyncio
import logging
import socket
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from ccapp import heap
from ccapp.ari.client import AriClient
from ccapp.ari.health import RedisStateWriter
from ccapp.stasis.app import StasisApp

log = logging.getLogger(__name__)

# The loop's default executor (incidental sync_to_async / run_in_executor work); the worker's own
# database calls run on `db.run`'s own threads (STASIS_DB_THREADS).
DEFAULT_THREADS = 8


def build(
    *,
    url: str | None = None,
    app_name: str | None = None,
    node: str = "",
    time_factor: float = 1.0,
    collect_metrics: bool = False,
) -> tuple[AriClient, StasisApp]:
    """An ARI client and the Stasis application wired to it (not started)."""
    app_name = app_name or settings.ARI_APP
    client = AriClient(url or settings.ARI_URL, settings.ARI_USERNAME, settings.ARI_PASSWORD, app=app_name)
    stasis = StasisApp(
        client,
        app_name=app_name,
        node=node or f"{app_name}@{socket.gethostname()}",
        time_factor=time_factor,
        collect_metrics=collect_metrics,
    )
    stasis.register()
    return client, stasis


def use_db_threads(count: int = DEFAULT_THREADS) -> None:
    """Size the loop's default executor; the worker's database calls have their own (`db.run`)."""
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=count, thread_name_prefix="stasis-db")
    )


async def serve(*, stop: asyncio.Event | None = None, sweep_seconds: float = 2.0) -> None:
    """Run until `stop` is set (or forever); offers are also retried every `sweep_seconds`."""
    use_db_threads()
    client, stasis = build()
    client.add_state_callback(RedisStateWriter(settings.REDIS_URL, client.app))
    stop = stop or asyncio.Event()
    async with client:
        stasis.start()
        heap.freeze_startup()
        log.info("stasis worker %s connecting to %s", stasis.node, settings.ARI_URL)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), sweep_seconds)
            except TimeoutError:
                # Agents made ready from the web reach the worker by this sweep at the latest.
                await stasis.dispatch_all()
