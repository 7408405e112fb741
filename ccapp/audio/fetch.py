"""Copy a finished recording or voicemail from Asterisk into MEDIA_ROOT through the ARI seam.

Asterisk keeps what it records in its own spool (`/var/spool/asterisk/recording`); ARI serves it at
`GET /recordings/stored/{name}/file`. The copy is checked (size as stored, WAV header) before the row
says `stored`, and only then, if `RECORDINGS_DELETE_FROM_ASTERISK` is on, is Asterisk's copy deleted.
"""

from __future__ import annotations

import asyncio
import io
import logging
import struct
import wave
from dataclasses import dataclass

import httpx
from django.conf import settings

from ccapp import services
from ccapp.ari.errors import AriConnectionError, AriError, AriNotFound
from ccapp.ari.rest import AriRest
from ccapp.models import FileState, Recording, Voicemail

log = logging.getLogger(__name__)


class CopyFailed(Exception):
    """One attempt to copy the audio failed; `reason` is a stable slug for the timeline."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Source:
    """What to fetch: Asterisk's name of the recording and its format."""

    name: str
    format: str
    stored: bool


def source_of(kind: str, pk: int) -> Source | None:
    """The Asterisk recording behind a Recording or Voicemail row, or None if the row is gone."""
    if kind == "recording":
        row = Recording.objects.filter(pk=pk).values("name", "format", "file_state").first()
        return row and Source(row["name"], row["format"], row["file_state"] == FileState.STORED)
    vm = Voicemail.objects.filter(pk=pk).values("recording_name", "file_state").first()
    return vm and Source(vm["recording_name"], "wav", vm["file_state"] == FileState.STORED)


def wav_seconds(data: bytes) -> float | None:
    """Duration of a WAV file held in memory, or None when it is not a readable WAV."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError, struct.error, ZeroDivisionError):
        return None


def _ari(timeout: float) -> AriRest:
    return AriRest(settings.ARI_URL, settings.ARI_USERNAME, settings.ARI_PASSWORD, timeout=timeout)


async def download(name: str) -> bytes:
    """The stored recording's bytes; failures become `CopyFailed` with a reason."""
    ari = _ari(settings.RECORDING_FETCH_TIMEOUT)
    try:
        return await ari.get_stored_recording_file(name)
    except AriNotFound as exc:
        raise CopyFailed("not_found", "Asterisk has no stored recording of that name") from exc
    except AriConnectionError as exc:
        timed_out = isinstance(exc.__cause__, TimeoutError | httpx.TimeoutException)
        raise CopyFailed("timeout" if timed_out else "unreachable", str(exc)) from exc
    except AriError as exc:
        raise CopyFailed(f"ari_{exc.status or 'error'}", str(exc)) from exc
    finally:
        await ari.aclose()


async def delete_on_asterisk(name: str) -> None:
    """Delete Asterisk's copy; a failure only costs disk space there, so it is logged."""
    ari = _ari(settings.RECORDING_FETCH_TIMEOUT)
    try:
        await ari.delete_stored_recording(name)
    except AriError as exc:
        log.warning("could not delete %s on Asterisk: %s", name, exc)
    finally:
        await ari.aclose()


def copy_audio(kind: str, pk: int) -> str:
    """Fetch, check and store one recording's or voicemail's audio; raises `CopyFailed`."""
    source = source_of(kind, pk)
    if source is None:
        return "missing"
    if source.stored:
        return "already_stored"
    if not source.name:
        raise CopyFailed("no_name", "the row does not name an Asterisk recording")
    data = asyncio.run(download(source.name))
    duration = wav_seconds(data) if source.format.startswith("wav") else None
    if source.format.startswith("wav") and duration is None:
        raise CopyFailed("invalid_audio", f"{len(data)} bytes that are not a WAV file")
    try:
        services.store_audio(kind=kind, pk=pk, data=data, duration_seconds=duration)
    except (OSError, services.AudioCopyError) as exc:
        raise CopyFailed("storage", str(exc)) from exc
    if settings.RECORDINGS_DELETE_FROM_ASTERISK:
        asyncio.run(delete_on_asterisk(source.name))
    return "stored"
