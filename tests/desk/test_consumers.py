"""The desk and wallboard websockets: who may connect, what each one hears, what it may send."""

from __future__ import annotations

import pytest

from ccapp import realtime, services
from ccapp.models import Agent, AgentState, Call
from ccapp.services import desk as desk_services
from tests.desk.conftest import StasisListener, connect, frames_until_quiet, request, sync

pytestmark = pytest.mark.django_db(transaction=True)


def live_call(agent: Agent, queue, caller: str = "13800138000", channel: str = "chan-1") -> Call:
    """A call answered by `agent` through the real services (as the stasis worker does it)."""
    call = services.start_call(channel_id=channel, caller_raw=caller, dnis="4000")
    services.enqueue_call(call_id=call.pk, queue_id=queue.pk)
    services.claim_agent(call_id=call.pk, agent_ids=[agent.pk])
    services.offer_call(call_id=call.pk, agent_id=agent.pk)
    return services.answer_call(call_id=call.pk, agent_id=agent.pk)


async def test_it_refuses_an_anonymous_socket_with_a_message(floor) -> None:
    ws = await connect("/ws/desk/", None)
    frame = await ws.receive_json_from()
    assert (frame["type"], frame["error_id"]) == ("error", "forbidden")
    assert (await ws.next_output(3))["type"] == "websocket.close"


async def test_it_refuses_the_desk_to_a_user_without_an_agent(floor) -> None:
    ws = await connect("/ws/desk/", floor.nobody)
    assert (await ws.receive_json_from())["error_id"] == "forbidden"


async def test_it_refuses_the_wallboard_to_an_agent(floor) -> None:
    ws = await connect("/ws/wallboard/", floor.alice.user)
    assert (await ws.receive_json_from())["error_id"] == "forbidden"


async def test_it_sends_the_agent_a_snapshot_first(floor) -> None:
    ws = await connect("/ws/desk/", floor.alice.user)
    frame = await ws.receive_json_from()
    assert frame["type"] == "snapshot"
    data = frame["data"]
    assert (data["agent"]["id"], data["agent"]["state"], data["call"]) == (floor.alice.pk, "ready", None)
    assert [q["name"] for q in data["queues"]] == ["Sales", "Support"]
    await ws.disconnect()


async def test_it_pops_the_screen_of_the_answering_agent_only(floor) -> None:
    alice = await connect("/ws/desk/", floor.alice.user)
    bob = await connect("/ws/desk/", floor.bob.user)
    await alice.receive_json_from()
    await bob.receive_json_from()

    call = await sync(live_call)(floor.bob, floor.sales)

    bob_events = [f["event"] for f in await frames_until_quiet(bob)]
    assert "call_answered" in bob_events and "call_offered" in bob_events
    assert await alice.receive_nothing(timeout=0.3)
    snapshot = await request(bob, action="snapshot", id="s")
    assert snapshot["data"]["call"]["call_id"] == call.pk
    assert snapshot["data"]["call"]["caller"] == "+8613800138000"
    await alice.disconnect()
    await bob.disconnect()


async def test_it_rejects_a_forged_command_for_another_agents_call(floor) -> None:
    call = await sync(live_call)(floor.bob, floor.sales)
    stasis = await StasisListener().join()
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()

    reply = await request(alice, action="hold", call_id=call.pk)

    assert (reply["type"], reply["error_id"], reply["field"]) == ("error", "not_your_call", "call_id")
    assert reply["message"]
    assert await stasis.next(timeout=0.3) is None
    await alice.disconnect()


async def test_it_relays_a_command_on_the_agents_own_call_to_the_stasis_worker(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    stasis = await StasisListener().join()
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()

    reply = await request(alice, action="dtmf", call_id=call.pk, digits="12#", id="k1")

    assert reply == {"type": "reply", "id": "k1", "ok": True, "data": {"sent": "dtmf", "call_id": call.pk}}
    command = await stasis.next()
    assert command == {
        "type": realtime.COMMAND_TYPE,
        "command": "dtmf",
        "call_id": call.pk,
        "agent_id": floor.alice.pk,
        "args": {"digits": "12#"},
        "request_id": "k1",
        "reply_to": realtime.agent_group(floor.alice.pk),
    }
    await alice.disconnect()


@pytest.mark.parametrize(
    ("message", "error_id", "field"),
    [
        ("not json object", "bad_message", None),
        ({"action": "launch_missiles"}, "unknown_action", "action"),
        ({"action": "hold"}, "bad_message", "call_id"),
        ({"action": "hold", "call_id": "7"}, "bad_message", "call_id"),
        ({"action": "hold", "call_id": True}, "bad_message", "call_id"),
        ({"action": "hold", "call_id": 7, "agent_id": 2}, "bad_message", "agent_id"),
        ({"action": "dtmf", "call_id": 7, "digits": "12; DROP"}, "bad_message", "digits"),
        (
            {"action": "transfer", "call_id": 7, "kind": "sideways", "target_type": "agent", "target": "2"},
            "bad_message",
            "kind",
        ),
        ({"action": "hold", "call_id": 999999}, "call_not_found", "call_id"),
    ],
)
async def test_it_answers_a_bad_message_with_what_was_wrong(floor, message, error_id, field) -> None:
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()
    await alice.send_json_to(message)
    frame = await alice.receive_json_from()
    assert (frame["type"], frame["error_id"], frame.get("field")) == ("error", error_id, field)
    await alice.disconnect()


async def test_it_refuses_a_transfer_to_an_agent_who_is_offline(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    await sync(desk_services.set_desk_state)(agent_id=floor.bob.pk, state=AgentState.LOGGED_OUT)
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()
    reply = await request(
        alice, action="transfer", call_id=call.pk, kind="blind", target_type="agent", target=str(floor.bob.pk)
    )
    assert (reply["error_id"], reply["field"]) == ("target_unavailable", "target")
    await alice.disconnect()


async def test_it_refuses_a_command_on_a_call_that_just_ended(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    await sync(services.finish_call)(call_id=call.pk)
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()
    reply = await request(alice, action="hangup", call_id=call.pk)
    assert reply["error_id"] in ("call_ended", "not_your_call")
    assert reply["type"] == "error"


async def test_it_needs_a_pause_reason_and_a_required_disposition(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.support)  # support: disposition required, no wrap-up
    await sync(services.finish_call)(call_id=call.pk)
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()

    assert (await request(alice, action="set_state", state="ready"))["error_id"] == "disposition_required"
    no_code = await request(alice, action="wrapup", call_id=call.pk, notes="called about a bill")
    assert no_code["error_id"] == "disposition_required"
    saved = await request(alice, action="wrapup", call_id=call.pk, disposition="solved", notes="ok")
    assert saved["ok"] is True
    assert (await request(alice, action="set_state", state="paused"))["error_id"] == "pause_code_required"
    paused = await request(alice, action="set_state", state="paused", pause_code="lunch")
    assert paused["ok"] is True
    agent = await sync(lambda: Agent.objects.select_related("pause_code").get(pk=floor.alice.pk))()
    assert (agent.state, agent.pause_code.code) == ("paused", "lunch")
    await alice.disconnect()


async def test_it_lets_a_supervisor_watch_and_force_a_state_but_not_an_agent(floor) -> None:
    boss = await connect("/ws/wallboard/", floor.boss)
    snapshot = await boss.receive_json_from()
    assert set(snapshot["data"]["agents"]) == {str(floor.alice.pk), str(floor.bob.pk)}
    reply = await request(
        boss, action="force_state", agent_id=floor.bob.pk, state="paused", pause_code="lunch"
    )
    assert reply["ok"] is True
    event = await boss.receive_json_from()
    assert (event["event"], event["data"]["agent_id"], event["data"]["reason"]) == (
        "agent_state_changed",
        floor.bob.pk,
        "supervisor:boss",
    )
    await boss.disconnect()
