"""Simulated time: a time factor speeds up playback, ringing and timers for tests and load runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """Converts simulated seconds to real ones (`time_factor=50`: a 2 s prompt takes 40 ms)."""

    def __init__(self, time_factor: float = 1.0) -> None:
        if time_factor <= 0:
            raise ValueError("time_factor must be positive")
        self.time_factor = time_factor
        self._loop_start: float | None = None
        self._wall_start = datetime.now(UTC)

    def _loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def now(self) -> float:
        """Simulated seconds since the simulator started (monotonic)."""
        loop_now = self._loop().time()
        if self._loop_start is None:
            self._loop_start = loop_now
        return (loop_now - self._loop_start) * self.time_factor

    def iso(self) -> str:
        """Simulated wall time in Asterisk's format (2026-11-23T01:03:03.426+0000)."""
        moment = self._wall_start + timedelta(seconds=self.now())
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of simulated time."""
        await asyncio.sleep(max(0.0, seconds) / self.time_factor)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """Run `callback` after `seconds` of simulated time."""
        return self._loop().call_later(max(0.0, seconds) / self.time_factor, callback)
