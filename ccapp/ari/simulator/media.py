"""Media for the simulator: how long a prompt plays, and real WAV files for recordings."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path
from urllib.parse import urlsplit

RATE = 8000  # Asterisk's .wav: 8 kHz, mono, 16-bit
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
NEVER = math.inf  # a playback that never finishes (tone:, unknown scheme, missing recording)


def wav_bytes(seconds: float, *, tone: bool) -> bytes:
    """An 8 kHz mono 16-bit WAV of `seconds`: a 440 Hz tone (someone talking) or silence."""
    frames = round(seconds * RATE)
    if tone:
        step = 2 * math.pi * 440 / RATE
        # one period of samples repeated keeps long recordings cheap to build
        period = [int(8000 * math.sin(step * i)) for i in range(RATE // 440 * 40)]
        samples = (period * (frames // len(period) + 1))[:frames]
        data = struct.pack(f"<{frames}h", *samples)
    else:
        data = b"\x00\x00" * frames
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(data)
    return buffer.getvalue()


def wav_info(data: bytes) -> tuple[float, bool] | None:
    """(duration in seconds, playable by Asterisk as .wav) from a WAV file's header; None if not WAV."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
            playable = rate == RATE and wav.getnchannels() == 1 and wav.getsampwidth() == 2
            return frames / rate, playable
    except (wave.Error, EOFError, struct.error):
        return None


def wav_file_duration(path: Path) -> float | None:
    """Duration of a WAV file on disk, or None."""
    try:
        info = wav_info(path.read_bytes())
    except OSError:
        return None
    return info[0] if info else None


def spoken_length(kind: str, text: str) -> float:
    """`digits:`, `number:`, `characters:` are spoken prompts: about half a second per character."""
    return max(0.5, 0.5 * len(text)) if kind in ("digits", "characters") else 0.5 * max(1, len(text))


def is_local_url(url: str) -> bool:
    """True when the URL points at this machine (its WAV header can be read)."""
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS
