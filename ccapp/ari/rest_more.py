"""REST operations on playbacks, recordings, bridges, endpoints, device states and applications."""

from __future__ import annotations

from collections.abc import Sequence

from ccapp.ari.models import (
    Application,
    Bridge,
    DeviceState,
    Endpoint,
    LiveRecording,
    Playback,
    StoredRecording,
)
from ccapp.ari.rest_support import Query, RestBase, join_ids, join_media

LIVE = "/recordings/live/{recordingName}"
STORED = "/recordings/stored/{recordingName}"


class MediaOps(RestBase):
    """Playbacks and recordings."""

    async def get_playback(self, playback_id: str) -> Playback:
        """One playback (404 once it has finished)."""
        return await self._call("GET", "/playbacks/{playbackId}", {"playbackId": playback_id}, model=Playback)

    async def stop_playback(self, playback_id: str) -> None:
        """Stop a playback (PlaybackFinished `done` follows)."""
        await self._call("DELETE", "/playbacks/{playbackId}", {"playbackId": playback_id})

    async def control_playback(self, playback_id: str, operation: str) -> None:
        """pause, unpause, restart, reverse or forward."""
        path = {"playbackId": playback_id}
        await self._call("POST", "/playbacks/{playbackId}/control", path, {"operation": operation})

    async def get_live_recording(self, name: str) -> LiveRecording:
        """A recording in progress."""
        return await self._call("GET", LIVE, {"recordingName": name}, model=LiveRecording)

    async def stop_recording(self, name: str) -> None:
        """Stop and keep the file."""
        await self._call("POST", LIVE + "/stop", {"recordingName": name})

    async def cancel_recording(self, name: str) -> None:
        """Stop and delete the file."""
        await self._call("DELETE", LIVE, {"recordingName": name})

    async def pause_recording(self, name: str) -> None:
        """Pause (the audio is dropped; e.g. while a card number is read)."""
        await self._call("POST", LIVE + "/pause", {"recordingName": name})

    async def unpause_recording(self, name: str) -> None:
        """Resume a paused recording."""
        await self._call("DELETE", LIVE + "/pause", {"recordingName": name})

    async def mute_recording(self, name: str) -> None:
        """Mute (silence is written)."""
        await self._call("POST", LIVE + "/mute", {"recordingName": name})

    async def unmute_recording(self, name: str) -> None:
        """Unmute a recording."""
        await self._call("DELETE", LIVE + "/mute", {"recordingName": name})

    async def list_stored_recordings(self) -> list[StoredRecording]:
        """All stored recordings."""
        return await self._call("GET", "/recordings/stored", model=list[StoredRecording])

    async def get_stored_recording(self, name: str) -> StoredRecording:
        """One stored recording."""
        return await self._call("GET", STORED, {"recordingName": name}, model=StoredRecording)

    async def get_stored_recording_file(self, name: str) -> bytes:
        """The recording's file content."""
        return await self._call("GET", STORED + "/file", {"recordingName": name}, model=bytes)

    async def delete_stored_recording(self, name: str) -> None:
        """Delete a stored recording."""
        await self._call("DELETE", STORED, {"recordingName": name})

    async def copy_stored_recording(self, name: str, *, destination: str) -> StoredRecording:
        """Copy a stored recording under a new name."""
        query = {"destinationRecordingName": destination}
        return await self._call(
            "POST", STORED + "/copy", {"recordingName": name}, query, model=StoredRecording
        )


class BridgesAndSystem(MediaOps):
    """Bridges, endpoints, device states, applications."""

    async def create_bridge(
        self, *, type: str = "mixing", bridge_id: str | None = None, name: str | None = None
    ) -> Bridge:
        """Create a bridge (`mixing`, `holding`, optionally with `,proxy_media` etc.)."""
        if bridge_id is not None:
            path = {"bridgeId": bridge_id}
            query: Query = {"type": type, "name": name}
            return await self._call("POST", "/bridges/{bridgeId}", path, query, model=Bridge)
        return await self._call("POST", "/bridges", None, {"type": type, "name": name}, model=Bridge)

    async def get_bridge(self, bridge_id: str) -> Bridge:
        """One bridge."""
        return await self._call("GET", "/bridges/{bridgeId}", {"bridgeId": bridge_id}, model=Bridge)

    async def list_bridges(self) -> list[Bridge]:
        """All bridges."""
        return await self._call("GET", "/bridges", model=list[Bridge])

    async def add_channel(
        self,
        bridge_id: str,
        channel: str | Sequence[str],
        *,
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> None:
        """Add channels; blocks while a playback runs on an unbridged channel, so bridge before playing."""
        query: Query = {
            "channel": join_ids(channel),
            "role": role,
            "absorbDTMF": absorb_dtmf,
            "mute": mute,
            "inhibitConnectedLineUpdates": inhibit_connected_line_updates,
        }
        await self._call("POST", "/bridges/{bridgeId}/addChannel", {"bridgeId": bridge_id}, query)

    async def remove_channel(self, bridge_id: str, channel: str | Sequence[str]) -> None:
        """Remove channels (422 if one is not in this bridge)."""
        query = {"channel": join_ids(channel)}
        await self._call("POST", "/bridges/{bridgeId}/removeChannel", {"bridgeId": bridge_id}, query)

    async def destroy_bridge(self, bridge_id: str) -> None:
        """Destroy a bridge; bridges outlive their channels, so the app must do this."""
        await self._call("DELETE", "/bridges/{bridgeId}", {"bridgeId": bridge_id})

    async def play_bridge(
        self,
        bridge_id: str,
        media: str | Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
        announcer_format: str | None = None,
    ) -> Playback:
        """Play to everyone in a bridge (fails while the bridge plays music)."""
        query: Query = {
            "media": join_media(media),
            "lang": lang,
            "offsetms": offsetms,
            "skipms": skipms,
            "announcer_format": announcer_format,
        }
        if playback_id is not None:
            path = {"bridgeId": bridge_id, "playbackId": playback_id}
            return await self._call(
                "POST", "/bridges/{bridgeId}/play/{playbackId}", path, query, model=Playback
            )
        return await self._call(
            "POST", "/bridges/{bridgeId}/play", {"bridgeId": bridge_id}, query, model=Playback
        )

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
    ) -> LiveRecording:
        """Record a bridge (the whole conversation)."""
        query: Query = {
            "name": name,
            "format": format,
            "recorder_format": recorder_format,
            "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds,
            "ifExists": if_exists,
            "beep": beep,
            "terminateOn": terminate_on,
        }
        path = {"bridgeId": bridge_id}
        return await self._call("POST", "/bridges/{bridgeId}/record", path, query, model=LiveRecording)

    async def start_bridge_moh(self, bridge_id: str, *, moh_class: str | None = None) -> None:
        """Music to a bridge (a holding bridge is silent without it)."""
        await self._call("POST", "/bridges/{bridgeId}/moh", {"bridgeId": bridge_id}, {"mohClass": moh_class})

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        """Stop bridge music (409 if none plays)."""
        await self._call("DELETE", "/bridges/{bridgeId}/moh", {"bridgeId": bridge_id})

    async def list_endpoints(self, tech: str | None = None) -> list[Endpoint]:
        """All endpoints, or those of one technology."""
        if tech is not None:
            return await self._call("GET", "/endpoints/{tech}", {"tech": tech}, model=list[Endpoint])
        return await self._call("GET", "/endpoints", model=list[Endpoint])

    async def get_endpoint(self, tech: str, resource: str) -> Endpoint:
        """One endpoint (e.g. PJSIP, 1001)."""
        path = {"tech": tech, "resource": resource}
        return await self._call("GET", "/endpoints/{tech}/{resource}", path, model=Endpoint)

    async def list_device_states(self) -> list[DeviceState]:
        """All device states controlled by ARI."""
        return await self._call("GET", "/deviceStates", model=list[DeviceState])

    async def get_device_state(self, name: str) -> DeviceState:
        """One device state (e.g. Stasis:agent-7)."""
        return await self._call("GET", "/deviceStates/{deviceName}", {"deviceName": name}, model=DeviceState)

    async def update_device_state(self, name: str, state: str) -> None:
        """Set a Stasis: device state (NOT_INUSE, INUSE, BUSY, ...)."""
        path = {"deviceName": name}
        await self._call("PUT", "/deviceStates/{deviceName}", path, {"deviceState": state})

    async def delete_device_state(self, name: str) -> None:
        """Delete a device state."""
        await self._call("DELETE", "/deviceStates/{deviceName}", {"deviceName": name})

    async def list_applications(self) -> list[Application]:
        """All Stasis applications."""
        return await self._call("GET", "/applications", model=list[Application])

    async def get_application(self, name: str) -> Application:
        """One application with its channel_ids and bridge_ids (used by the resync)."""
        path = {"applicationName": name}
        return await self._call("GET", "/applications/{applicationName}", path, model=Application)

    async def subscribe(self, name: str, event_source: str | Sequence[str]) -> Application:
        """Subscribe the app to channel:, bridge:, endpoint: or deviceState: sources."""
        path = {"applicationName": name}
        query = {"eventSource": join_ids(event_source)}
        return await self._call(
            "POST", "/applications/{applicationName}/subscription", path, query, model=Application
        )

    async def unsubscribe(self, name: str, event_source: str | Sequence[str]) -> Application:
        """Unsubscribe from event sources."""
        path = {"applicationName": name}
        query = {"eventSource": join_ids(event_source)}
        return await self._call(
            "DELETE", "/applications/{applicationName}/subscription", path, query, model=Application
        )
