"""Playbacks and recordings against the simulator, with Asterisk's measured quirks."""

from __future__ import annotations

import io
import wave

import pytest

from ccapp.ari.errors import AriBadRequest, AriConflict, AriNotFound, AriServerError, AriUnprocessable


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        return wav.getnframes() / wav.getframerate()


async def test_play_answers_queued_then_started_and_finished(sim, ari, call):
    playback = await ari.play(call.channel_id, "sound:hello-world", playback_id="pb+1")
    assert (playback.id, playback.state, playback.target_uri) == (
        "pb+1",
        "queued",
        f"channel:{call.channel_id}",
    )
    finished = await sim.wait_for_event("PlaybackFinished")
    assert finished["playback"]["state"] == "done"
    assert [e["type"] for e in sim.emitted() if "playback" in e] == ["PlaybackStarted", "PlaybackFinished"]
    with pytest.raises(AriNotFound, match="Playback not found"):
        await ari.get_playback("pb+1")


async def test_a_playlist_sends_playback_continuing_between_items(sim, ari, call):
    await ari.play(call.channel_id, ["sound:hello-world", "digits:8"])
    await sim.wait_for_event("PlaybackFinished")
    continuing = sim.emitted("PlaybackContinuing")[0]["playback"]
    assert (continuing["media_uri"], continuing["next_media_uri"]) == ("sound:hello-world", "digits:8")


async def test_playbacks_on_one_channel_queue_behind_each_other(sim, ari, call):
    first = await ari.play(call.channel_id, "sound:one")
    second = await ari.play(call.channel_id, "sound:two")
    assert (await ari.get_playback(second.id)).state == "queued"
    await sim.wait_for_event("PlaybackFinished", lambda e: e["playback"]["id"] == second.id)
    order = [(e["type"], e["playback"]["id"]) for e in sim.emitted() if "playback" in e]
    assert order == [
        ("PlaybackStarted", first.id),
        ("PlaybackFinished", first.id),
        ("PlaybackStarted", second.id),
        ("PlaybackFinished", second.id),
    ]


async def test_stopping_a_playing_prompt_finishes_it_done_and_a_second_stop_is_404(sim, ari, call):
    playback = await ari.play(call.channel_id, "sound:long")
    sim.playback_engine.media.durations["long"] = 1000
    await sim.wait_for_event("PlaybackStarted")
    await ari.stop_playback(playback.id)
    assert (await sim.wait_for_event("PlaybackFinished"))["playback"]["state"] == "done"
    with pytest.raises(AriNotFound):
        await ari.stop_playback(playback.id)


async def test_a_tone_never_finishes_and_later_playbacks_stay_queued(sim, ari, call):
    tone = await ari.play(call.channel_id, "tone:ring")
    later = await ari.play(call.channel_id, "sound:after-tone")
    await sim.clock.sleep(30)
    assert (await ari.get_playback(tone.id)).state == "playing"
    assert (await ari.get_playback(later.id)).state == "queued"
    assert not sim.emitted("PlaybackFinished")


async def test_playback_control_pause_sends_nothing_and_unpause_a_second_started(sim, ari, call):
    sim.playback_engine.media.durations["menu"] = 1000
    playback = await ari.play(call.channel_id, "sound:menu")
    await sim.wait_for_event("PlaybackStarted")
    await ari.control_playback(playback.id, "pause")
    await ari.control_playback(playback.id, "unpause")
    await ari.control_playback(playback.id, "restart")
    with pytest.raises(AriBadRequest, match="Invalid operation bogus"):
        await ari.control_playback(playback.id, "bogus")
    assert len(sim.emitted("PlaybackStarted")) == 2


async def test_a_caller_hanging_up_fails_the_current_and_queued_playbacks(sim, ari, call):
    sim.playback_engine.media.durations["menu"] = 1000
    await ari.play(call.channel_id, "sound:menu")
    await ari.play(call.channel_id, "sound:queued")
    await sim.wait_for_event("PlaybackStarted")
    await sim.hangup(call)
    kinds = [e["type"] for e in sim.emitted()][1:]
    assert kinds == [
        "PlaybackStarted",
        "ChannelHangupRequest",
        "PlaybackFinished",
        "PlaybackStarted",
        "PlaybackFinished",
        "StasisEnd",
    ]
    assert {e["playback"]["state"] for e in sim.emitted("PlaybackFinished")} == {"failed"}


async def test_missing_media_is_500_and_negative_offset_400(sim, ari, call):
    with pytest.raises(AriServerError):
        await ari._call("POST", "/channels/{channelId}/play", {"channelId": call.channel_id})
    with pytest.raises(AriBadRequest, match="offsetms cannot be negative"):
        await ari.play(call.channel_id, "sound:x", offsetms=-1)


async def test_a_short_prompt_url_fails_as_asterisks_media_cache_does(sim, ari, call):
    await ari.play(call.channel_id, "sound:http://127.0.0.1:1/a.wav")
    assert (await sim.wait_for_event("PlaybackFinished"))["playback"]["state"] == "failed"


async def test_a_local_prompt_url_plays_for_the_length_in_its_wav_header(sim, ari, call):
    await ari.record(call.channel_id, name="prompts/welcome", format="wav", max_duration_seconds=3)
    await sim.wait_for_event("RecordingFinished")
    await ari.play(call.channel_id, "recording:prompts/welcome")
    await sim.wait_for_event("PlaybackFinished")
    assert await sim.playback_engine.duration("recording:prompts/welcome") == pytest.approx(3.0)


async def test_recording_a_channel_writes_a_wav_of_the_right_length(sim, ari, call):
    live = await ari.record(call.channel_id, name="vm-1", format="wav", max_duration_seconds=2, beep=True)
    assert (live.name, live.format) == ("vm-1", "wav")
    finished = await sim.wait_for_event("RecordingFinished")
    assert (finished["recording"]["duration"], finished["recording"]["state"]) == (2, "done")
    data = await ari.get_stored_recording_file("vm-1")
    assert wav_seconds(data) == 2.0
    assert max(data[44:]) > 0  # a talking caller: not silence
    assert (await ari.get_stored_recording("vm-1")).format == "wav"
    assert [r.name for r in await ari.list_stored_recordings()] == ["vm-1"]


async def test_a_silent_caller_ends_a_recording_by_max_silence_with_silence_trimmed(sim, ari, call):
    sim.set_silent(call)  # silent from the start: the whole recording is trailing silence
    await ari.record(
        call.channel_id, name="vm-2", format="wav", max_silence_seconds=2, max_duration_seconds=60
    )
    finished = await sim.wait_for_event("RecordingFinished")
    assert (finished["recording"]["duration"], finished["recording"]["silence_duration"]) == (0, 0)
    assert wav_seconds(await ari.get_stored_recording_file("vm-2")) == 0.0


async def test_hash_ends_a_recording_with_terminate_on(sim, ari, call):
    await ari.record(call.channel_id, name="vm-3", format="wav", terminate_on="#", max_duration_seconds=60)
    await sim.clock.sleep(3)
    await sim.press(call, "#")
    finished = await sim.wait_for_event("RecordingFinished")
    assert finished["recording"]["duration"] >= 3


async def test_an_existing_name_is_409_unless_overwrite(sim, ari, call):
    await ari.record(call.channel_id, name="vm-4", format="wav")
    await ari.stop_recording("vm-4")
    with pytest.raises(AriConflict, match="already exists"):
        await ari.record(call.channel_id, name="vm-4", format="wav")
    await ari.record(call.channel_id, name="vm-4", format="wav", if_exists="overwrite")
    with pytest.raises(AriUnprocessable):
        await ari.record(call.channel_id, name="vm-5", format="mp3")


async def test_live_recording_controls_and_cancel_deletes_the_file(sim, ari, call):
    await ari.record(call.channel_id, name="vm-6", format="wav")
    await sim.wait_for_event("RecordingStarted")
    await ari.pause_recording("vm-6")
    assert (await ari.get_live_recording("vm-6")).state == "paused"
    await ari.unpause_recording("vm-6")
    await ari.mute_recording("vm-6")
    await ari.unmute_recording("vm-6")
    await ari.cancel_recording("vm-6")
    assert (await sim.wait_for_event("RecordingFinished"))["recording"]["state"] == "done"
    with pytest.raises(AriNotFound):
        await ari.get_stored_recording("vm-6")
    with pytest.raises(AriNotFound, match="Recording not found"):
        await ari.stop_recording("vm-6")


async def test_the_caller_hanging_up_keeps_the_recording(sim, ari, call):
    await ari.record(call.channel_id, name="vm-7", format="wav")
    await sim.clock.sleep(2)
    await sim.hangup(call)
    assert (await sim.wait_for_event("RecordingFinished"))["recording"]["duration"] >= 1
    assert wav_seconds(await ari.get_stored_recording_file("vm-7")) >= 1


async def test_stored_recordings_copy_and_delete(sim, ari, call):
    await ari.record(call.channel_id, name="vm-8", format="wav", max_duration_seconds=1)
    await sim.wait_for_event("RecordingFinished")
    copy = await ari.copy_stored_recording("vm-8", destination="archive/vm-8")
    assert copy.name == "archive/vm-8"
    with pytest.raises(AriConflict):
        await ari.copy_stored_recording("vm-8", destination="archive/vm-8")
    await ari.delete_stored_recording("vm-8")
    with pytest.raises(AriNotFound):
        await ari.delete_stored_recording("vm-8")
    assert [r.name for r in await ari.list_stored_recordings()] == ["archive/vm-8"]


async def test_the_file_of_an_unknown_or_lost_recording_is_404(sim, ari, call):
    with pytest.raises(AriNotFound, match="Recording not found"):
        await ari.get_stored_recording_file("never-recorded")
    await ari.record(call.channel_id, name="vm-9", format="wav", max_duration_seconds=1)
    await sim.wait_for_event("RecordingFinished")
    assert wav_seconds(await ari.get_stored_recording_file("vm-9")) == 1.0
    sim.lose_recording("vm-9")
    with pytest.raises(AriNotFound, match="Recording not found"):
        await ari.get_stored_recording_file("vm-9")
    assert not list(sim.world.recordings_dir.glob("vm-9.*"))


async def test_recording_names_with_folders_work_in_paths(sim, ari, call):
    await ari.record(call.channel_id, name="voicemail/1001/msg+1", format="wav", max_duration_seconds=1)
    await sim.wait_for_event("RecordingFinished")
    assert (await ari.get_stored_recording("voicemail/1001/msg+1")).name == "voicemail/1001/msg+1"
    assert wav_seconds(await ari.get_stored_recording_file("voicemail/1001/msg+1")) == 1.0
    await ari.delete_stored_recording("voicemail/1001/msg+1")
    assert await ari.list_stored_recordings() == []
    with pytest.raises(AriBadRequest):
        await ari.record(call.channel_id, name="../../escape", format="wav")
