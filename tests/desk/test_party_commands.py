"""Desk messages for attended transfer, conference and pickup: checked before they reach the worker."""

from __future__ import annotations

import pytest

from ccapp import selectors_live, services
from ccapp.models import AgentState
from ccapp.services import desk as desk_services
from ccapp.services import transfers
from tests.desk.conftest import StasisListener, connect, frames_until_quiet, request, sync
from tests.desk.test_consumers import live_call
from tests.desk.test_snapshot_events import differences, in_plain_thread

pytestmark = pytest.mark.django_db(transaction=True)


async def desk_of(agent):
    ws = await connect("/ws/desk/", agent.user)
    await ws.receive_json_from()
    return ws


async def test_it_relays_an_attended_transfer_with_the_target_checked(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    stasis = await StasisListener().join()
    alice = await desk_of(floor.alice)
    reply = await request(
        alice,
        action="transfer",
        call_id=call.pk,
        kind="attended",
        target_type="agent",
        target=str(floor.bob.pk),
    )
    assert reply["ok"]
    command = await stasis.next()
    assert (command["command"], command["args"]["agent_id"], command["args"]["kind"]) == (
        "transfer",
        floor.bob.pk,
        "attended",
    )
    await alice.disconnect()


@pytest.mark.parametrize(
    ("fields", "error_id", "field"),
    [
        (
            {"action": "transfer", "kind": "attended", "target_type": "flow", "target": "main"},
            "bad_message",
            "target_type",
        ),
        (
            {"action": "transfer", "kind": "attended", "target_type": "number", "target": "+12125550100"},
            "international_not_allowed",
            "target",
        ),
        (
            {"action": "conference", "target_type": "number", "target": "+12125550100"},
            "international_not_allowed",
            "target",
        ),
        ({"action": "conference", "target_type": "queue", "target": "1"}, "bad_message", "target_type"),
        ({"action": "conference", "target_type": "agent"}, "bad_message", "target"),
    ],
)
async def test_it_refuses_a_bad_third_party_before_the_worker_hears_of_it(
    floor, fields, error_id, field
) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    stasis = await StasisListener().join()
    alice = await desk_of(floor.alice)
    reply = await request(alice, call_id=call.pk, **fields)
    assert (reply["type"], reply["error_id"], reply["field"]) == ("error", error_id, field)
    assert reply["message"]
    assert await stasis.next(timeout=0.3) is None
    await alice.disconnect()


async def test_it_refuses_call_commands_from_a_consulted_colleague(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    await sync(services.claim_agent)(call_id=call.pk, agent_ids=[floor.bob.pk])
    await sync(transfers.join_call)(call_id=call.pk, agent_id=floor.bob.pk)
    stasis = await StasisListener().join()
    bob = await desk_of(floor.bob)
    reply = await request(bob, action="hangup", call_id=call.pk)
    assert (reply["error_id"], reply["field"]) == ("not_your_call", "call_id")
    assert await stasis.next(timeout=0.3) is None
    await bob.disconnect()


async def test_it_shows_the_consulted_colleague_the_callers_card_without_counting_a_call(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    bob = await desk_of(floor.bob)
    await sync(services.claim_agent)(call_id=call.pk, agent_ids=[floor.bob.pk])
    await sync(transfers.join_call)(call_id=call.pk, agent_id=floor.bob.pk)
    frames = await frames_until_quiet(bob)
    joined = next(f for f in frames if f["event"] == "call_joined")
    assert (joined["call"]["call_id"], joined["call"]["agent_id"]) == (call.pk, floor.alice.pk)
    assert joined["call"]["customer"] is not None
    await bob.disconnect()


async def test_it_picks_up_the_call_ringing_a_colleague_of_the_same_queue(floor) -> None:
    call = await sync(services.start_call)(channel_id="c-9", caller_raw="13800138000", dnis="4000")
    await sync(services.enqueue_call)(call_id=call.pk, queue_id=floor.sales.pk)
    await sync(services.claim_agent)(call_id=call.pk, agent_ids=[floor.bob.pk])
    await sync(desk_services.set_desk_state)(
        agent_id=floor.alice.pk, state=AgentState.PAUSED, pause_code="lunch"
    )
    stasis = await StasisListener().join()
    alice = await desk_of(floor.alice)
    reply = await request(alice, action="pickup", id="p1")
    assert reply == {"type": "reply", "id": "p1", "ok": True, "data": {"sent": "pickup", "call_id": call.pk}}
    command = await stasis.next()
    assert (command["command"], command["call_id"], command["agent_id"]) == (
        "pickup",
        call.pk,
        floor.alice.pk,
    )
    await alice.disconnect()


async def test_it_says_so_when_nothing_rings_in_the_agents_queues(floor) -> None:
    call = await sync(services.start_call)(channel_id="c-8", caller_raw="13800138000", dnis="4000")
    await sync(services.enqueue_call)(call_id=call.pk, queue_id=floor.support.pk)
    await sync(services.claim_agent)(call_id=call.pk, agent_ids=[floor.alice.pk])  # support: bob is no member
    stasis = await StasisListener().join()
    bob = await desk_of(floor.bob)
    reply = await request(bob, action="pickup")
    assert (reply["type"], reply["error_id"]) == ("error", "nothing_to_pick_up")
    assert await stasis.next(timeout=0.3) is None
    await bob.disconnect()


def consult_bob(floor) -> int:
    """Alice consults Bob about her caller, as the stasis worker does it (until Bob answers)."""
    alice, bob = floor.alice, floor.bob
    call = live_call(alice, floor.sales)
    party = {"kind": "agent", "label": "Bob", "agent_id": bob.pk, "by": alice.pk, "host": "Alice"}
    services.claim_agent(call_id=call.pk, agent_ids=[bob.pk])
    transfers.note_party_step(
        call_id=call.pk,
        kind="consult_started",
        agent_ids=[alice.pk, bob.pk],
        data={"consult": {**party, "state": "ringing"}},
    )
    transfers.ring_party(call_id=call.pk, agent_id=bob.pk)
    transfers.join_call(call_id=call.pk, agent_id=bob.pk)
    transfers.note_party_step(
        call_id=call.pk,
        kind="consult_answered",
        agent_ids=[alice.pk, bob.pk],
        data={"consult": {**party, "state": "talking"}},
    )
    return call.pk


def complete_and_conference(floor, call_id: int) -> None:
    """Alice completes the transfer; Bob then adds Alice back as a conference guest who hangs up."""
    alice, bob = floor.alice, floor.bob
    new = transfers.complete_transfer(call_id=call_id, note="over to you", agent_id=bob.pk)
    desk_services.set_desk_state(agent_id=alice.pk, state="ready")
    services.claim_agent(call_id=new.pk, agent_ids=[alice.pk])
    guest = {"kind": "agent", "label": "Alice", "agent_id": alice.pk, "by": bob.pk, "host": "Bob"}
    transfers.note_party_step(
        call_id=new.pk,
        kind="guest_invited",
        agent_ids=[bob.pk, alice.pk],
        data={"guest": {**guest, "state": "ringing"}},
    )
    transfers.ring_party(call_id=new.pk, agent_id=alice.pk)
    transfers.join_call(call_id=new.pk, agent_id=alice.pk)
    transfers.note_party_step(
        call_id=new.pk,
        kind="guest_joined",
        agent_ids=[bob.pk, alice.pk],
        data={"guest": {**guest, "state": "talking"}},
    )
    transfers.release_party(call_id=new.pk, agent_id=alice.pk, reason="guest_hung_up")
    transfers.note_party_step(
        call_id=new.pk,
        kind="guest_left",
        agent_ids=[bob.pk, alice.pk],
        data={"guest": None, "reason": "hung_up"},
    )


async def test_it_gives_the_same_screens_from_events_as_from_snapshots_through_a_consultation(floor) -> None:
    sockets = {
        "alice": await connect("/ws/desk/", floor.alice.user),
        "bob": await connect("/ws/desk/", floor.bob.user),
        "board": await connect("/ws/wallboard/", floor.boss),
    }
    states = {name: (await ws.receive_json_from())["data"] for name, ws in sockets.items()}
    call_id = 0

    def step_one() -> None:
        nonlocal call_id
        call_id = consult_bob(floor)

    for step in (step_one, lambda: complete_and_conference(floor, call_id)):
        await in_plain_thread(step)
        for name, ws in sockets.items():
            apply = (
                selectors_live.apply_wallboard_frame if name == "board" else selectors_live.apply_desk_frame
            )
            for frame in await frames_until_quiet(ws, quiet=1.0):
                states[name] = apply(states[name], frame)
            after = (await request(ws, action="snapshot", id="again"))["data"]
            got, want = selectors_live.without_times(states[name]), selectors_live.without_times(after)
            assert got == want, (step, name, differences(got, want))
        if step is step_one:  # Bob sees Alice's caller, with the consultation, and is not its agent
            bob_call = states["bob"]["call"]
            assert (bob_call["call_id"], bob_call["agent_id"]) == (call_id, floor.alice.pk)
            assert bob_call["consult"]["state"] == "talking"
            assert states["bob"]["counters"]["calls"] == 0
    for ws in sockets.values():
        await ws.disconnect()
