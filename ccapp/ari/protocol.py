"""The interface the Stasis worker uses to talk to Asterisk; `AriClient` implements it, tests may fake it.

Names follow ARI's operations; ids are passed as given (the client URL-encodes them). Every call raises
an `ccapp.ari.errors.AriError` subclass on failure. Remember Asterisk's timing: the events a call causes
often arrive before its HTTP response, so handlers must not assume "response, then event".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from ccapp.ari.event_models import Message
from ccapp.ari.models import (
    Application,
    Bridge,
    Channel,
    DeviceState,
    Endpoint,
    LiveRecording,
    Playback,
    StoredRecording,
)

Media = str | Sequence[str]  # one media URI or a playlist (sent as one comma-separated value)
EventHandler = Callable[[Any], Awaitable[None] | None]


class ConnectionState(StrEnum):
    """State of the events websocket, as shown on /healthz."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@runtime_checkable
class AriChannels(Protocol):
    """Channel operations."""

    async def list_channels(self) -> list[Channel]: ...
    async def get_channel(self, channel_id: str) -> Channel: ...
    async def originate(
        self,
        endpoint: str,
        *,
        app: str | None = None,
        app_args: str | None = None,
        timeout: int | None = None,
        caller_id: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        variables: Mapping[str, str] | None = None,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        formats: str | None = None,
    ) -> Channel: ...
    async def create_channel(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel: ...
    async def dial(
        self, channel_id: str, *, caller: str | None = None, timeout: int | None = None
    ) -> None: ...
    async def answer(self, channel_id: str) -> None: ...
    async def hangup(
        self, channel_id: str, *, reason: str | None = None, reason_code: str | None = None
    ) -> None: ...
    async def ring(self, channel_id: str) -> None: ...
    async def ring_stop(self, channel_id: str) -> None: ...
    async def progress(self, channel_id: str) -> None: ...
    async def play(
        self,
        channel_id: str,
        media: Media,
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback: ...
    async def record(
        self,
        channel_id: str,
        *,
        name: str,
        format: str = "wav",
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: str | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
    ) -> LiveRecording: ...
    async def hold(self, channel_id: str) -> None: ...
    async def unhold(self, channel_id: str) -> None: ...
    async def start_moh(self, channel_id: str, *, moh_class: str | None = None) -> None: ...
    async def stop_moh(self, channel_id: str) -> None: ...
    async def start_silence(self, channel_id: str) -> None: ...
    async def stop_silence(self, channel_id: str) -> None: ...
    async def mute(self, channel_id: str, *, direction: str) -> None: ...
    async def unmute(self, channel_id: str, *, direction: str) -> None: ...
    async def send_dtmf(
        self,
        channel_id: str,
        dtmf: str,
        *,
        before: int | None = None,
        between: int | None = None,
        duration: int | None = None,
        after: int | None = None,
    ) -> None: ...
    async def get_variable(self, channel_id: str, variable: str) -> str: ...
    async def set_variable(self, channel_id: str, variable: str, value: str | None) -> None: ...
    async def continue_in_dialplan(
        self,
        channel_id: str,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None: ...
    async def redirect(self, channel_id: str, *, endpoint: str) -> None: ...
    async def move(self, channel_id: str, *, app: str, app_args: str | None = None) -> None: ...
    async def snoop(
        self,
        channel_id: str,
        *,
        app: str,
        spy: str | None = None,
        whisper: str | None = None,
        app_args: str | None = None,
        snoop_id: str | None = None,
    ) -> Channel: ...


@runtime_checkable
class AriMedia(Protocol):
    """Playbacks, live and stored recordings."""

    async def get_playback(self, playback_id: str) -> Playback: ...
    async def stop_playback(self, playback_id: str) -> None: ...
    async def control_playback(self, playback_id: str, operation: str) -> None: ...
    async def get_live_recording(self, name: str) -> LiveRecording: ...
    async def stop_recording(self, name: str) -> None: ...
    async def cancel_recording(self, name: str) -> None: ...
    async def pause_recording(self, name: str) -> None: ...
    async def unpause_recording(self, name: str) -> None: ...
    async def mute_recording(self, name: str) -> None: ...
    async def unmute_recording(self, name: str) -> None: ...
    async def list_stored_recordings(self) -> list[StoredRecording]: ...
    async def get_stored_recording(self, name: str) -> StoredRecording: ...
    async def get_stored_recording_file(self, name: str) -> bytes: ...
    async def delete_stored_recording(self, name: str) -> None: ...
    async def copy_stored_recording(self, name: str, *, destination: str) -> StoredRecording: ...


@runtime_checkable
class AriBridges(Protocol):
    """Bridge operations."""

    async def create_bridge(
        self, *, type: str = "mixing", bridge_id: str | None = None, name: str | None = None
    ) -> Bridge: ...
    async def get_bridge(self, bridge_id: str) -> Bridge: ...
    async def list_bridges(self) -> list[Bridge]: ...
    async def add_channel(
        self,
        bridge_id: str,
        channel: str | Sequence[str],
        *,
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> None: ...
    async def remove_channel(self, bridge_id: str, channel: str | Sequence[str]) -> None: ...
    async def destroy_bridge(self, bridge_id: str) -> None: ...
    async def play_bridge(
        self,
        bridge_id: str,
        media: Media,
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
        announcer_format: str | None = None,
    ) -> Playback: ...
    async def record_bridge(
        self,
        bridge_id: str,
        *,
        name: str,
        format: str = "wav",
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: str | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
        recorder_format: str | None = None,
    ) -> LiveRecording: ...
    async def start_bridge_moh(self, bridge_id: str, *, moh_class: str | None = None) -> None: ...
    async def stop_bridge_moh(self, bridge_id: str) -> None: ...


@runtime_checkable
class AriSystem(Protocol):
    """Endpoints, device states and applications."""

    async def list_endpoints(self, tech: str | None = None) -> list[Endpoint]: ...
    async def get_endpoint(self, tech: str, resource: str) -> Endpoint: ...
    async def list_device_states(self) -> list[DeviceState]: ...
    async def get_device_state(self, name: str) -> DeviceState: ...
    async def update_device_state(self, name: str, state: str) -> None: ...
    async def delete_device_state(self, name: str) -> None: ...
    async def list_applications(self) -> list[Application]: ...
    async def get_application(self, name: str) -> Application: ...
    async def subscribe(self, name: str, event_source: str | Sequence[str]) -> Application: ...
    async def unsubscribe(self, name: str, event_source: str | Sequence[str]) -> Application: ...


@runtime_checkable
class AriEvents(Protocol):
    """The events side: handlers per event type and the websocket's state."""

    @property
    def state(self) -> ConnectionState: ...
    def on(self, event_type: str, handler: EventHandler) -> None: ...
    def off(self, event_type: str, handler: EventHandler) -> None: ...


@runtime_checkable
class Ari(AriChannels, AriMedia, AriBridges, AriSystem, AriEvents, Protocol):
    """Everything the Stasis worker needs from Asterisk."""


__all__ = [
    "Ari",
    "AriBridges",
    "AriChannels",
    "AriEvents",
    "AriMedia",
    "AriSystem",
    "ConnectionState",
    "EventHandler",
    "Media",
    "Message",
]
