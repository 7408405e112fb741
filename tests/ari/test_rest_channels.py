"""Each channel operation of the client against the simulator: answers, errors and events as Asterisk's."""

from __future__ import annotations

import pytest

from ccapp.ari.errors import (
    AriBadRequest,
    AriConflict,
    AriError,
    AriNotFound,
    AriServerError,
    AriUnprocessable,
)


def types_for(sim, channel_id):
    """Event types the simulator emitted about one channel, in order."""
    out = []
    for event in sim.emitted():
        channel = event.get("channel") or event.get("peer") or {}
        if channel.get("id") == channel_id:
            out.append(event["type"])
    return out


async def test_it_lists_and_gets_channels(sim, ari, call):
    assert [c.id for c in await ari.list_channels()] == [call.channel_id]
    channel = await ari.get_channel(call.channel_id)
    assert (channel.state, channel.caller.number, channel.dialplan.exten) == (
        "Ring",
        "+8613800138000",
        "4000",
    )
    with pytest.raises(AriNotFound) as error:
        await ari.get_channel("nope")
    assert (error.value.status, error.value.message) == (404, "Channel not found")


async def test_given_an_inbound_call_when_answered_then_its_state_changes_to_up(sim, ari, call):
    await ari.answer(call.channel_id)
    event = await sim.wait_for_event("ChannelStateChange")
    assert event["channel"]["state"] == "Up"
    start = sim.emitted("StasisStart")[0]
    assert start["args"] == ["inbound", "4000"]


async def test_given_an_inbound_call_when_the_app_hangs_up_then_it_ends_with_stasis_end_only(sim, ari, call):
    await ari.hangup(call.channel_id, reason="normal")
    await sim.wait_for_event("StasisEnd")
    assert types_for(sim, call.channel_id) == ["StasisStart", "ChannelHangupRequest", "StasisEnd"]
    with pytest.raises(AriNotFound):
        await ari.hangup(call.channel_id)


async def test_it_rejects_an_invalid_hangup_reason(sim, ari, call):
    with pytest.raises(AriBadRequest, match="Invalid reason"):
        await ari.hangup(call.channel_id, reason="because")


async def test_given_the_caller_hangs_up_then_no_cause_field_and_no_channel_destroyed(sim, ari, call):
    await sim.hangup(call)
    request = await sim.wait_for_event("ChannelHangupRequest")
    assert "cause" not in request
    assert types_for(sim, call.channel_id) == ["StasisStart", "ChannelHangupRequest", "StasisEnd"]


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("ring", {}),
        ("ring_stop", {}),
        ("progress", {}),
        ("hold", {}),
        ("unhold", {}),
        ("start_moh", {"moh_class": "default"}),
        ("stop_moh", {}),
        ("start_silence", {}),
        ("stop_silence", {}),
        ("mute", {"direction": "in"}),
        ("unmute", {"direction": "both"}),
        ("send_dtmf", {"dtmf": "123", "between": 100}),
    ],
)
async def test_simple_channel_commands_answer_204_and_404_for_a_missing_channel(
    sim, ari, call, method, kwargs
):
    args = ("123",) if method == "send_dtmf" else ()
    kwargs = {k: v for k, v in kwargs.items() if k != "dtmf"}
    assert await getattr(ari, method)(call.channel_id, *args, **kwargs) is None
    with pytest.raises(AriNotFound):
        await getattr(ari, method)("missing", *args, **kwargs)
    assert sim.requests[-2].status == 204


async def test_mute_without_direction_is_400_as_on_asterisk_22(sim, ari, call):
    with pytest.raises(AriBadRequest, match="Direction is required"):
        await ari._chan("POST", "/mute", call.channel_id)


async def test_it_sets_and_gets_channel_variables(sim, ari, call):
    await ari.set_variable(call.channel_id, "CCAPP_CALL", "42")
    assert await ari.get_variable(call.channel_id, "CCAPP_CALL") == "42"
    varset = await sim.wait_for_event("ChannelVarset")
    assert (varset["variable"], varset["value"]) == ("CCAPP_CALL", "42")
    with pytest.raises(AriNotFound, match="variable"):
        await ari.get_variable(call.channel_id, "UNSET")


async def test_continue_in_dialplan_ends_stasis(sim, ari, call):
    await ari.continue_in_dialplan(call.channel_id, context="fallback", extension="s", priority=1)
    await sim.wait_for_event("StasisEnd")
    assert sim.continued[-1][1]["context"] == "fallback"


async def test_redirect_checks_the_technology(sim, ari, call):
    with pytest.raises(AriUnprocessable, match="does not match channel technology"):
        await ari.redirect(call.channel_id, endpoint="FOO/bar")
    await ari.redirect(call.channel_id, endpoint="PJSIP/2000")
    await sim.wait_for_event("StasisEnd")


async def test_move_to_an_unregistered_app_is_204_then_application_move_failed(sim, ari, call):
    await ari.move(call.channel_id, app="elsewhere", app_args="a,b")
    failed = await sim.wait_for_event("ApplicationMoveFailed")
    assert (failed["destination"], failed["args"]) == ("elsewhere", ["a", "b"])


async def test_originate_answers_200_down_and_stasis_start_comes_on_answer(sim, ari):
    sim.agent("PJSIP/1001").answer_after(1.0)
    leg = await ari.originate(
        "PJSIP/1001",
        app="ccapp",
        app_args="agent,7",
        caller_id='"Queue" <100>',
        timeout=20,
        channel_id="leg+1",
    )
    assert (leg.id, leg.state, leg.caller.name) == ("leg+1", "Down", "Queue")
    start = await sim.wait_for_event("StasisStart", lambda e: e["channel"]["id"] == "leg+1")
    assert start["args"] == ["agent", "7"]
    dials = [e["dialstatus"] for e in sim.emitted("Dial")]
    assert dials == ["", "RINGING", "ANSWER"]
    with pytest.raises(AriConflict):
        await ari.originate("PJSIP/1001", app="ccapp", channel_id="leg+1")
    await ari.hangup("leg+1")
    destroyed = await sim.wait_for_event("ChannelDestroyed")
    assert destroyed["cause"] == 16


async def test_originate_to_an_endpoint_that_is_not_configured_is_500_with_key_error(sim, ari):
    with pytest.raises(AriServerError) as error:
        await ari.originate("PJSIP/9999", app="ccapp")
    assert error.value.message == "Allocation failed"
    assert isinstance(error.value, AriError)


async def test_originate_needs_an_app_or_extension(sim, ari):
    with pytest.raises(AriBadRequest, match="Application or extension"):
        await ari.originate("PJSIP/1001")


@pytest.mark.parametrize(
    ("behaviour", "dials", "cause", "hangup_request"),
    [
        ("ring_out", ["", "RINGING"], 19, False),
        ("busy", ["", "RINGING", "BUSY"], 17, True),
        ("unreachable", ["", "NOANSWER"], 19, False),
        ("decline", ["", "RINGING", "NOANSWER"], 21, False),
    ],
)
async def test_given_an_agent_phone_that_does_not_answer_then_events_match_asterisk(
    sim, ari, behaviour, dials, cause, hangup_request
):
    getattr(sim.agent("PJSIP/1002"), behaviour)()
    leg = await ari.originate("PJSIP/1002", app="ccapp", timeout=2)
    destroyed = await sim.wait_for_event("ChannelDestroyed")
    assert destroyed["cause"] == cause
    assert [e["dialstatus"] for e in sim.emitted("Dial")] == dials
    assert bool(sim.emitted("ChannelHangupRequest")) is hangup_request
    assert not sim.emitted("StasisStart")
    with pytest.raises(AriNotFound):
        await ari.get_channel(leg.id)


async def test_deleting_a_ringing_leg_gives_dial_noanswer_and_cause_16(sim, ari):
    sim.agent("PJSIP/1003").ring_out()
    leg = await ari.originate("PJSIP/1003", app="ccapp", timeout=30)
    await sim.wait_for_event("Dial", lambda e: e["dialstatus"] == "RINGING")
    await ari.hangup(leg.id)
    destroyed = await sim.wait_for_event("ChannelDestroyed")
    assert destroyed["cause"] == 16
    assert sim.emitted("Dial")[-1]["dialstatus"] == "NOANSWER"


async def test_create_then_dial_enters_the_app_at_once_and_answers_later(sim, ari):
    channel = await ari.create_channel("PJSIP/1004", app="ccapp", app_args="agent", variables={"A": "1"})
    await sim.wait_for_event("StasisStart", lambda e: e["channel"]["id"] == channel.id)
    await ari.dial(channel.id, timeout=10)
    change = await sim.wait_for_event("ChannelStateChange")
    assert change["channel"]["state"] == "Up"


async def test_snoop_creates_a_channel_that_enters_the_app(sim, ari, call):
    with pytest.raises(AriBadRequest, match="Application name is required"):
        await ari._call(
            "POST", "/channels/{channelId}/snoop", {"channelId": call.channel_id}, {"spy": "both"}
        )
    snoop = await ari.snoop(call.channel_id, app="ccapp", spy="both", app_args="listen", snoop_id="snoop-1")
    assert snoop.id == "snoop-1"
    start = await sim.wait_for_event("StasisStart", lambda e: e["channel"]["id"] == "snoop-1")
    assert start["args"] == ["listen"]
    with pytest.raises(AriNotFound, match="Provided channel was not found"):
        await ari.snoop("missing", app="ccapp", spy="in")
    with pytest.raises(AriBadRequest):
        await ari.snoop(call.channel_id, app="ccapp")
    await sim.hangup(call)
    destroyed = await sim.wait_for_event("ChannelDestroyed")
    assert destroyed["channel"]["id"] == "snoop-1"
