"""Bridges, endpoints, device states and applications against the simulator."""

from __future__ import annotations

import pytest

from ccapp.ari.errors import AriBadRequest, AriConflict, AriNotFound, AriServerError, AriUnprocessable


async def test_it_creates_gets_lists_and_destroys_bridges(sim, ari):
    bridge = await ari.create_bridge(type="holding", bridge_id="queue+sales", name="queue-sales")
    assert (bridge.id, bridge.bridge_type, bridge.technology) == ("queue+sales", "holding", "holding_bridge")
    assert (await ari.get_bridge("queue+sales")).name == "queue-sales"
    mixing = await ari.create_bridge()
    assert mixing.bridge_type == "mixing"
    assert {b.id for b in await ari.list_bridges()} == {"queue+sales", mixing.id}
    with pytest.raises(AriConflict, match="already exists"):
        await ari.create_bridge(bridge_id="queue+sales")
    with pytest.raises(AriServerError, match="Unable to create bridge"):
        await ari.create_bridge(type="teleporter")
    await ari.destroy_bridge("queue+sales")
    with pytest.raises(AriNotFound, match="Bridge not found"):
        await ari.get_bridge("queue+sales")
    assert not sim.emitted("BridgeDestroyed")  # never used: the app was not subscribed


async def test_add_and_remove_channels_with_asterisks_errors(sim, ari, call):
    bridge = await ari.create_bridge(type="mixing")
    with pytest.raises(AriBadRequest, match="Channel not found"):
        await ari.add_channel(bridge.id, "missing")
    with pytest.raises(AriNotFound, match="Bridge not found"):
        await ari.add_channel("missing", call.channel_id)
    await ari.add_channel(bridge.id, call.channel_id, role="caller", absorb_dtmf=False, mute=False)
    entered = await sim.wait_for_event("ChannelEnteredBridge")
    assert entered["bridge"]["channels"] == [call.channel_id]
    other = await ari.create_bridge(type="holding")
    with pytest.raises(AriUnprocessable, match="Channel not in this bridge"):
        await ari.remove_channel(other.id, call.channel_id)
    await ari.remove_channel(bridge.id, call.channel_id)
    await sim.wait_for_event("ChannelLeftBridge")
    await ari.destroy_bridge(bridge.id)
    assert not sim.emitted("BridgeDestroyed")  # emptied by removeChannel: no event


async def test_add_channel_moves_a_caller_from_holding_to_mixing_without_leaving_stasis(sim, ari, call):
    hold = await ari.create_bridge(type="holding")
    talk = await ari.create_bridge(type="mixing")
    await ari.add_channel(hold.id, call.channel_id)
    await ari.add_channel(talk.id, call.channel_id)
    await sim.wait_for_event("ChannelEnteredBridge", lambda e: e["bridge"]["id"] == talk.id)
    kinds = [e["type"] for e in sim.emitted()][1:]
    assert kinds == ["ChannelEnteredBridge", "ChannelLeftBridge", "ChannelEnteredBridge"]


async def test_bridges_outlive_their_channels_and_send_bridge_destroyed_after_hangups(sim, ari, call):
    bridge = await ari.create_bridge(type="mixing")
    await ari.add_channel(bridge.id, call.channel_id)
    await sim.hangup(call)
    await sim.wait_for_event("StasisEnd")
    assert (await ari.get_bridge(bridge.id)).channels == []
    await ari.destroy_bridge(bridge.id)
    assert (await sim.wait_for_event("BridgeDestroyed"))["bridge"]["id"] == bridge.id


async def test_bridge_music_twice_stopped_is_409_and_blocks_bridge_play(sim, ari, call):
    bridge = await ari.create_bridge(type="holding")
    await ari.add_channel(bridge.id, call.channel_id)
    await ari.start_bridge_moh(bridge.id, moh_class="default")
    failed = await ari.play_bridge(bridge.id, "sound:queue-position")
    finished = await sim.wait_for_event("PlaybackFinished", lambda e: e["playback"]["id"] == failed.id)
    assert finished["playback"]["state"] == "failed"
    await ari.stop_bridge_moh(bridge.id)
    with pytest.raises(AriConflict, match="Bridge isn't playing music"):
        await ari.stop_bridge_moh(bridge.id)
    played = await ari.play_bridge(bridge.id, "sound:hello", playback_id="bp-1", lang="en")
    assert (played.id, played.target_uri) == ("bp-1", f"bridge:{bridge.id}")
    assert (await sim.wait_for_event("PlaybackFinished", lambda e: e["playback"]["id"] == "bp-1"))[
        "playback"
    ]["state"] == "done"


async def test_bridge_recording_records_the_conversation(sim, ari, call):
    bridge = await ari.create_bridge()
    await ari.add_channel(bridge.id, call.channel_id)
    live = await ari.record_bridge(bridge.id, name="call-1", format="wav", max_duration_seconds=2)
    assert live.target_uri == f"bridge:{bridge.id}"
    assert (await sim.wait_for_event("RecordingFinished"))["recording"]["duration"] == 2
    assert [r.name for r in await ari.list_stored_recordings()] == ["call-1"]


async def test_endpoints_list_and_get(sim, ari):
    sim.agent("PJSIP/2001").unreachable()
    endpoints = {(e.technology, e.resource): e for e in await ari.list_endpoints()}
    assert endpoints[("PJSIP", "1001")].state == "online"
    assert endpoints[("PJSIP", "2001")].state == "offline"
    assert len(await ari.list_endpoints("PJSIP")) == len(endpoints)
    assert (await ari.get_endpoint("PJSIP", "1001")).resource == "1001"
    with pytest.raises(AriNotFound):
        await ari.get_endpoint("PJSIP", "9999")
    with pytest.raises(AriNotFound):
        await ari.list_endpoints("SIP")


async def test_device_states_for_stasis_devices(sim, ari):
    await ari.update_device_state("Stasis:agent-7", "INUSE")
    assert (await ari.get_device_state("Stasis:agent-7")).state == "INUSE"
    assert [d.name for d in await ari.list_device_states()] == ["Stasis:agent-7"]
    with pytest.raises(AriConflict, match="Uncontrolled device"):
        await ari.update_device_state("PJSIP/1001", "INUSE")
    await ari.delete_device_state("Stasis:agent-7")
    assert (await ari.get_device_state("Stasis:agent-7")).state == "UNKNOWN"


async def test_applications_get_list_subscribe(sim, ari, call):
    app = await ari.get_application("ccapp")
    assert app.channel_ids == [call.channel_id]
    assert [a.name for a in await ari.list_applications()] == ["ccapp"]
    bridge = await ari.create_bridge()
    subscribed = await ari.subscribe("ccapp", [f"bridge:{bridge.id}", f"channel:{call.channel_id}"])
    assert subscribed.bridge_ids == [bridge.id]
    unsubscribed = await ari.unsubscribe("ccapp", f"bridge:{bridge.id}")
    assert unsubscribed.bridge_ids == []
    with pytest.raises(AriNotFound):
        await ari.get_application("other")
    with pytest.raises(AriBadRequest):
        await ari.subscribe("ccapp", "planet:mars")
    with pytest.raises(AriUnprocessable):
        await ari.subscribe("ccapp", "bridge:missing")
