"""Event delivery: one ordered lane per channel, lanes run concurrently, handlers per event type."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import defaultdict, deque

from ccapp.ari.event_models import Message
from ccapp.ari.events import lane_of
from ccapp.ari.protocol import EventHandler

log = logging.getLogger(__name__)

SHARED_LANE = ""  # events that belong to no channel (bridges, endpoints, ApplicationReplaced, Resync)
ANY = "*"  # handlers registered for every event type


class Dispatcher:
    """Runs handlers: in order within a channel, concurrently across channels, never raising."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[EventHandler]] = defaultdict(list)
        self._lanes: dict[str, deque[Message]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.delivered = 0  # events whose handlers have all run (for the benchmark)

    def on(self, event_type: str, handler: EventHandler) -> None:
        """Call `handler(event)` for each event of this type ("*" for all); sync or async."""
        self._handlers[event_type].append(handler)

    def off(self, event_type: str, handler: EventHandler) -> None:
        """Remove a handler."""
        if handler in self._handlers.get(event_type, []):
            self._handlers[event_type].remove(handler)

    def handles(self, event_type: str) -> bool:
        """Whether some handler runs for events of this type."""
        return bool(self._handlers.get(event_type) or self._handlers.get(ANY))

    def submit(self, event: Message) -> None:
        """Queue an event on its channel's lane; starts the lane's task when the lane was idle."""
        key = lane_of(event) or SHARED_LANE
        lane = self._lanes.get(key)
        if lane is not None:
            lane.append(event)
            return
        # a lane exists exactly while its task runs: no second task can ever serve the same channel
        self._lanes[key] = deque([event])
        self._idle.clear()
        task = asyncio.create_task(self._run_lane(key), name=f"ari-lane-{key or 'shared'}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver_now(self, event: Message) -> None:
        """Run the handlers of one event right away (used for Resync before new events are read)."""
        await self._run_handlers(event)

    async def drain(self) -> None:
        """Wait until every queued event has been handled."""
        await self._idle.wait()

    async def aclose(self) -> None:
        """Cancel running lanes (shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._lanes.clear()
        self._idle.set()

    @property
    def busy_lanes(self) -> int:
        """Number of lanes with events being handled."""
        return len(self._lanes)

    async def _run_lane(self, key: str) -> None:
        lane = self._lanes[key]
        try:
            while lane:
                await self._run_handlers(lane.popleft())
        finally:
            del self._lanes[key]
            if not self._lanes:
                self._idle.set()

    async def _run_handlers(self, event: Message) -> None:
        for handler in (*self._handlers.get(event.type, ()), *self._handlers.get(ANY, ())):
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                # a failing handler must not stop the lane: later events of the call still matter
                log.exception("ARI handler %r failed on %s", handler, event.type)
        self.delivered += 1
