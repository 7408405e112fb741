"""Business text prompts: espeak-ng to 8 kHz WAV cached by content hash, long URLs, fallback."""

from __future__ import annotations

import shutil
import wave

import pytest
from django.test import RequestFactory

from ccapp import prompts
from ccapp.ivr.messages import Prompt

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PROMPT_BASE_URL = "http://127.0.0.1:8000"
    return tmp_path


@needs_espeak
def test_it_renders_text_to_8khz_mono_16bit_wav_once(media) -> None:
    path = prompts.render_text("您好，欢迎致电", "zh")
    assert path is not None and path.parent == prompts.prompt_dir()
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() > 8000 * 0.3
    stamp = path.stat().st_mtime_ns
    assert prompts.render_text("您好，欢迎致电", "zh") == path
    assert path.stat().st_mtime_ns == stamp


@needs_espeak
def test_it_gives_asterisk_a_long_url_per_content(media) -> None:
    uri = prompts.media_for(Prompt(text="Welcome", lang="en"))
    other = prompts.media_for(Prompt(text="Welcome!", lang="en"))
    assert uri.startswith("sound:http://127.0.0.1:8000/media/prompts/tts/v1/en/") and uri.endswith(".wav")
    assert len(uri.removeprefix("sound:")) > 60  # Asterisk's media cache fails on short URLs
    assert uri != other


def test_it_falls_back_to_a_built_in_sound_without_espeak(media, settings, caplog) -> None:
    settings.ESPEAK_NG = "espeak-ng-not-installed"
    assert prompts.media_for(Prompt(text="Welcome", lang="en")) == prompts.FALLBACK_SOUND
    assert "espeak-ng is not installed" in caplog.text


def test_it_maps_sounds_and_recordings() -> None:
    assert prompts.media_for(Prompt(sound="hello-world")) == "sound:hello-world"
    assert prompts.media_for(Prompt(recording="greeting")) == "recording:greeting"


@needs_espeak
def test_it_serves_a_rendered_prompt_as_cacheable_wav(media) -> None:
    key = prompts.prompt_key("Welcome", "en")
    prompts.render_text("Welcome", "en")
    response = prompts.prompt_view(RequestFactory().get("/"), "v1", "en", key)
    assert response["Content-Type"] == "audio/wav"
    assert "max-age" in response["Cache-Control"]
    with pytest.raises(prompts.Http404):
        prompts.prompt_view(RequestFactory().get("/"), "v1", "en", "0" * 64)
