"""Prompts: what Asterisk plays for a prompt spec, and business text rendered to speech.

Text is rendered with espeak-ng to 8 kHz mono 16-bit WAV (the only `.wav` Asterisk's media cache
plays), cached under MEDIA_ROOT by a hash of (voice, text), and served by `prompt_view` at a long
URL: Asterisk's media cache fails on short URLs. Without espeak-ng the worker logs it and plays a
built-in sound instead, never silence.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import wave
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest

from ccapp.ivr.messages import Prompt

log = logging.getLogger(__name__)

RENDER_VERSION = "v1"
VOICES = {"zh": "cmn", "en": "en-us"}
SAMPLE_RATE = 8000
CACHE_SECONDS = 7 * 24 * 3600
FALLBACK_SOUND = "sound:one-moment-please"


def prompt_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "prompts" / "tts" / RENDER_VERSION


def prompt_key(text: str, lang: str) -> str:
    """Content hash of a text prompt (voice and text), its cache file name."""
    voice = VOICES.get(lang, VOICES["zh"])
    return hashlib.sha256(f"{RENDER_VERSION}\0{voice}\0{text}".encode()).hexdigest()


def prompt_url(key: str, lang: str) -> str:
    """Public URL of a rendered prompt; deliberately long (see module docstring)."""
    base = getattr(settings, "PROMPT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/media/prompts/tts/{RENDER_VERSION}/{lang}/{key}.wav"


def render_text(text: str, lang: str) -> Path | None:
    """Render text to a cached 8 kHz WAV; None when espeak-ng is missing or fails."""
    key = prompt_key(text, lang)
    target = prompt_dir() / f"{key}.wav"
    if target.exists():
        return target
    espeak = shutil.which(getattr(settings, "ESPEAK_NG", "espeak-ng"))
    if espeak is None:
        log.warning("espeak-ng is not installed: text prompts fall back to %s", FALLBACK_SOUND)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = target.with_suffix(".tmp.wav")
    try:
        subprocess.run(
            [espeak, "-v", VOICES.get(lang, VOICES["zh"]), "-w", str(raw), text],
            check=True,
            capture_output=True,
            timeout=20,
        )
        _resample_to_8k(raw, target)
    except (OSError, subprocess.SubprocessError, wave.Error):
        log.exception("rendering a %s prompt failed; falling back to %s", lang, FALLBACK_SOUND)
        return None
    finally:
        raw.unlink(missing_ok=True)
    return target


def _resample_to_8k(source: Path, target: Path) -> None:
    """espeak-ng writes 22.05 kHz; Asterisk's `.wav` must be 8 kHz mono 16-bit."""
    import audioop  # deprecated in 3.11 but present; no extra dependency for one resample

    with wave.open(str(source), "rb") as src:
        channels, width, rate = src.getnchannels(), src.getsampwidth(), src.getframerate()
        frames = src.readframes(src.getnframes())
    if channels == 2:
        frames = audioop.tomono(frames, width, 0.5, 0.5)
    if width != 2:
        frames = audioop.lin2lin(frames, width, 2)
    frames, _ = audioop.ratecv(frames, 2, 1, rate, SAMPLE_RATE, None)
    partial = target.with_suffix(".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(frames)
    partial.replace(target)


def media_for(prompt: Prompt) -> str:
    """The ARI media URI of one prompt (a text prompt is rendered first, in the calling thread)."""
    if prompt.sound:
        return prompt.sound if ":" in prompt.sound else f"sound:{prompt.sound}"
    if prompt.recording:
        return f"recording:{prompt.recording}"
    if prompt.text:
        lang = prompt.lang if prompt.lang in VOICES else "zh"
        if getattr(settings, "PROMPT_TTS", True) and render_text(prompt.text, lang) is not None:
            return f"sound:{prompt_url(prompt_key(prompt.text, lang), lang)}"
        return FALLBACK_SOUND
    return FALLBACK_SOUND


def prompt_view(request: HttpRequest, version: str, lang: str, key: str) -> FileResponse:
    """Serve a rendered prompt as audio/wav with a long max-age (Asterisk caches it by that)."""
    if version != RENDER_VERSION or lang not in VOICES or len(key) != 64 or not key.isalnum():
        raise Http404("no such prompt")
    path = prompt_dir() / f"{key}.wav"
    if not path.exists():
        raise Http404("no such prompt")
    response = FileResponse(path.open("rb"), content_type="audio/wav")
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
