"""Commands from the agent's and supervisor's screens on live calls, over the channel layer."""

from __future__ import annotations

import pytest

from ccapp import realtime
from ccapp.models import AgentState, Call, CallOutcome
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import AsyncListener, kinds, requests_to, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def two_queues():
    sales = make_queue("sales")
    first = make_agent(sales)
    billing = make_queue("billing")
    second = make_agent(billing)
    make_route("4300", queue=sales)
    return sales, first, billing, second


async def connected(sim, dnis: str = "4300") -> tuple:
    call = await sim.dial(dnis, caller="13800138000")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
    )
    return call, row


async def command(name: str, row: Call, **args) -> None:
    await realtime.send_stasis_command(
        realtime.StasisCommand(command=name, call_id=row.pk, agent_id=row.agent_id, args=args)
    )


async def test_given_a_connected_call_when_the_agent_holds_and_unholds_then_music_plays_and_hold_time_counts(
    sim, worker
) -> None:
    _, agent, _, _ = await sync(two_queues)()
    call, row = await connected(sim)
    listener = await AsyncListener().join(realtime.agent_group(agent.pk))
    await command("hold", row)
    update = await listener.until("call_updated")
    assert update["kind"] == "hold"
    assert requests_to(sim, "POST", f"/channels/{call.channel_id}/moh")
    mute = requests_to(sim, "POST", f"/channels/{sim.channel_of(agent.endpoint).id}/mute")
    assert mute and mute[0].query["direction"] == "in"
    await sim.clock.sleep(4)
    await command("unhold", row)
    await wait_until(lambda: row.events.filter(kind="unhold").exists())
    await sim.hangup(call)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.hold_seconds > 0


async def test_given_a_connected_call_when_transferred_blind_to_a_queue_then_a_linked_call_reaches_agent_2(
    sim, worker
) -> None:
    _, first, billing, second = await sync(two_queues)()
    call, row = await connected(sim)
    listener = await AsyncListener().join(realtime.agent_group(second.pk))
    await command(
        "transfer",
        row,
        kind="blind",
        target_type="queue",
        target=str(billing.pk),
        queue_id=billing.pk,
        note="wants a refund",
    )
    pop = await listener.until("call_answered")
    assert pop["variables"]["transfer_note"] == "wants a refund"
    old = await sync(lambda: Call.objects.get(pk=row.pk))()
    new = await sync(lambda: Call.objects.get(pk=pop["call_id"]))()
    assert (old.outcome, old.agent_id) == (CallOutcome.TRANSFERRED, first.pk)
    assert (new.parent_id, new.queue_id, new.agent_id, new.channel_id) == (
        old.pk,
        billing.pk,
        second.pk,
        call.channel_id,
    )
    freed = await sync(lambda: type(first).objects.get(pk=first.pk))()
    assert freed.state in (AgentState.WRAP_UP, AgentState.READY)
    await sim.hangup(call)
    await wait_until(lambda: Call.objects.filter(pk=new.pk, outcome=CallOutcome.ANSWERED).exists())


async def test_given_a_connected_call_when_a_supervisor_whispers_then_the_agent_leg_is_snooped(
    sim, worker
) -> None:
    _, agent, _, _ = await sync(two_queues)()
    call, row = await connected(sim)
    sim.agent("PJSIP/1009").answer_after(0.5)
    await command("listen", row, mode="whisper", endpoint="PJSIP/1009", supervisor="boss")
    agent_leg = sim.channel_of(agent.endpoint).id
    snoop = await sim.wait_for(lambda: requests_to(sim, "POST", f"/channels/{agent_leg}/snoop"))
    assert (snoop[0].query["spy"], snoop[0].query["whisper"]) == ("both", "out")
    assert "monitor_started" in await kinds(row.pk)
    await sim.hangup(call)
    await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).exists())


async def test_given_a_recorded_call_when_the_agent_pauses_recording_then_the_pause_is_in_the_timeline(
    sim, worker
) -> None:
    await sync(two_queues)()
    call, row = await connected(sim)
    await wait_until(lambda: row.events.filter(kind="recording_started").exists())
    await command("record_pause", row)
    await command("record_resume", row)
    await wait_until(lambda: row.events.filter(kind="recording_resumed").exists())
    assert requests_to(sim, "POST", "/pause") and requests_to(sim, "DELETE", "/pause")
    await sim.hangup(call)


async def test_given_a_connected_call_when_the_agent_hangs_up_from_the_screen_then_the_call_ends_answered(
    sim, worker
) -> None:
    await sync(two_queues)()
    _, row = await connected(sim)
    await command("hangup", row)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.ANSWERED


async def test_given_a_call_time_limit_when_the_limit_passes_then_a_warning_plays_and_the_call_ends(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("short", call_time_limit_seconds=40, record_calls=False)
        make_agent(queue)
        make_route("4301", queue=queue)

    await sync(setup)()
    _, row = await connected(sim, "4301")
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.ANSWERED
    timeline = await kinds(row.pk)
    assert timeline.index("time_limit_warning") < timeline.index("time_limit_reached")
    assert requests_to(sim, "POST", f"/bridges/call-{row.pk}-")  # the warning on the call's bridge
