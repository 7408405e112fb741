"""The real ARI client: REST on aiohttp, events over a supervised websocket, handlers per event type.

ari = AriClient("http://127.0.0.1:8088", "ccapp", "secret", app="ccapp")
ari.on("StasisStart", on_stasis_start)
ari.on("Resync", on_resync)          # after every (re)connect: channels and bridges Asterisk holds
async with ari:                      # starts the websocket supervisor; closes everything on exit
    await ari.wait_connected()
    ...
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

import httpx

from ccapp.ari.dispatch import Dispatcher
from ccapp.ari.events import Resync, now_iso
from ccapp.ari.protocol import ConnectionState, EventHandler
from ccapp.ari.rest import AriRest
from ccapp.ari.stream import Backoff, EventStream

log = logging.getLogger(__name__)

StateCallback = Callable[[ConnectionState], None]


class AriClient(AriRest):
    """Implements `ccapp.ari.protocol.Ari` against a real Asterisk (or the simulator)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        app: str,
        rng: random.Random | None = None,
        backoff_initial: float = 0.5,
        backoff_cap: float = 30.0,
        ping_interval: float = 5.0,
        ping_timeout: float = 5.0,
        http_timeout: float = 10.0,
        on_state_change: StateCallback | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, username, password, timeout=http_timeout, transport=transport)
        self.app = app
        self.dispatcher = Dispatcher()
        self._state = ConnectionState.DISCONNECTED
        self._state_callbacks: list[StateCallback] = [on_state_change] if on_state_change else []
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        ws_base = self.base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        self.stream = EventStream(
            ws_url=ws_base,
            app=app,
            auth_header=self._auth_header,
            on_message=self.dispatcher.submit,
            accepts=self.dispatcher.handles,
            on_connected=self._resync,
            on_state=self._set_state,
            backoff=Backoff(initial=backoff_initial, cap=backoff_cap, rng=rng),
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
        )

    # events -----------------------------------------------------------------------------------------
    def on(self, event_type: str, handler: EventHandler) -> None:
        """Call `handler(event)` for every event of this type ("*": all, "Resync": after connecting)."""
        self.dispatcher.on(event_type, handler)

    def off(self, event_type: str, handler: EventHandler) -> None:
        """Remove a handler."""
        self.dispatcher.off(event_type, handler)

    @property
    def state(self) -> ConnectionState:
        """Connection state of the events websocket."""
        return self._state

    def add_state_callback(self, callback: StateCallback) -> None:
        """Also call `callback(state)` on every state change (e.g. `RedisStateWriter`)."""
        self._state_callbacks.append(callback)

    async def wait_connected(self) -> None:
        """Wait until the websocket is connected and the resync has been delivered."""
        await self._connected.wait()

    # lifecycle --------------------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        """Start the websocket supervisor in the background."""
        if self._task is None or self._task.done():
            self.stream._stopping = False
            self._task = asyncio.create_task(self.stream.run(), name=f"ari-events-{self.app}")
        return self._task

    async def run(self) -> None:
        """Run the supervisor in the foreground until cancelled."""
        await self.start()

    async def close(self) -> None:
        """Stop the websocket, cancel running handlers, close HTTP."""
        self.stream.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.dispatcher.aclose()
        await self.aclose()

    async def __aenter__(self) -> AriClient:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # internals --------------------------------------------------------------------------------------
    def _set_state(self, state: ConnectionState) -> None:
        if state is not ConnectionState.CONNECTED:
            self._connected.clear()
        if state is self._state:
            return
        self._state = state
        for callback in self._state_callbacks:
            try:
                callback(state)
            except Exception:
                log.exception("ARI state callback failed")

    async def _resync(self) -> None:
        """What Asterisk holds now: events of the gap are lost, so the worker reconciles from this."""
        channels, bridges, app_state = await asyncio.gather(
            self.list_channels(), self.list_bridges(), self.get_application(self.app)
        )
        mine = set(app_state.channel_ids)
        event = Resync(
            type="Resync",
            application=self.app,
            timestamp=now_iso(),
            channels=[c for c in channels if c.id in mine],
            bridges=[b for b in bridges if b.id in set(app_state.bridge_ids)],
            app_state=app_state,
        )
        await self.dispatcher.deliver_now(event)
        self._connected.set()
