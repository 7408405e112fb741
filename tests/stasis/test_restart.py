"""Restart safety: kill the worker mid-call and start it again."""

from __future__ import annotations

import pytest

from ccapp.models import Agent, AgentState, Call, CallOutcome
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import kinds, start_worker, stop_worker, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_given_a_bridged_and_a_queued_call_when_the_worker_restarts_then_both_continue(
    sim,
) -> None:
    def setup():
        queue = make_queue("sales", wrapup_seconds=2)
        agent = make_agent(queue)
        make_route("4200", queue=queue)
        return agent

    agent = await sync(setup)()
    client, first = await start_worker(sim)
    talking = await sim.dial("4200", caller="13800138000")
    await wait_until(
        lambda: Call.objects.filter(channel_id=talking.channel_id, answered_at__isnull=False).exists()
    )
    waiting = await sim.dial("4200", caller="13800138001")
    gone = await sim.dial("4200", caller="13800138002")
    await wait_until(lambda: Call.objects.filter(queued_at__isnull=False).count() == 3)

    await stop_worker(client, first)  # the worker dies; Asterisk keeps the calls
    await sim.hangup(gone)  # this caller gives up while no worker listens

    client, second = await start_worker(sim)
    try:
        assert (
            talking.channel_id in second.sessions and second.sessions[talking.channel_id].phase == "connected"
        )
        assert second.sessions[waiting.channel_id].phase == "queue"
        lost = await wait_until(
            lambda: Call.objects.filter(channel_id=gone.channel_id, ended_at__isnull=False).first()
        )
        assert lost.outcome == CallOutcome.ABANDONED_QUEUE

        await sim.hangup(talking)  # the bridged call kept talking; now it ends normally
        first_call = await wait_until(
            lambda: Call.objects.filter(channel_id=talking.channel_id, ended_at__isnull=False).first()
        )
        assert first_call.outcome == CallOutcome.ANSWERED
        assert "resynced" in await kinds(first_call.pk)
        # after the agent's wrap-up the waiting caller, who kept the place, is answered
        second_call = await wait_until(
            lambda: Call.objects.filter(channel_id=waiting.channel_id, answered_at__isnull=False).first(),
            timeout=10,
        )
        assert second_call.agent_id == agent.pk
        await sim.hangup(waiting)
        await wait_until(lambda: not Call.objects.filter(ended_at__isnull=True).exists())
        await wait_until(
            lambda: Agent.objects.filter(
                pk=agent.pk, state__in=(AgentState.WRAP_UP, AgentState.READY)
            ).exists()
        )
    finally:
        await stop_worker(client, second)


async def test_given_an_agent_ringing_when_the_worker_restarts_then_the_ring_stops_and_the_agent_is_not_stuck(
    sim,
) -> None:
    def setup():
        queue = make_queue("sales", ring_timeout_seconds=60)
        agent = make_agent(queue)
        make_route("4201", queue=queue)
        return agent

    agent = await sync(setup)()
    sim.agent(agent.endpoint).ring_out()
    client, first = await start_worker(sim)
    call = await sim.dial("4201")
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.RINGING).exists())
    await stop_worker(client, first)
    await sim.hangup(call)
    client, second = await start_worker(sim)
    try:
        row = await wait_until(
            lambda: Call.objects.filter(channel_id=call.channel_id, ended_at__isnull=False).first()
        )
        assert row.outcome == CallOutcome.ABANDONED_QUEUE
        # Not stuck: the agent leaves "ringing" with no call held. Whether the cut ring counts as a
        # miss (paused) or not (ready) depends on which of the two hang-ups the resync sees first.
        freed = await wait_until(
            lambda: Agent.objects.filter(pk=agent.pk, state__in=[AgentState.READY, AgentState.PAUSED]).first()
        )
        assert freed.current_call_id is None
    finally:
        await stop_worker(client, second)
