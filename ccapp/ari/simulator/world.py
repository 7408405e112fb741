"""The simulator's state: channels, bridges, playbacks, recordings, connected apps, and event emission."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from ccapp.ari.simulator.clock import Clock

log = logging.getLogger(__name__)

ASTERISK_ID = "02:fc:00:00:00:01"


@dataclass
class SimPlayback:
    """A playback on a channel or bridge; `media` is the playlist."""

    id: str
    target_uri: str
    media: list[str]
    language: str = "en"
    state: str = "queued"
    index: int = 0
    timer: asyncio.TimerHandle | None = None
    remaining: float = 0.0  # simulated seconds left of the current item (for pause)
    started_at: float = 0.0

    def json(self) -> dict[str, Any]:
        """Asterisk's Playback model."""
        data = {
            "id": self.id,
            "media_uri": self.media[self.index],
            "target_uri": self.target_uri,
            "language": self.language,
            "state": self.state,
        }
        if self.index + 1 < len(self.media):
            data["next_media_uri"] = self.media[self.index + 1]
        return data


@dataclass
class SimRecording:
    """A live recording of a channel or bridge."""

    name: str
    format: str
    target_uri: str
    state: str = "queued"
    started_at: float = 0.0
    paused_at: float | None = None
    paused_total: float = 0.0
    muted: bool = False
    max_duration: int = 0
    max_silence: int = 0
    terminate_on: str = "none"
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    def json(self, **extra: Any) -> dict[str, Any]:
        """Asterisk's LiveRecording model."""
        return {
            "name": self.name,
            "format": self.format,
            "state": self.state,
            "target_uri": self.target_uri,
        } | extra


@dataclass
class SimChannel:
    """A channel: an inbound caller, an originated agent leg or a snoop channel."""

    id: str
    name: str
    endpoint: str
    state: str
    caller: dict[str, str]
    creationtime: str
    dialplan: dict[str, Any]
    app: str | None = None  # the Stasis app it is in; None while an originated leg rings
    args: list[str] = field(default_factory=list)
    originated: bool = False
    connected: dict[str, str] = field(default_factory=lambda: {"name": "", "number": ""})
    variables: dict[str, str] = field(default_factory=dict)
    bridge_id: str | None = None
    playbacks: deque[SimPlayback] = field(default_factory=deque)
    current: SimPlayback | None = None
    recording: str | None = None
    silent: bool = False
    flags: set[str] = field(default_factory=set)  # moh, hold, silence, ring, muted-in/out
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    idle: asyncio.Event = field(default_factory=asyncio.Event)  # set while no playback runs
    gone: bool = False

    def json(self) -> dict[str, Any]:
        """Asterisk's Channel model."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.id.replace(".", "-") + "@127.0.0.1",
            "caller": dict(self.caller),
            "connected": dict(self.connected),
            "accountcode": "",
            "dialplan": dict(self.dialplan),
            "creationtime": self.creationtime,
            "language": "en",
        }


@dataclass
class SimBridge:
    """A bridge; it outlives its channels until deleted, as in Asterisk."""

    id: str
    bridge_type: str
    name: str
    creationtime: str
    channels: list[str] = field(default_factory=list)
    moh: bool = False
    subscribed: bool = False  # decides whether BridgeDestroyed is sent
    recording: str | None = None
    current: SimPlayback | None = None

    def json(self) -> dict[str, Any]:
        """Asterisk's Bridge model."""
        if self.bridge_type == "holding":
            technology = "holding_bridge"
        else:
            technology = "softmix" if len(self.channels) > 2 else "simple_bridge"
        return {
            "id": self.id,
            "technology": technology,
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": list(self.channels),
            "video_mode": "talker",
            "creationtime": self.creationtime,
        }


class AppConnection:
    """One events websocket of an application; events go out in order through a queue."""

    def __init__(self, app: str, ws: web.WebSocketResponse) -> None:
        self.app = app
        self.ws = ws
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.replaced = False

    async def pump(self) -> None:
        """Send queued events until the socket fails or `None` is queued."""
        while (text := await self.queue.get()) is not None:
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return


class World:
    """Everything the simulated Asterisk holds, plus the log of events it emitted."""

    def __init__(self, clock: Clock, recordings_dir: Path, *, event_log_size: int = 100_000) -> None:
        self.clock = clock
        self.recordings_dir = recordings_dir
        self.channels: dict[str, SimChannel] = {}
        self.bridges: dict[str, SimBridge] = {}
        self.playbacks: dict[str, SimPlayback] = {}
        self.live: dict[str, SimRecording] = {}
        self.stored: dict[str, str] = {}  # recording name -> format
        self.file_delay = 0.0  # real seconds before GET /recordings/stored/{name}/file answers
        self.device_states: dict[str, str] = {}
        self.connections: dict[str, AppConnection] = {}  # the live websocket per app
        self.all_connections: list[AppConnection] = []
        self.apps_seen: set[str] = set()  # registered at least once (Asterisk keeps them)
        self.events: deque[dict[str, Any]] = deque(maxlen=event_log_size)
        self.lost_events = 0
        self.emitted_count = 0  # all events ever emitted (the log keeps only the newest)
        self.changed = asyncio.Event()  # replaced on every change; waiters hold the old one
        self._ids = itertools.count(1)
        self._epoch = 1795395783

    def next_id(self) -> int:
        """A process-wide counter for ids and channel name suffixes."""
        return next(self._ids)

    def new_channel_id(self) -> str:
        """An Asterisk-style unique id: '<epoch>.<n>'."""
        return f"{self._epoch}.{self.next_id()}"

    def emit(self, app: str | None, event_type: str, **fields: Any) -> None:
        """Send an event to the app's live websocket; with none connected it is lost (as in Asterisk)."""
        if app is None:
            return
        event = {
            "type": event_type,
            "timestamp": self.clock.iso(),
            "application": app,
            "asterisk_id": ASTERISK_ID,
            **fields,
        }
        self.events.append(event)
        self.emitted_count += 1
        connection = self.connections.get(app)
        if connection is None:
            self.lost_events += 1
        else:
            connection.queue.put_nowait(json.dumps(event))
        self.notify()

    def notify(self) -> None:
        """Wake `Simulator.wait_for` waiters."""
        self.changed.set()
        self.changed = asyncio.Event()

    def app_channels(self, app: str) -> list[str]:
        """Ids of the channels currently in `app`."""
        return [c.id for c in self.channels.values() if c.app == app]
