"""Live recordings: RecordingStarted at once, RecordingFinished on stop / # / silence / max duration."""

from __future__ import annotations

import math
from pathlib import Path

from ccapp.ari.simulator.media import wav_bytes
from ccapp.ari.simulator.world import SimBridge, SimChannel, SimRecording, World

FORMATS = {"wav", "wav16", "gsm", "ulaw", "alaw", "sln", "g722"}


def recording_path(world: World, name: str, fmt: str) -> Path:
    """Where a stored recording lives; names may hold sub-folders but never leave the folder."""
    path = (world.recordings_dir / f"{name}.{fmt}").resolve()
    if world.recordings_dir.resolve() not in path.parents:
        raise ValueError("recording name escapes the recordings folder")
    return path


class RecordingEngine:
    """Starts, pauses, mutes and finishes recordings, writing real WAV files."""

    def __init__(self, world: World) -> None:
        self.world = world

    def app_of(self, target: SimChannel | SimBridge) -> str | None:
        """The app told about this target's recordings."""
        if isinstance(target, SimChannel):
            return target.app
        return next(iter(self.world.connections), None) or next(iter(self.world.apps_seen), None)

    def target_of(self, recording: SimRecording) -> SimChannel | SimBridge | None:
        """The recorded channel or bridge."""
        kind, _, ident = recording.target_uri.partition(":")
        return (self.world.channels if kind == "channel" else self.world.bridges).get(ident)

    def start(self, target: SimChannel | SimBridge, recording: SimRecording) -> None:
        """Begin recording (the beep is not in the file, as in Asterisk)."""
        clock = self.world.clock
        self.world.live[recording.name] = recording
        target.recording = recording.name
        recording.state = "recording"
        recording.started_at = clock.now()
        self.world.emit(self.app_of(target), "RecordingStarted", recording=recording.json())
        if recording.max_duration > 0:
            recording.timers.append(clock.call_later(recording.max_duration, lambda: self.finish(recording)))
        self.silence_changed(target)

    def silence_changed(self, target: SimChannel | SimBridge) -> None:
        """Arm max-silence when the recorded party falls silent."""
        recording = self.world.live.get(target.recording or "")
        if recording is None or recording.max_silence <= 0 or not self._silent(target):
            return
        # Asterisk ends on max silence and trims the trailing silence from the file
        recording.timers.append(
            self.world.clock.call_later(
                recording.max_silence, lambda: self.finish(recording, trim=recording.max_silence)
            )
        )

    def _silent(self, target: SimChannel | SimBridge) -> bool:
        if isinstance(target, SimChannel):
            return target.silent
        parties = [self.world.channels[c] for c in target.channels if c in self.world.channels]
        return all(p.silent for p in parties)

    def dtmf(self, channel: SimChannel, digit: str) -> None:
        """terminateOn: `#`, `*` or `any` ends the channel's recording."""
        recording = self.world.live.get(channel.recording or "")
        if recording is None:
            return
        if recording.terminate_on == "any" or recording.terminate_on == digit:
            self.finish(recording)

    def pause(self, recording: SimRecording) -> None:
        """Pause: the audio is dropped (no event)."""
        if recording.paused_at is None:
            recording.paused_at = self.world.clock.now()
            recording.state = "paused"

    def unpause(self, recording: SimRecording) -> None:
        """Resume a paused recording."""
        if recording.paused_at is not None:
            recording.paused_total += self.world.clock.now() - recording.paused_at
            recording.paused_at = None
            recording.state = "recording"

    def finish(self, recording: SimRecording, *, keep: bool = True, trim: float = 0.0) -> None:
        """End: write the file (unless cancelled) and send RecordingFinished `done`."""
        if recording.name not in self.world.live or self.world.live[recording.name] is not recording:
            return
        for timer in recording.timers:
            timer.cancel()
        self.unpause(recording)
        del self.world.live[recording.name]
        target = self.target_of(recording)
        # durations are whole seconds in Asterisk's events
        elapsed = self.world.clock.now() - recording.started_at - recording.paused_total - trim
        duration = max(0, math.floor(elapsed + 1e-6))
        silent = recording.muted or (target is not None and self._silent(target))
        if keep:
            path = recording_path(self.world, recording.name, recording.format)
            path.parent.mkdir(parents=True, exist_ok=True)
            if recording.format.startswith("wav"):
                path.write_bytes(wav_bytes(duration, tone=not silent))
            else:
                path.write_bytes(b"\x00" * 160 * 50 * duration)
            self.world.stored[recording.name] = recording.format
        recording.state = "done"
        talking = 0 if silent else duration
        app = self.app_of(target) if target is not None else next(iter(self.world.connections), None)
        self.world.emit(
            app,
            "RecordingFinished",
            recording=recording.json(
                duration=duration, talking_duration=talking, silence_duration=duration - talking
            ),
        )
        if target is not None and target.recording == recording.name:
            target.recording = None
