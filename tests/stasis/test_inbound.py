"""Inbound calls end to end: route, IVR, queue, agent offer, screen pop, hang-up and finalize."""

from __future__ import annotations

import pytest

from ccapp import realtime
from ccapp.models import Agent, AgentState, Call, CallOutcome, Recording
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import AsyncListener, call_of, kinds, requests_to, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

MENU = {
    "start": "menu",
    "nodes": {
        "menu": {
            "type": "menu",
            "prompt": {"sound": "press-1"},
            "options": {"1": "sales"},
            "timeout": 3,
            "retries": 1,
            "on_fail": "bye",
        },
        "sales": {"type": "queue", "queue": "sales"},
        "bye": {"type": "hangup"},
    },
}


def one_agent_queue(code: str = "sales", **fields):
    queue = make_queue(code, **fields)
    agent = make_agent(queue)
    return queue, agent


async def test_given_a_ready_agent_when_a_caller_dials_then_the_agent_is_bridged_and_gets_the_screen_pop(
    sim, worker
) -> None:
    queue, agent = await sync(one_agent_queue)()
    await sync(make_route)("4000", queue=queue)
    sim.agent(agent.endpoint).answer_after(1.0)
    listener = await AsyncListener().join(realtime.agent_group(agent.pk))

    call = await sim.dial("4000", caller="13800138000")
    pop = await listener.until("call_answered")
    row = await call_of(call.channel_id)
    assert (pop["call_id"], pop["caller"], pop["agent_id"]) == (row.pk, "+8613800138000", agent.pk)

    await sim.hangup(call)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert (row.outcome, row.agent_id) == (CallOutcome.ANSWERED, agent.pk)
    assert row.talk_seconds > 0
    await wait_until(lambda: row.events.filter(kind="recording_finished").exists())
    timeline = await kinds(row.pk)
    assert timeline[:5] == ["started", "queued", "offered", "answered", "recording_started"]
    assert sorted(timeline[5:]) == ["ended", "recording_finished"]  # the two race, as in Asterisk
    assert requests_to(sim, "POST", "/bridges/ccapp-hold-")  # holding bridge and its music
    originate = next(r for r in requests_to(sim, "POST", "/channels/agent-") if r.path.count("/") == 2)
    assert (originate.query["endpoint"], originate.query["app"]) == (agent.endpoint, sim.app)
    bridged = await sync(lambda: Agent.objects.get(pk=agent.pk))()
    assert bridged.state == AgentState.WRAP_UP
    # the agent leg is cleaned up and the recording row exists
    assert await sync(lambda: Recording.objects.filter(call_id=row.pk).count())() == 1
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.READY).exists(), timeout=5)


async def test_given_an_ivr_menu_when_the_caller_presses_1_then_the_call_is_queued_with_path_and_digits(
    sim, worker
) -> None:
    queue, agent = await sync(one_agent_queue)()
    await sync(make_route)("4001", flow=MENU)
    sim.agent(agent.endpoint).ring_out()

    call = await sim.dial("4001", caller="13800138000")
    await sim.wait_for_event("PlaybackStarted")
    await sim.press(call, "1")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, queued_at__isnull=False).first()
    )
    assert (row.ivr_path, row.ivr_digits, row.queue_id) == (["menu", "sales"], {"menu": "1"}, queue.pk)
    await sim.hangup(call)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.ABANDONED_QUEUE
    assert row.wait_seconds > 0


async def test_given_an_ivr_when_the_caller_hangs_up_in_the_menu_then_the_call_is_abandoned_in_ivr(
    sim, worker
) -> None:
    await sync(one_agent_queue)()
    await sync(make_route)("4002", flow=MENU)
    call = await sim.dial("4002")
    await sim.wait_for_event("PlaybackStarted")
    await sim.hangup(call)
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, ended_at__isnull=False).first()
    )
    assert row.outcome == CallOutcome.ABANDONED_IVR
    assert row.ivr_path == ["menu"]


async def test_given_an_unknown_dnis_when_a_caller_dials_then_the_call_continues_in_the_dialplan(
    sim, worker
) -> None:
    call = await sim.dial("9999", caller="")
    await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, outcome=CallOutcome.FAILED).exists()
    )
    row = await call_of(call.channel_id)
    assert "unknown_dnis" in await kinds(row.pk)
    await sim.wait_for(lambda: requests_to(sim, "POST", f"/channels/{call.channel_id}/continue"))


async def test_given_an_agent_who_does_not_answer_when_offered_then_not_ready_and_the_next_agent_gets_it(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("sales", ring_timeout_seconds=5)
        first = make_agent(queue, penalty=0)
        second = make_agent(queue, penalty=1)
        make_route("4003", queue=queue)
        return first, second

    first, second = await sync(setup)()
    sim.agent(first.endpoint).ring_out()
    sim.agent(second.endpoint).answer_after(1.0)
    call = await sim.dial("4003")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
    )
    missed = await sync(lambda: Agent.objects.get(pk=first.pk))()
    assert (row.agent_id, missed.state, missed.state_reason) == (second.pk, AgentState.PAUSED, "missed_call")
    assert (await kinds(row.pk)).count("offer_missed") == 1
    await sim.hangup(call)


async def test_given_a_busy_phone_when_the_call_is_offered_then_it_is_missed_and_requeued(
    sim, worker
) -> None:
    queue, agent = await sync(one_agent_queue)()
    await sync(make_route)("4004", queue=queue)
    sim.agent(agent.endpoint).busy()
    call = await sim.dial("4004")
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state_reason="missed_call").exists())
    row = await call_of(call.channel_id)
    await wait_until(lambda: row.events.filter(kind="requeued").exists())
    assert (await kinds(row.pk))[-2:] == ["offer_missed", "requeued"]
    await sim.hangup(call)
    await wait_until(lambda: Call.objects.filter(pk=row.pk, outcome=CallOutcome.ABANDONED_QUEUE).exists())


async def test_given_callers_waiting_when_the_announcement_comes_then_each_hears_their_place_in_line(
    sim, worker
) -> None:
    queue = await sync(make_queue)("line", announce_every_seconds=4, announce_wait=False)
    await sync(make_agent)(queue, state=AgentState.PAUSED)  # logged in, so callers wait for them
    await sync(make_route)("4100", queue=queue)

    first = await sim.dial("4100", caller="13800138001")
    await wait_until(
        lambda: Call.objects.filter(channel_id=first.channel_id, queued_at__isnull=False).exists()
    )
    second = await sim.dial("4100", caller="13800138002")

    def heard(call, sound: str) -> bool:
        plays = requests_to(sim, "POST", f"/channels/{call.channel_id}/play")
        return any(sound in r.query.get("media", "") for r in plays)

    await wait_until(lambda: heard(first, "queue-youarenext") and heard(second, "queue-thereare"))
    assert any(
        r.query.get("media", "").split(",")[:2] == ["sound:queue-thereare", "number:1"]
        for r in requests_to(sim, "POST", f"/channels/{second.channel_id}/play")
    )  # one caller ahead of the second

    for call in (first, second):
        await sim.hangup(call)
    rows = [await call_of(call.channel_id) for call in (first, second)]
    for row in rows:
        await wait_until(lambda row=row: Call.objects.filter(pk=row.pk, ended_at__isnull=False).exists())
    positions = [
        await sync(lambda row=row: list(row.events.filter(kind="announced").values_list("data", flat=True)))()
        for row in rows
    ]
    assert positions[0] and all(data == {"position": 1} for data in positions[0])
    assert positions[1] and all(data["position"] in (1, 2) for data in positions[1])
    assert positions[1][0] == {"position": 2}
