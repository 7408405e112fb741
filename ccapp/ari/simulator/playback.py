"""Playbacks: queued per channel, `PlaybackStarted` / `Continuing` / `Finished` after the media's length."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from ccapp.ari.simulator.media import NEVER, is_local_url, spoken_length, wav_file_duration, wav_info
from ccapp.ari.simulator.world import SimBridge, SimChannel, SimPlayback, World

log = logging.getLogger(__name__)


@dataclass
class MediaConfig:
    """How long media plays; `durations` maps a sound name (or full media URI) to seconds."""

    default: float = 2.0
    durations: dict[str, float] = field(default_factory=dict)
    # Asterisk's media cache fails URLs shorter than this (a buffer bug; 41 on the measured install)
    short_url_limit: int = 41


class PlaybackEngine:
    """Runs each playback as a task; hang-ups and DELETE end them with Asterisk's events."""

    def __init__(self, world: World, media: MediaConfig) -> None:
        self.world = world
        self.media = media
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._paused: set[str] = set()
        self._adjust: dict[str, str] = {}  # restart / forward / reverse, applied by the playing task
        self._http: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        """Cancel running playbacks and close the HTTP session used for prompt URLs."""
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    def app_of(self, target: SimChannel | SimBridge) -> str | None:
        """The app that hears about this target's playbacks."""
        if isinstance(target, SimChannel):
            return target.app
        return next(iter(self.world.connections), None) or next(iter(self.world.apps_seen), None)

    def enqueue(self, target: SimChannel | SimBridge, playback: SimPlayback) -> None:
        """Queue a playback; it starts now if nothing plays on the target."""
        self.world.playbacks[playback.id] = playback
        if isinstance(target, SimChannel):
            if target.current is None:
                self._start(target, playback)
            else:
                target.playbacks.append(playback)
            return
        if target.moh or target.current is not None:
            # one announcer per bridge: with music (or a prompt) running a bridge play fails at once
            playback.state = "failed"
            self.world.emit(self.app_of(target), "PlaybackFinished", playback=playback.json())
            self.world.playbacks.pop(playback.id, None)
            return
        self._start(target, playback)

    def _start(self, target: SimChannel | SimBridge, playback: SimPlayback) -> None:
        target.current = playback
        if isinstance(target, SimChannel):
            target.idle.clear()
        self._wake[playback.id] = asyncio.Event()
        task = asyncio.create_task(self._run(target, playback), name=f"sim-playback-{playback.id}")
        self._tasks[playback.id] = task
        task.add_done_callback(lambda _t, pid=playback.id: self._tasks.pop(pid, None))

    async def _run(self, target: SimChannel | SimBridge, playback: SimPlayback) -> None:
        app = self.app_of(target)
        playback.state = "playing"
        self.world.emit(app, "PlaybackStarted", playback=playback.json())
        for index, uri in enumerate(playback.media):
            playback.index = index
            seconds = await self.duration(uri)
            if seconds is None:
                self._finish(target, playback, "failed")
                return
            await self._play_for(playback, seconds)
            if index + 1 < len(playback.media):
                playback.state = "continuing"
                self.world.emit(app, "PlaybackContinuing", playback=playback.json())
                playback.state = "playing"
        self._finish(target, playback, "done")

    async def _play_for(self, playback: SimPlayback, seconds: float) -> None:
        """Wait `seconds` of simulated playing time, honouring pause / restart / skip controls."""
        clock = self.world.clock
        playback.remaining = seconds
        wake = self._wake[playback.id]
        skip = {"forward": -3.0, "reverse": 3.0}  # Asterisk's default skipms is 3000
        while playback.remaining > 0:
            wake.clear()
            if playback.id in self._paused:
                await wake.wait()
                continue
            started = clock.now()
            timeout = None if math.isinf(playback.remaining) else playback.remaining / clock.time_factor
            try:
                await asyncio.wait_for(wake.wait(), timeout)
            except TimeoutError:
                return
            if not math.isinf(playback.remaining):
                playback.remaining -= clock.now() - started
            operation = self._adjust.pop(playback.id, None)
            if operation == "restart":
                playback.remaining = seconds
            elif operation in skip:
                playback.remaining = min(seconds, playback.remaining + skip[operation])

    def control(self, playback: SimPlayback, operation: str) -> None:
        """pause / unpause / restart / forward / reverse (validated by the caller)."""
        if operation == "pause":
            self._paused.add(playback.id)
        elif operation == "unpause":
            if playback.id in self._paused:
                self._paused.discard(playback.id)
                # Asterisk: pause sends nothing, unpause sends a second PlaybackStarted
                self.world.emit(self._target_app(playback), "PlaybackStarted", playback=playback.json())
        elif operation in ("restart", "forward", "reverse"):
            self._adjust[playback.id] = operation
        if playback.id in self._wake:
            self._wake[playback.id].set()

    def _target_app(self, playback: SimPlayback) -> str | None:
        target = self.target_of(playback)
        return self.app_of(target) if target is not None else None

    def target_of(self, playback: SimPlayback) -> SimChannel | SimBridge | None:
        """The channel or bridge a playback plays to."""
        kind, _, ident = playback.target_uri.partition(":")
        return (self.world.channels if kind == "channel" else self.world.bridges).get(ident)

    def stop(self, playback: SimPlayback) -> None:
        """DELETE /playbacks/{id}: a playing one ends `done` (as a natural end), a queued one is dropped."""
        target = self.target_of(playback)
        if target is None:
            return
        if isinstance(target, SimChannel) and playback in target.playbacks:
            target.playbacks.remove(playback)
            self.world.playbacks.pop(playback.id, None)
            return
        task = self._tasks.pop(playback.id, None)
        if task is not None:
            task.cancel()
        self._finish(target, playback, "done")

    def end_all(self, channel: SimChannel) -> None:
        """Caller hung up: the current playback and every queued one end `failed`."""
        if channel.current is not None:
            task = self._tasks.pop(channel.current.id, None)
            if task is not None:
                task.cancel()
            self._finish(channel, channel.current, "failed", start_next=False)
        while channel.playbacks:
            queued = channel.playbacks.popleft()
            queued.state = "playing"
            self.world.emit(channel.app, "PlaybackStarted", playback=queued.json())
            self._finish(channel, queued, "failed", start_next=False)
        channel.idle.set()

    def _finish(
        self, target: SimChannel | SimBridge, playback: SimPlayback, state: str, start_next: bool = True
    ) -> None:
        playback.state = state
        self.world.emit(self.app_of(target), "PlaybackFinished", playback=playback.json())
        self.world.playbacks.pop(playback.id, None)
        self._wake.pop(playback.id, None)
        self._paused.discard(playback.id)
        self._adjust.pop(playback.id, None)
        if target.current is playback:
            target.current = None
        if not isinstance(target, SimChannel) or not start_next:
            return
        if target.playbacks:
            self._start(target, target.playbacks.popleft())
        else:
            target.idle.set()

    async def duration(self, uri: str) -> float | None:
        """Simulated seconds the media plays; None: fails at once; NEVER: never finishes."""
        scheme, _, rest = uri.partition(":")
        if uri in self.media.durations:
            return self.media.durations[uri]
        if scheme == "sound":
            if rest.startswith(("http://", "https://")):
                return await self._url_duration(rest)
            return self.media.durations.get(rest, self.media.default)
        if scheme in ("digits", "number", "characters"):
            return spoken_length(scheme, rest)
        if scheme == "recording":
            if rest not in self.world.stored:
                return NEVER  # Asterisk: recording: of a missing recording never finishes
            fmt = self.world.stored[rest]
            return wav_file_duration(self.world.recordings_dir / f"{rest}.{fmt}") or self.media.default
        return NEVER  # tone: and unknown schemes: no PlaybackFinished ever

    async def _url_duration(self, url: str) -> float | None:
        if len(url) < self.media.short_url_limit:
            return None
        if not is_local_url(url):
            return self.media.default
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            async with self._http.get(url) as response:
                if response.status != 200:
                    return None
                data = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError):
            return None  # 404 or a refused connection: failed at once
        if not urlsplit(url).path.endswith(".wav"):
            return self.media.default
        info = wav_info(data)
        # Asterisk plays .wav only as 8 kHz mono 16-bit; anything else fails
        return info[0] if info and info[1] else None
