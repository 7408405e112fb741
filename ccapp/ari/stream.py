"""The events websocket under a supervisor: any close or error is a disconnect, then reconnect and resync."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from ccapp.ari.events import parse_event
from ccapp.ari.protocol import ConnectionState

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Capped exponential backoff with jitter; the random source is passed in (seedable in tests)."""

    initial: float = 0.5
    cap: float = 30.0
    factor: float = 2.0
    rng: random.Random | None = None
    attempt: int = 0

    def next_delay(self) -> float:
        """Delay before the next attempt: half fixed, half random, so workers do not reconnect in step."""
        ceiling = min(self.cap, self.initial * self.factor**self.attempt)
        self.attempt += 1
        rng = self.rng or random
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        """After a good connection, start again from the initial delay."""
        self.attempt = 0


class EventStream:
    """Keeps one events websocket open for `app`, forever, until `stop()`."""

    def __init__(
        self,
        *,
        ws_url: str,
        app: str,
        auth_header: str,
        on_message: Callable[[object], None],
        on_connected: Callable[[], Awaitable[None]],
        on_state: Callable[[ConnectionState], None],
        backoff: Backoff,
        accepts: Callable[[str], bool] | None = None,
        ping_interval: float = 5.0,
        ping_timeout: float = 5.0,
        open_timeout: float = 5.0,
    ) -> None:
        query = urlencode({"app": app, "subscribeAll": "false"})
        self.url = f"{ws_url.rstrip('/')}/ari/events?{query}"
        self._auth_header = auth_header
        self._on_message = on_message
        self._on_connected = on_connected
        self._on_state = on_state
        self._accepts = accepts  # event types worth validating (see `parse_event`)
        self.backoff = backoff
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._open_timeout = open_timeout
        self._stopping = False
        self.connections = 0  # successful connects, for tests and logs

    def stop(self) -> None:
        """Ask the loop to end after the current connection."""
        self._stopping = True

    async def run(self) -> None:
        """Connect, read, and on any failure wait and reconnect; returns only after `stop()`."""
        while not self._stopping:
            self._on_state(ConnectionState.CONNECTING)
            try:
                await self._session()
            except asyncio.CancelledError:
                self._on_state(ConnectionState.DISCONNECTED)
                raise
            except (OSError, WebSocketException, TimeoutError) as exc:
                log.warning("ARI events websocket lost: %s: %s", type(exc).__name__, exc)
            except Exception:
                # anything else (a bug in resync, a bad peer) must not end the supervisor either
                log.exception("ARI events websocket failed")
            self._on_state(ConnectionState.DISCONNECTED)
            if self._stopping:
                break
            delay = self.backoff.next_delay()
            log.info("ARI events websocket: reconnecting in %.2f s", delay)
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        async with connect(
            self.url,
            additional_headers={"Authorization": self._auth_header},
            ping_interval=self._ping_interval,
            ping_timeout=self._ping_timeout,  # a stalled peer (no pong) closes the connection
            open_timeout=self._open_timeout,
            close_timeout=min(1.0, self._ping_timeout),  # a stalled peer never answers the close
            proxy=None,
            max_size=None,  # a Resync-sized ChannelVarset burst must never kill the socket
            # read ahead without limit: a pong queued behind unread events would look like a stalled peer
            max_queue=None,
            compression=None,
        ) as ws:
            self.connections += 1
            self._on_state(ConnectionState.CONNECTED)
            # events that arrive meanwhile wait in the socket: none lost between resync and reading
            await self._on_connected()
            self.backoff.reset()  # only now: a peer that accepts and drops at once still backs off
            async for raw in ws:
                event = parse_event(raw, self._accepts)
                if event is not None:
                    self._on_message(event)
            # a clean close by Asterisk is a disconnect like any other
            log.warning("ARI events websocket closed by peer: %s", ws.close_reason or ws.close_code)
