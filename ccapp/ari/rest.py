"""The REST half of the ARI client: one small method per ARI operation, on one keep-alive connection pool."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ccapp.ari.models import Channel, LiveRecording, Playback, Variable
from ccapp.ari.rest_more import BridgesAndSystem
from ccapp.ari.rest_support import Query, join_media


class AriRest(BridgesAndSystem):
    """ARI REST operations; see `ccapp.ari.protocol` for the contract."""

    # channels ---------------------------------------------------------------------------------------
    async def list_channels(self) -> list[Channel]:
        """All channels Asterisk has (not only this app's)."""
        return await self._call("GET", "/channels", model=list[Channel])

    async def get_channel(self, channel_id: str) -> Channel:
        """One channel."""
        return await self._call("GET", "/channels/{channelId}", {"channelId": channel_id}, model=Channel)

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
    ) -> Channel:
        """Call an endpoint; answers 200 with state Down, StasisStart comes only when it answers."""
        query: Query = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": app_args,
            "timeout": timeout,
            "callerId": caller_id,
            "otherChannelId": other_channel_id,
            "originator": originator,
            "context": context,
            "extension": extension,
            "priority": priority,
            "label": label,
            "formats": formats,
        }
        body = {"variables": dict(variables)} if variables else None
        if channel_id is not None:
            path = {"channelId": channel_id}
            return await self._call("POST", "/channels/{channelId}", path, query, body, model=Channel)
        return await self._call("POST", "/channels", None, query, body, model=Channel)

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
    ) -> Channel:
        """Create a channel in the app without dialling it (StasisStart at once; `dial` later)."""
        query: Query = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": app_args,
            "channelId": channel_id,
            "otherChannelId": other_channel_id,
            "originator": originator,
            "formats": formats,
        }
        body = {"variables": dict(variables)} if variables else None
        return await self._call("POST", "/channels/create", None, query, body, model=Channel)

    async def dial(self, channel_id: str, *, caller: str | None = None, timeout: int | None = None) -> None:
        """Dial a created channel."""
        await self._chan("POST", "/dial", channel_id, {"caller": caller, "timeout": timeout})

    async def answer(self, channel_id: str) -> None:
        """Answer; blocks while a playback runs on an unbridged channel (as Asterisk does)."""
        await self._chan("POST", "/answer", channel_id)

    async def hangup(
        self, channel_id: str, *, reason: str | None = None, reason_code: str | None = None
    ) -> None:
        """Hang up a channel (acts at once)."""
        await self._chan("DELETE", "", channel_id, {"reason": reason, "reason_code": reason_code})

    async def ring(self, channel_id: str) -> None:
        """Send ringing (180) to the caller."""
        await self._chan("POST", "/ring", channel_id)

    async def ring_stop(self, channel_id: str) -> None:
        """Stop ringing."""
        await self._chan("DELETE", "/ring", channel_id)

    async def progress(self, channel_id: str) -> None:
        """Send progress (183)."""
        await self._chan("POST", "/progress", channel_id)

    async def play(
        self,
        channel_id: str,
        media: str | Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        """Play media to a channel; 201 `queued` even when the media cannot play."""
        query: Query = {"media": join_media(media), "lang": lang, "offsetms": offsetms, "skipms": skipms}
        if playback_id is not None:
            path = {"channelId": channel_id, "playbackId": playback_id}
            return await self._call(
                "POST", "/channels/{channelId}/play/{playbackId}", path, query, model=Playback
            )
        path = {"channelId": channel_id}
        return await self._call("POST", "/channels/{channelId}/play", path, query, model=Playback)

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
    ) -> LiveRecording:
        """Record a channel."""
        query: Query = {
            "name": name,
            "format": format,
            "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds,
            "ifExists": if_exists,
            "beep": beep,
            "terminateOn": terminate_on,
        }
        path = {"channelId": channel_id}
        return await self._call("POST", "/channels/{channelId}/record", path, query, model=LiveRecording)

    async def hold(self, channel_id: str) -> None:
        """Put on hold (the channel hears music; no ChannelHold event)."""
        await self._chan("POST", "/hold", channel_id)

    async def unhold(self, channel_id: str) -> None:
        """Take off hold."""
        await self._chan("DELETE", "/hold", channel_id)

    async def start_moh(self, channel_id: str, *, moh_class: str | None = None) -> None:
        """Music on hold to one channel."""
        await self._chan("POST", "/moh", channel_id, {"mohClass": moh_class})

    async def stop_moh(self, channel_id: str) -> None:
        """Stop a channel's music."""
        await self._chan("DELETE", "/moh", channel_id)

    async def start_silence(self, channel_id: str) -> None:
        """Play silence to a channel."""
        await self._chan("POST", "/silence", channel_id)

    async def stop_silence(self, channel_id: str) -> None:
        """Stop silence."""
        await self._chan("DELETE", "/silence", channel_id)

    async def mute(self, channel_id: str, *, direction: str) -> None:
        """Mute `in`, `out` or `both`; Asterisk answers 400 without a direction despite the docs."""
        await self._chan("POST", "/mute", channel_id, {"direction": direction})

    async def unmute(self, channel_id: str, *, direction: str) -> None:
        """Unmute a direction."""
        await self._chan("DELETE", "/mute", channel_id, {"direction": direction})

    async def send_dtmf(
        self,
        channel_id: str,
        dtmf: str,
        *,
        before: int | None = None,
        between: int | None = None,
        duration: int | None = None,
        after: int | None = None,
    ) -> None:
        """Send DTMF digits to a channel."""
        query: Query = {
            "dtmf": dtmf,
            "before": before,
            "between": between,
            "duration": duration,
            "after": after,
        }
        await self._chan("POST", "/dtmf", channel_id, query)

    async def get_variable(self, channel_id: str, variable: str) -> str:
        """A channel variable's value."""
        path = {"channelId": channel_id}
        query = {"variable": variable}
        result = await self._call("GET", "/channels/{channelId}/variable", path, query, model=Variable)
        return result.value

    async def set_variable(self, channel_id: str, variable: str, value: str | None) -> None:
        """Set (or with None, unset) a channel variable."""
        await self._chan("POST", "/variable", channel_id, {"variable": variable, "value": value})

    async def continue_in_dialplan(
        self,
        channel_id: str,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        """Leave the app and continue in the dialplan (the fallback when handling fails)."""
        query: Query = {"context": context, "extension": extension, "priority": priority, "label": label}
        await self._chan("POST", "/continue", channel_id, query)

    async def redirect(self, channel_id: str, *, endpoint: str) -> None:
        """Redirect (302 before answer, REFER after)."""
        await self._chan("POST", "/redirect", channel_id, {"endpoint": endpoint})

    async def move(self, channel_id: str, *, app: str, app_args: str | None = None) -> None:
        """Move the channel to another Stasis app."""
        await self._chan("POST", "/move", channel_id, {"app": app, "appArgs": app_args})

    async def snoop(
        self,
        channel_id: str,
        *,
        app: str,
        spy: str | None = None,
        whisper: str | None = None,
        app_args: str | None = None,
        snoop_id: str | None = None,
    ) -> Channel:
        """Create a snoop channel (supervisor listen/whisper) that enters `app`."""
        query: Query = {"spy": spy, "whisper": whisper, "app": app, "appArgs": app_args}
        if snoop_id is not None:
            path = {"channelId": channel_id, "snoopId": snoop_id}
            return await self._call(
                "POST", "/channels/{channelId}/snoop/{snoopId}", path, query, model=Channel
            )
        path = {"channelId": channel_id}
        return await self._call("POST", "/channels/{channelId}/snoop", path, query, model=Channel)

    async def _chan(self, method: str, suffix: str, channel_id: str, query: Query | None = None) -> None:
        await self._call(method, "/channels/{channelId}" + suffix, {"channelId": channel_id}, query)
