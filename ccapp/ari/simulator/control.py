"""The test-driving API of the simulator: callers dial, press digits, fall silent, hang up; phones behave."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ccapp.ari.simulator.calls import AgentEndpoint

if TYPE_CHECKING:
    from ccapp.ari.simulator.calls import Calls
    from ccapp.ari.simulator.clock import Clock
    from ccapp.ari.simulator.recording import RecordingEngine
    from ccapp.ari.simulator.world import SimChannel, World

DTMF_MS = 280  # RFC 2833 digit length Asterisk reported


@dataclass
class SimCall:
    """A simulated inbound call. `rejected`: no websocket was connected, the caller got 603."""

    channel_id: str
    dnis: str
    caller: str
    rejected: bool = False


CallRef = SimCall | str  # a call handle or any channel id (e.g. an agent leg)


class SimulatorControl:
    """Mixed into `Simulator`: the outside world's side of the calls."""

    world: World
    calls: Calls
    clock: Clock
    recording_engine: RecordingEngine
    app: str

    def _channel(self, call: CallRef) -> SimChannel | None:
        channel_id = call.channel_id if isinstance(call, SimCall) else call
        return self.world.channels.get(channel_id)

    async def dial(
        self, dnis: str, caller: str = "+15551230000", *, name: str = "Carrier", app: str | None = None
    ) -> SimCall:
        """A carrier call to `dnis` enters Stasis(app,inbound,<dnis>): StasisStart args ['inbound', dnis]."""
        app = app or self.app
        if app not in self.world.connections:
            # "Stasis app not active": Asterisk declines the call (603), the app hears nothing
            return SimCall("", dnis, caller, rejected=True)
        channel = self.calls.inbound(dnis=dnis, caller=caller, name=name, app=app)
        await asyncio.sleep(0)
        return SimCall(channel.id, dnis, caller)

    async def press(self, call: CallRef, digits: str, *, gap: float = 0.3) -> None:
        """The caller presses digits: one ChannelDtmfReceived at the end of each digit."""
        for digit in digits:
            await self.clock.sleep(DTMF_MS / 1000)
            channel = self._channel(call)
            if channel is None:
                return
            self.world.emit(
                channel.app, "ChannelDtmfReceived", digit=digit, duration_ms=DTMF_MS, channel=channel.json()
            )
            self.recording_engine.dtmf(channel, digit)
            await self.clock.sleep(gap)

    def set_silent(self, call: CallRef, silent: bool = True) -> None:
        """The caller stops (or starts) talking: recordings fill with silence, max silence fires."""
        channel = self._channel(call)
        if channel is None:
            return
        channel.silent = silent
        self.recording_engine.silence_changed(channel)
        if channel.bridge_id and channel.bridge_id in self.world.bridges:
            self.recording_engine.silence_changed(self.world.bridges[channel.bridge_id])

    def phone_hold(self, call: CallRef, held: bool = True, *, musicclass: str = "default") -> None:
        """The phone itself holds (re-INVITE sendonly): ChannelHold / ChannelUnhold, as only this causes."""
        channel = self._channel(call)
        if channel is None:
            return
        if held:
            self.world.emit(channel.app, "ChannelHold", channel=channel.json(), musicclass=musicclass)
        else:
            self.world.emit(channel.app, "ChannelUnhold", channel=channel.json())

    async def hangup(self, call: CallRef, *, how: Literal["bye", "cancel"] = "bye") -> None:
        """The far end hangs up: BYE (no cause field) or CANCEL before answer (cause 127, tech 487)."""
        channel = self._channel(call)
        if channel is None:
            return
        if how == "cancel":
            self.calls.hangup(channel, cause=127, tech_cause=487)
        else:
            self.calls.hangup(channel)
        await asyncio.sleep(0)

    def agent(self, endpoint: str) -> AgentEndpoint:
        """The phone at `endpoint` (configured on first use); chain `.answer_after(2.0)`, `.busy()`..."""
        agent = self.calls.agents.get(endpoint)
        if agent is None:
            agent = self.calls.agents[endpoint] = AgentEndpoint(endpoint)
        return agent

    def channel_of(self, endpoint: str) -> SimChannel | None:
        """The newest channel of a phone (an originated agent leg), if any."""
        matches = [c for c in self.world.channels.values() if c.endpoint == endpoint]
        return matches[-1] if matches else None

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait (real seconds) until `predicate()` is truthy; returns its value."""
        async with asyncio.timeout(timeout):
            while not (value := predicate()):
                changed = self.world.changed
                # also re-check now and then: some state changes do not emit events
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), 0.05)
            return value

    async def wait_for_event(
        self,
        event_type: str,
        where: Callable[[dict[str, Any]], bool] | None = None,
        *,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Wait until the simulator has emitted a matching event (also one emitted earlier)."""

        seen = self.world.emitted_count - len(self.world.events)

        def find() -> dict[str, Any] | None:
            # look only at events not checked yet: load runs wait on a log of many thousands
            nonlocal seen
            fresh = min(self.world.emitted_count - seen, len(self.world.events))
            seen = self.world.emitted_count
            newest_first = itertools.islice(reversed(self.world.events), fresh)
            for event in reversed(list(newest_first)):
                if event["type"] == event_type and (where is None or where(event)):
                    return event
            return None

        return await self.wait_for(find, timeout)

    def slow_recording_files(self, seconds: float) -> None:
        """GET /recordings/stored/{name}/file answers only after `seconds` of real time (0: at once)."""
        self.world.file_delay = seconds

    def lose_recording(self, name: str) -> None:
        """Asterisk loses a stored recording (disk cleaned up, spool lost): its file is then a 404."""
        fmt = self.world.stored.pop(name, None)
        if fmt is not None:
            (self.world.recordings_dir / f"{name}.{fmt}").unlink(missing_ok=True)

    def emitted(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Events emitted so far (optionally of one type)."""
        return [e for e in self.world.events if event_type is None or e["type"] == event_type]

    async def drop_websockets(self, mode: Literal["close", "abort", "stall"] = "close") -> int:
        """Break every events websocket: a clean close, a network error (abort) or a stalled peer."""
        connections = list(self.world.all_connections)
        for connection in connections:
            transport = connection.ws._req.transport if connection.ws._req else None
            if mode == "close":
                await connection.ws.close()
            elif mode == "abort" and transport is not None:
                transport.abort()
            elif mode == "stall" and transport is not None:
                # read nothing (so no pong) and send nothing: the client must notice by its ping timeout
                transport.pause_reading()
                connection.queue.put_nowait(None)
        return len(connections)
