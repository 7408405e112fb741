"""The simulator imitates what a real Asterisk 22 did, including what the description does not say."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest
from aiohttp import web

from ccapp.ari.simulator.media import wav_bytes


async def test_given_a_prompt_on_an_unbridged_channel_then_add_channel_waits_for_its_end(sim, ari, call):
    sim.playback_engine.media.durations["long-prompt"] = 9.4
    bridge = await ari.create_bridge()
    await ari.play(call.channel_id, "sound:long-prompt")
    await sim.wait_for_event("PlaybackStarted")
    adding = asyncio.create_task(ari.add_channel(bridge.id, call.channel_id))
    answering = asyncio.create_task(ari.answer(call.channel_id))
    await sim.wait_for(
        lambda: len([r for r in sim.requests if r.path.endswith(("/addChannel", "/answer"))]) == 2
    )
    assert not adding.done() and not answering.done()
    await asyncio.gather(adding, answering)
    kinds = [e["type"] for e in sim.emitted()]
    assert kinds.index("PlaybackFinished") < kinds.index("ChannelEnteredBridge")
    assert kinds.index("PlaybackFinished") < kinds.index("ChannelStateChange")


async def test_given_a_bridged_channel_then_answer_does_not_wait_for_the_prompt(sim, ari, call):
    sim.playback_engine.media.durations["long-prompt"] = 1000
    bridge = await ari.create_bridge()
    await ari.add_channel(bridge.id, call.channel_id)
    playback = await ari.play(call.channel_id, "sound:long-prompt")
    await ari.answer(call.channel_id)
    await ari.set_variable(call.channel_id, "X", "1")
    assert (await ari.get_playback(playback.id)).state == "playing"


async def test_a_prompt_url_without_sound_scheme_never_finishes(sim, ari, call):
    playback = await ari.play(call.channel_id, "http://127.0.0.1:8099/prompts/a-long-enough-name.wav")
    await sim.clock.sleep(20)
    assert (await ari.get_playback(playback.id)).state == "playing"


async def test_a_missing_recording_never_finishes(sim, ari, call):
    playback = await ari.play(call.channel_id, "recording:nothing-here")
    await sim.clock.sleep(20)
    assert (await ari.get_playback(playback.id)).state == "playing"


@pytest.fixture
async def prompt_server():
    """A local web server with prompts, as the project serves them to Asterisk's media cache."""
    app = web.Application()
    files = {"/prompts/v1/welcome-three-seconds.wav": wav_bytes(3.0, tone=True)}
    wideband = wav_bytes(1.0, tone=True).replace(b"\x40\x1f\x00\x00", b"\x80\x3e\x00\x00", 1)
    files["/prompts/v1/welcome-sixteen-khz.wav"] = wideband

    async def serve(request: web.Request) -> web.Response:
        if request.path not in files:
            raise web.HTTPNotFound()
        return web.Response(body=files[request.path], content_type="audio/wav")

    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    await runner.cleanup()


async def test_a_local_prompt_url_plays_for_the_length_in_its_wav_header(sim, ari, call, prompt_server):
    url = f"sound:{prompt_server}/prompts/v1/welcome-three-seconds.wav"
    assert await sim.playback_engine.duration(url) == pytest.approx(3.0)
    await ari.play(call.channel_id, url)
    assert (await sim.wait_for_event("PlaybackFinished"))["playback"]["state"] == "done"


@pytest.mark.parametrize("path", ["/prompts/v1/welcome-sixteen-khz.wav", "/prompts/v1/not-there-at-all.wav"])
async def test_a_prompt_url_asterisk_cannot_play_fails(sim, ari, call, prompt_server, path):
    await ari.play(call.channel_id, f"sound:{prompt_server}{path}")
    assert (await sim.wait_for_event("PlaybackFinished"))["playback"]["state"] == "failed"


async def test_a_caller_cancel_before_answer_has_cause_127(sim, ari, call):
    await sim.hangup(call, how="cancel")
    request = await sim.wait_for_event("ChannelHangupRequest")
    assert (request["cause"], request["tech_cause"]) == (127, 487)


async def test_the_agent_stays_alone_in_the_bridge_when_the_caller_hangs_up(sim, ari, call):
    bridge = await ari.create_bridge()
    agent = await ari.originate("PJSIP/1001", app="ccapp", app_args="agent")
    await sim.wait_for_event("StasisStart", lambda e: e["channel"]["id"] == agent.id)
    await ari.add_channel(bridge.id, [call.channel_id, agent.id])
    await sim.hangup(call)
    await sim.wait_for_event("StasisEnd")
    assert (await ari.get_bridge(bridge.id)).channels == [agent.id]
    assert (await ari.get_channel(agent.id)).state == "Up"


def _auth(sim) -> dict[str, str]:
    token = base64.b64encode(f"{sim.username}:{sim.password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def test_plain_http_answers_as_asterisk_would(sim, ari, call):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sim.url}/ari/channels", headers=_auth(sim)) as response:
            assert response.status == 200
            assert [c["id"] for c in await response.json()] == [call.channel_id]
        async with http.get(f"{sim.url}/ari/channels") as response:
            assert response.status == 401
            assert "WWW-Authenticate" in response.headers
        async with http.get(
            f"{sim.url}/ari/channels/{call.channel_id}/teleport", headers=_auth(sim)
        ) as response:
            assert (response.status, await response.json()) == (404, {"message": "Resource not found"})
        async with http.get(f"{sim.url}/ari/channels?api_key={sim.username}:{sim.password}") as response:
            assert response.status == 200


async def test_the_http_control_api_drives_calls_and_agents(sim, ari):
    async with aiohttp.ClientSession(headers=_auth(sim)) as http:
        async with http.put(f"{sim.url}/_sim/agents/PJSIP%2F1005", json={"behaviour": "busy"}) as response:
            assert (await response.json())["behaviour"] == "busy"
        async with http.post(f"{sim.url}/_sim/calls", json={"dnis": "4000", "caller": "+8613800138000"}) as r:
            assert r.status == 201
            channel_id = (await r.json())["channel_id"]
        async with http.post(f"{sim.url}/_sim/calls/{channel_id}/dtmf", json={"digits": "1"}) as response:
            assert response.status == 204
        async with http.post(f"{sim.url}/_sim/calls/{channel_id}/hangup", json={}) as response:
            assert response.status == 204
        async with http.get(f"{sim.url}/_sim/status") as response:
            status = await response.json()
    assert sim.calls.agents["PJSIP/1005"].behaviour == "busy"
    assert [e["type"] for e in sim.emitted()][-3:] == [
        "ChannelDtmfReceived",
        "ChannelHangupRequest",
        "StasisEnd",
    ]
    assert (status["channels"], status["apps_connected"]) == (0, ["ccapp"])


async def test_the_time_factor_scales_simulated_time(sim):
    before = sim.clock.now()
    await sim.clock.sleep(5.0)
    assert sim.clock.now() - before >= 4.9  # asyncio may fire a timer a clock tick early
    assert sim.clock.time_factor == 50


async def test_hold_from_the_app_sends_no_event_but_the_phone_holding_does(sim, ari, call):
    await ari.hold(call.channel_id)
    await ari.unhold(call.channel_id)
    assert not sim.emitted("ChannelHold")
    sim.phone_hold(call)
    sim.phone_hold(call, held=False)
    assert [e["type"] for e in sim.emitted()][-2:] == ["ChannelHold", "ChannelUnhold"]
    assert sim.emitted("ChannelHold")[0]["musicclass"] == "default"
