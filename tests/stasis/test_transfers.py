"""Attended transfer from the agent's screen: consult, then complete or cancel; refusals change nothing."""

from __future__ import annotations

import pytest

from ccapp import realtime
from ccapp.models import Agent, AgentState, Call, CallOutcome
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import (
    AsyncListener,
    kinds,
    requests_to,
    start_worker,
    stop_worker,
    sync,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+8613912345678"


def a_floor(second_state: str = AgentState.READY):
    sales = make_queue("sales", wrapup_seconds=30)
    first = make_agent(sales)
    second = make_agent(sales, state=second_state)
    make_route("4400", queue=sales)
    return sales, first, second


async def connected(sim, first: Agent) -> tuple:
    # Only the first agent is ready when the caller arrives; the second one is made ready after.
    call = await sim.dial("4400", caller="13800138000")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
    )
    assert row.agent_id == first.pk
    return call, row


async def command(name: str, row: Call, sender: int | None = None, **args) -> None:
    await realtime.send_stasis_command(
        realtime.StasisCommand(command=name, call_id=row.pk, agent_id=sender or row.agent_id, args=args)
    )


def state_of(agent: Agent) -> tuple[str, str, int | None]:
    agent = Agent.objects.get(pk=agent.pk)
    return agent.state, agent.state_reason, agent.current_call_id


def set_state(agent: Agent, state: str) -> None:
    Agent.objects.filter(pk=agent.pk).update(state=state)


async def floor_with_a_call(sim, second_state: str = AgentState.READY) -> tuple:
    sales, first, second = await sync(a_floor)(AgentState.PAUSED)
    call, row = await connected(sim, first)
    await sync(set_state)(second, second_state)
    return sales, first, second, call, row


async def refusal(listener: AsyncListener) -> tuple[str, str]:
    """The next `command_failed` pushed to a desk: (command, error_id)."""
    failed = await listener.until("command_failed", timeout=10)
    return failed["command"], failed["error_id"]


async def consult_answered(sim, row: Call, second: Agent, listener: AsyncListener, **args) -> dict:
    await command("transfer", row, kind="attended", target_type="agent", agent_id=second.pk, **args)
    await listener.until("call_updated", timeout=10)  # hold
    answered = await wait_until(lambda: row.events.filter(kind="consult_answered").first())
    return answered.data


async def test_given_a_connected_call_when_the_agent_consults_and_completes_then_the_caller_reaches_agent_2(
    sim, worker
) -> None:
    sales, first, second, call, row = await floor_with_a_call(sim)
    mine = await AsyncListener().join(realtime.agent_group(first.pk))
    theirs = await AsyncListener().join(realtime.agent_group(second.pk))
    data = await consult_answered(sim, row, second, mine, note="wants a refund")
    assert data["consult"]["state"] == "talking" and data["consult"]["agent_id"] == second.pk
    # The caller holds with music, the agent's leg left the call's bridge for the consultation's.
    assert requests_to(sim, "POST", f"/channels/{call.channel_id}/moh")
    agent_leg, target_leg = sim.channel_of(first.endpoint), sim.channel_of(second.endpoint)
    consult_bridge = sim.world.bridges[agent_leg.bridge_id]
    assert consult_bridge.id.startswith("consult-") and set(consult_bridge.channels) == {
        agent_leg.id,
        target_leg.id,
    }
    assert sim.world.channels[call.channel_id].bridge_id != consult_bridge.id
    assert await sync(state_of)(second) == (AgentState.ON_CALL, "joined", row.pk)
    joined = await theirs.until("call_joined")
    assert joined == {"call_id": row.pk, "agent_id": second.pk}

    await command("transfer_complete", row)
    pop = await theirs.until("call_answered")
    assert pop["variables"]["transfer_note"] == "wants a refund"
    assert pop["caller"] == "+8613800138000"
    old = await sync(lambda: Call.objects.get(pk=row.pk))()
    new = await sync(lambda: Call.objects.get(pk=pop["call_id"]))()
    assert (old.outcome, old.agent_id) == (CallOutcome.TRANSFERRED, first.pk)
    assert (new.parent_id, new.agent_id, new.queue_id, new.channel_id) == (
        old.pk,
        second.pk,
        sales.pk,
        call.channel_id,
    )
    assert set(sim.world.bridges[consult_bridge.id].channels) == {call.channel_id, target_leg.id}
    assert agent_leg.id not in sim.world.channels  # the first agent's leg is hung up
    assert (await sync(state_of)(first))[0] == AgentState.WRAP_UP
    timeline = await kinds(old.pk)
    assert timeline.index("consult_started") < timeline.index("consult_answered") < timeline.index("ended")
    assert "transfer_completed" in timeline and old.hold_seconds > 0
    completed = await mine.until("call_updated")
    while completed["kind"] != "transfer_completed":
        completed = await mine.until("call_updated")
    assert completed["data"]["consult"] is None

    # The receiving agent wraps up in the original queue when the caller hangs up.
    await sim.hangup(call)
    await wait_until(lambda: Call.objects.filter(pk=new.pk, outcome=CallOutcome.ANSWERED).exists())
    assert await sync(state_of)(second) == (AgentState.WRAP_UP, "call_ended", new.pk)


async def test_given_a_consultation_when_the_agent_cancels_then_the_agent_is_back_with_the_caller(
    sim, worker
) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    mine = await AsyncListener().join(realtime.agent_group(first.pk))
    await consult_answered(sim, row, second, mine)
    agent_leg, target_leg = sim.channel_of(first.endpoint), sim.channel_of(second.endpoint)
    await command("transfer_cancel", row)
    ended = await wait_until(lambda: row.events.filter(kind="consult_ended").first())
    assert ended.data == {"consult": None, "reason": "cancelled", "target": second.user.username}
    await sim.wait_for(lambda: target_leg.id not in sim.world.channels)
    assert sim.world.channels[agent_leg.id].bridge_id == sim.world.channels[call.channel_id].bridge_id
    assert requests_to(sim, "DELETE", f"/channels/{call.channel_id}/moh")
    assert await sync(state_of)(second) == (AgentState.READY, "consult_cancelled", None)
    assert await sync(state_of)(first) == (AgentState.ON_CALL, "", row.pk)
    await wait_until(lambda: row.events.filter(kind="unhold").exists())
    await sim.hangup(call)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert (row.outcome, row.agent_id) == (CallOutcome.ANSWERED, first.pk)


async def test_given_a_consultation_when_the_target_declines_then_the_agent_is_back_and_told_why(
    sim, worker
) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    sim.agent(second.endpoint).decline(after=1.0)
    mine = await AsyncListener().join(realtime.agent_group(first.pk))
    await command("transfer", row, kind="attended", target_type="agent", agent_id=second.pk)
    update = await mine.until("call_updated")
    while update["kind"] != "consult_ended":
        update = await mine.until("call_updated", timeout=10)
    assert (update["data"]["reason"], update["data"]["consult"]) == ("rejected", None)
    assert await sync(state_of)(second) == (AgentState.READY, "consult_rejected", None)  # not "missed"
    await wait_until(lambda: row.events.filter(kind="unhold").exists())
    assert sim.channel_of(first.endpoint).bridge_id == sim.world.channels[call.channel_id].bridge_id
    await sim.hangup(call)


async def test_given_a_target_who_went_offline_when_consulting_then_it_is_refused_and_nothing_changes(
    sim, worker
) -> None:
    _, first, second, call, row = await floor_with_a_call(sim, second_state=AgentState.LOGGED_OUT)
    mine = await AsyncListener().join(realtime.agent_group(first.pk))
    await command("transfer", row, kind="attended", target_type="agent", agent_id=second.pk)
    assert await refusal(mine) == ("transfer", "target_unavailable")
    assert not requests_to(sim, "POST", f"/channels/{call.channel_id}/moh")
    assert sim.channel_of(second.endpoint) is None
    assert await sync(state_of)(second) == (AgentState.LOGGED_OUT, "", None)
    await sim.hangup(call)


async def test_given_a_completed_transfer_when_complete_comes_again_then_the_desk_hears_the_call_ended(
    sim, worker
) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    mine = await AsyncListener().join(realtime.agent_group(first.pk))
    await consult_answered(sim, row, second, mine)
    await command("transfer_complete", row)
    await command("transfer_complete", row)  # a double click
    assert await refusal(mine) == ("transfer_complete", "call_ended")
    timeline = await wait_until(lambda: row.events.filter(kind="command_failed").first())
    assert timeline.data == {"command": "transfer_complete", "error_id": "call_ended"}
    assert await sync(lambda: Call.objects.filter(parent_id=row.pk).count())() == 1
    await sim.hangup(call)


async def test_given_another_agents_call_when_a_forged_command_arrives_then_nothing_happens(
    sim, worker
) -> None:
    _, _first, second, call, row = await floor_with_a_call(sim)
    theirs = await AsyncListener().join(realtime.agent_group(second.pk))
    await command("transfer", row, sender=second.pk, kind="attended", target_type="agent", agent_id=second.pk)
    await command("hangup", row, sender=second.pk)
    assert {await refusal(theirs), await refusal(theirs)} == {
        ("transfer", "not_your_call"),
        ("hangup", "not_your_call"),
    }
    assert not requests_to(sim, "DELETE", f"/channels/{call.channel_id}")
    assert not requests_to(sim, "POST", f"/channels/{call.channel_id}/moh")
    assert (await sync(lambda: Call.objects.get(pk=row.pk))()).ended_at is None
    await sim.hangup(call)


async def test_given_a_consultation_of_a_number_when_completed_then_the_caller_talks_to_that_number(
    sim, worker
) -> None:
    _, first, _, call, row = await floor_with_a_call(sim)
    sim.agent(f"PJSIP/{NUMBER}@carrier").answer_after(1.0)
    await command("transfer", row, kind="attended", target_type="number", number="139 1234 5678", note="x")
    await wait_until(lambda: row.events.filter(kind="consult_answered").exists())
    external = sim.channel_of(f"PJSIP/{NUMBER}@carrier")
    await command("transfer_complete", row)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.TRANSFERRED
    await sim.wait_for(lambda: sim.world.channels[call.channel_id].bridge_id == external.bridge_id)
    assert (await sync(state_of)(first))[0] == AgentState.WRAP_UP
    await sim.hangup(external.id)  # the number hangs up: so does the caller
    await sim.wait_for(lambda: call.channel_id not in sim.world.channels)


async def test_given_an_agent_without_the_right_when_consulting_abroad_then_it_is_refused(
    sim, worker
) -> None:
    _, first, _, call, row = await floor_with_a_call(sim)
    mine = await AsyncListener().join(realtime.agent_group(first.pk))
    await command("transfer", row, kind="attended", target_type="number", number="+1 212 555 0100")
    assert await refusal(mine) == ("transfer", "international_not_allowed")
    assert not requests_to(sim, "POST", f"/channels/{call.channel_id}/moh")
    await sim.hangup(call)


async def test_given_a_consultation_when_the_caller_hangs_up_then_the_target_is_freed(sim, worker) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    mine = await AsyncListener().join(realtime.agent_group(first.pk))
    await consult_answered(sim, row, second, mine)
    target_leg = sim.channel_of(second.endpoint)
    await sim.hangup(call)
    await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).exists())
    await sim.wait_for(lambda: target_leg.id not in sim.world.channels)
    assert await sync(state_of)(second) == (AgentState.READY, "consult_caller_hung_up", None)
    assert (await sync(state_of)(first))[0] == AgentState.WRAP_UP


async def test_given_a_blind_transfer_to_an_agent_when_the_call_ends_then_the_receiving_agent_wraps_up(
    sim, worker
) -> None:
    sales, _first, second, call, row = await floor_with_a_call(sim)
    listener = await AsyncListener().join(realtime.agent_group(second.pk))
    await command("transfer", row, kind="blind", target_type="agent", agent_id=second.pk, note="n")
    pop = await listener.until("call_answered")
    new = await sync(lambda: Call.objects.get(pk=pop["call_id"]))()
    assert (new.queue_id, new.queued_at) == (sales.pk, None)
    await sim.hangup(call)
    await wait_until(lambda: Call.objects.filter(pk=new.pk, ended_at__isnull=False).exists())
    assert await sync(state_of)(second) == (AgentState.WRAP_UP, "call_ended", new.pk)


# ---- three-way conference ---------------------------------------------------------------------------
async def conference_with(sim, row: Call, second: Agent) -> None:
    await command("conference", row, agent_id=second.pk)
    await wait_until(lambda: row.events.filter(kind="guest_joined").exists())


async def test_given_a_call_when_the_agent_adds_a_colleague_then_all_three_share_the_bridge_until_dropped(
    sim, worker
) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    theirs = await AsyncListener().join(realtime.agent_group(second.pk))
    await conference_with(sim, row, second)
    guest_leg = sim.channel_of(second.endpoint)
    bridge = sim.world.bridges[sim.world.channels[call.channel_id].bridge_id]
    assert set(bridge.channels) == {call.channel_id, sim.channel_of(first.endpoint).id, guest_leg.id}
    assert bridge.json()["technology"] == "softmix"
    assert (await theirs.until("call_joined"))["call_id"] == row.pk
    assert await sync(state_of)(second) == (AgentState.ON_CALL, "joined", row.pk)
    await command("conference_drop", row)
    await sim.wait_for(lambda: guest_leg.id not in sim.world.channels)
    left = await wait_until(lambda: row.events.filter(kind="guest_left").first())
    assert (left.data["reason"], left.data["guest"]) == ("dropped", None)
    assert left.data["target"] == second.user.username
    assert await sync(state_of)(second) == (AgentState.READY, "guest_dropped", None)
    assert set(bridge.channels) == {call.channel_id, sim.channel_of(first.endpoint).id}
    await sim.hangup(call)


async def test_given_a_conference_when_the_agent_hangs_up_then_caller_and_guest_talk_on(sim, worker) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    await conference_with(sim, row, second)
    guest_leg = sim.channel_of(second.endpoint)
    await sim.hangup(sim.channel_of(first.endpoint).id)
    await wait_until(lambda: row.events.filter(kind="agent_left").exists())
    assert (await sync(state_of)(first))[0] == AgentState.WRAP_UP
    assert set(sim.world.bridges[guest_leg.bridge_id].channels) == {call.channel_id, guest_leg.id}
    assert (await sync(lambda: Call.objects.get(pk=row.pk))()).ended_at is None
    await sim.hangup(guest_leg.id)  # the guest leaves too: nobody is left for the caller
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.ANSWERED
    assert await sync(state_of)(second) == (AgentState.READY, "guest_hung_up", None)


async def test_given_a_conference_when_the_caller_hangs_up_then_agent_and_guest_talk_on(sim, worker) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    await conference_with(sim, row, second)
    agent_leg, guest_leg = sim.channel_of(first.endpoint), sim.channel_of(second.endpoint)
    await sim.hangup(call)
    await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).exists())
    assert set(sim.world.bridges[agent_leg.bridge_id].channels) == {agent_leg.id, guest_leg.id}
    assert (await sync(state_of)(first))[0] == AgentState.ON_CALL  # still talking
    await sim.hangup(guest_leg.id)
    await sim.wait_for(lambda: agent_leg.id not in sim.world.channels)
    await wait_until(lambda: state_of(first) == (AgentState.WRAP_UP, "left_call", row.pk))
    await wait_until(lambda: state_of(second) == (AgentState.READY, "conference_over", None))


async def test_given_a_consultation_when_the_agent_conferences_then_the_target_joins_the_caller(
    sim, worker
) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    mine = await AsyncListener().join(realtime.agent_group(first.pk))
    await consult_answered(sim, row, second, mine)
    await command("conference", row)
    await wait_until(lambda: row.events.filter(kind="guest_joined").exists())
    bridge = sim.world.bridges[sim.world.channels[call.channel_id].bridge_id]
    assert len(bridge.channels) == 3
    assert not [b for b in sim.world.bridges if b.startswith("consult-")]
    ended = await wait_until(lambda: row.events.filter(kind="consult_ended").first())
    assert ended.data["reason"] == "merged"
    await sim.hangup(call)


# ---- call pickup ------------------------------------------------------------------------------------
async def test_given_a_call_ringing_a_colleague_when_an_agent_picks_it_up_then_the_offer_moves_without_a_miss(
    sim, worker
) -> None:
    def setup():
        sales = make_queue("sales")
        ringing = make_agent(sales)
        picker = make_agent(sales, state=AgentState.PAUSED)
        make_route("4400", queue=sales)
        return ringing, picker

    ringing, picker = await sync(setup)()
    sim.agent(ringing.endpoint).ring_out()
    call = await sim.dial("4400", caller="13800138000")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, offered_at__isnull=False).first()
    )
    ringing_leg = await sim.wait_for(lambda: sim.channel_of(ringing.endpoint))
    await command("pickup", row, sender=picker.pk)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, answered_at__isnull=False).first())
    assert row.agent_id == picker.pk
    assert ringing_leg.id not in sim.world.channels
    assert await sync(state_of)(ringing) == (AgentState.READY, "offer_cancelled", None)
    picked = await wait_until(lambda: row.events.filter(kind="picked_up").first())
    assert picked.data == {"agent": picker.pk, "from": [ringing.pk]}
    assert "offer_missed" not in await kinds(row.pk)
    await sim.hangup(call)


async def test_given_an_answered_call_when_someone_picks_it_up_then_it_is_refused(sim, worker) -> None:
    _, first, second, call, row = await floor_with_a_call(sim)
    theirs = await AsyncListener().join(realtime.agent_group(second.pk))
    await command("pickup", row, sender=second.pk)
    assert await refusal(theirs) == ("pickup", "not_ringing")
    assert (await sync(lambda: Call.objects.get(pk=row.pk))()).agent_id == first.pk
    await sim.hangup(call)


async def test_given_a_consultation_of_a_queue_when_completed_then_its_free_agent_takes_the_call_there(
    sim, worker
) -> None:
    _, _first, _, call, row = await floor_with_a_call(sim, second_state=AgentState.PAUSED)

    def billing_desk():
        billing = make_queue("billing", wrapup_seconds=5)
        return billing, make_agent(billing)

    billing, expert = await sync(billing_desk)()
    await command("transfer", row, kind="attended", target_type="queue", queue_id=billing.pk)
    answered = await wait_until(lambda: row.events.filter(kind="consult_answered").first())
    assert (answered.data["consult"]["kind"], answered.data["consult"]["agent_id"]) == ("queue", expert.pk)
    await command("transfer_complete", row)
    new = await wait_until(lambda: Call.objects.filter(parent_id=row.pk, answered_at__isnull=False).first())
    assert (new.agent_id, new.queue_id) == (expert.pk, billing.pk)
    await sim.hangup(call)
    await wait_until(lambda: state_of(expert) == (AgentState.WRAP_UP, "call_ended", new.pk))


# ---- worker restarts ----------------------------------------------------------------------------------
async def test_given_a_consultation_when_the_worker_restarts_then_the_agent_is_back_with_the_caller(
    sim,
) -> None:

    client, app = await start_worker(sim)
    _, first, second, call, row = await floor_with_a_call(sim)
    await command("transfer", row, kind="attended", target_type="agent", agent_id=second.pk)
    await wait_until(lambda: row.events.filter(kind="consult_answered").exists())
    target_leg, agent_leg = sim.channel_of(second.endpoint), sim.channel_of(first.endpoint)
    await stop_worker(client, app)

    client, app = await start_worker(sim)
    try:
        await sim.wait_for(lambda: target_leg.id not in sim.world.channels)
        caller_bridge = sim.world.channels[call.channel_id].bridge_id
        await sim.wait_for(lambda: sim.world.channels[agent_leg.id].bridge_id == caller_bridge)
        await wait_until(lambda: state_of(second) == (AgentState.READY, "resync", None))
        assert app.sessions[call.channel_id].phase == "connected"
        await sim.hangup(call)
        await wait_until(lambda: Call.objects.filter(pk=row.pk, outcome=CallOutcome.ANSWERED).exists())
    finally:
        await stop_worker(client, app)


async def test_given_a_completed_attended_transfer_when_the_worker_restarts_then_the_new_call_is_adopted(
    sim,
) -> None:

    client, app = await start_worker(sim)
    _, _first, second, call, row = await floor_with_a_call(sim)
    await command("transfer", row, kind="attended", target_type="agent", agent_id=second.pk)
    await wait_until(lambda: row.events.filter(kind="consult_answered").exists())
    await command("transfer_complete", row)
    new = await wait_until(lambda: Call.objects.filter(parent_id=row.pk, answered_at__isnull=False).first())
    await stop_worker(client, app)

    client, app = await start_worker(sim)
    try:
        await wait_until(lambda: new.events.filter(kind="resynced", data__phase="connected").exists())
        await sim.hangup(call)
        await wait_until(lambda: Call.objects.filter(pk=new.pk, outcome=CallOutcome.ANSWERED).exists())
        await wait_until(lambda: state_of(second)[0] == AgentState.WRAP_UP)
    finally:
        await stop_worker(client, app)
