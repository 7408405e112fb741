"""The ARI simulator: an aiohttp server with Asterisk's paths, and a Python API driving the outside world.

sim = await Simulator.start(time_factor=50)            # free port on 127.0.0.1
sim.agent("PJSIP/1001").answer_after(2.0)
call = await sim.dial(dnis="4000", caller="+8613800138000")
await sim.press(call, "1")
await sim.wait_for_event("ChannelDtmfReceived")
await sim.hangup(call)
await sim.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from ccapp.ari.simulator import http_bridges, http_channels, http_control, http_resources
from ccapp.ari.simulator.calls import AgentEndpoint, Calls
from ccapp.ari.simulator.clock import Clock
from ccapp.ari.simulator.control import SimulatorControl
from ccapp.ari.simulator.http_events import events_websocket
from ccapp.ari.simulator.http_util import SIM_KEY
from ccapp.ari.simulator.middleware import RequestRecord, auth_middleware, log_middleware
from ccapp.ari.simulator.playback import MediaConfig, PlaybackEngine
from ccapp.ari.simulator.recording import RecordingEngine
from ccapp.ari.simulator.world import AppConnection, World

log = logging.getLogger(__name__)

DEFAULT_AGENTS = tuple(f"PJSIP/{n}" for n in range(1001, 1011))


class Simulator(SimulatorControl):
    """A simulated Asterisk 22 for one or more Stasis apps; see the module docstring."""

    def __init__(
        self,
        *,
        username: str = "ccapp",
        password: str = "ccapp",
        app: str = "ccapp",
        time_factor: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        recordings_dir: Path | str | None = None,
        media: MediaConfig | None = None,
        agents: tuple[str, ...] = DEFAULT_AGENTS,
        agent_answer_after: float = 1.0,
    ) -> None:
        self.username, self.password, self.app = username, password, app
        self.host, self.port = host, port
        self.clock = Clock(time_factor)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if recordings_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ari-sim-recordings-")
            recordings_dir = self._tmp.name
        self.world = World(self.clock, Path(recordings_dir))
        self.playback_engine = PlaybackEngine(self.world, media or MediaConfig())
        self.recording_engine = RecordingEngine(self.world)
        self.calls = Calls(self.world, self.playback_engine, self.recording_engine)
        for endpoint in agents:
            self.calls.agents[endpoint] = AgentEndpoint(endpoint, after=agent_answer_after)
        self.requests: list[RequestRecord] = []  # every REST request received, for assertions
        self.dtmf_sent: list[tuple[str, str]] = []  # (channel id, digits) the app sent
        self.continued: list[tuple[str, dict[str, str | None]]] = []  # channels sent back to the dialplan
        self._uuids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.websocket_tasks: set[asyncio.Task[Any]] = set()

    # lifecycle --------------------------------------------------------------------------------------
    @classmethod
    async def start(cls, **kwargs: Any) -> Simulator:
        """Create and start a simulator (port 0: a free port); `await sim.stop()` when done."""
        sim = cls(**kwargs)
        await sim.serve()
        return sim

    def build_app(self) -> web.Application:
        """The aiohttp application: Asterisk's paths under /ari, the control API under /_sim."""
        app = web.Application(middlewares=[log_middleware, auth_middleware])
        app[SIM_KEY] = self
        app.add_routes(http_channels.routes())
        app.add_routes(http_bridges.routes())
        app.add_routes(http_resources.routes())
        app.add_routes([web.get("/ari/events", events_websocket)])
        app.add_routes(http_control.routes())
        return app

    async def serve(self) -> None:
        """Bind and serve."""
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        self.clock.now()  # fix the start of simulated time

    async def stop(self) -> None:
        """Close websockets, cancel timers and stop serving."""
        for connection in list(self.world.all_connections):
            transport = connection.ws._req.transport if connection.ws._req else None
            if transport is not None:
                transport.abort()  # a stalled socket would never finish a polite close
            connection.queue.put_nowait(None)
        for task in list(self._background) + list(self.websocket_tasks):
            task.cancel()
        await asyncio.gather(*self._background, *self.websocket_tasks, return_exceptions=True)
        await self.calls.aclose()
        await self.playback_engine.aclose()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()

    async def __aenter__(self) -> Simulator:
        if self._runner is None:
            await self.serve()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL to give `AriClient` (without /ari)."""
        return f"http://{self.host}:{self.port}"

    # helpers for the handlers -----------------------------------------------------------------------
    def new_uuid(self) -> str:
        """A fresh id in Asterisk's style for playbacks and bridges."""
        return str(uuid.UUID(int=next(self._uuids) | (0x4 << 76)))

    def later(self, callback: Callable[[], Any]) -> None:
        """Run after the current HTTP response went out (events Asterisk sends a few ms later)."""

        async def _run() -> None:
            await asyncio.sleep(0)
            callback()

        task = asyncio.get_running_loop().create_task(_run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def default_app(self) -> str | None:
        """The app told about bridge-level events."""
        if self.app in self.world.connections or not self.world.connections:
            return self.app
        return next(iter(self.world.connections))

    def register(self, connection: AppConnection) -> AppConnection | None:
        """A new events websocket for an app; returns the one it replaces."""
        old = self.world.connections.get(connection.app)
        self.world.connections[connection.app] = connection
        self.world.all_connections.append(connection)
        self.world.apps_seen.add(connection.app)
        return old

    def endpoints_json(self) -> list[dict[str, Any]]:
        """Asterisk's Endpoint models for the configured phones and the carrier trunk."""
        result = []
        endpoints = [a for a in self.calls.agents.values() if a.configured]
        names = ["PJSIP/carrier", *[a.endpoint for a in endpoints]]
        offline = {a.endpoint for a in endpoints if a.behaviour == "unreachable"}
        for name in names:
            tech, _, resource = name.partition("/")
            channel_ids = [c.id for c in self.world.channels.values() if c.endpoint == name]
            state = "offline" if name in offline else "online"
            result.append(
                {"technology": tech, "resource": resource, "state": state, "channel_ids": channel_ids}
            )
        return result

    def application_json(self, name: str) -> dict[str, Any]:
        """Asterisk's Application model."""
        bridges = [b.id for b in self.world.bridges.values() if b.subscribed]
        return {
            "name": name,
            "channel_ids": self.world.app_channels(name),
            "bridge_ids": bridges if name == self.default_app() else [],
            "endpoint_ids": [],
            "device_names": [],
            "events_allowed": [],
            "events_disallowed": [],
        }
