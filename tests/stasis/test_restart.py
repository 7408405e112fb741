"""Restart safety: kill the worker mid-call and start it again."""

from __future__ import annotations

import pytest

from ccapp.models import Agent, AgentState, AgentStateChange, Call, CallOutcome
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import call_of, kinds, requests_to, start_worker, stop_worker, sync, wait_until

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


def ringing_setup():
    queue = make_queue("sales", ring_timeout_seconds=60)
    agent = make_agent(queue)
    make_route("4201", queue=queue)
    return agent


async def ring_then_kill(sim, agent) -> tuple:
    """A caller is offered to `agent`, whose phone rings (the originate reached Asterisk); the worker dies."""
    sim.agent(agent.endpoint).ring_out()
    client, first = await start_worker(sim)
    call = await sim.dial("4201")
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.RINGING).exists())
    leg = await sim.wait_for(lambda: sim.channel_of(agent.endpoint))
    await stop_worker(client, first)
    return call, leg


def states_of(agent_id: int) -> list[tuple[str, str]]:
    return list(
        AgentStateChange.objects.filter(agent_id=agent_id).order_by("at", "id").values_list("state", "reason")
    )


async def test_given_an_agent_ringing_when_the_worker_restarts_and_the_caller_left_then_the_agent_is_ready(
    sim,
) -> None:
    agent = await sync(ringing_setup)()
    call, leg = await ring_then_kill(sim, agent)
    await sim.hangup(call)
    client, second = await start_worker(sim)
    try:
        row = await wait_until(
            lambda: Call.objects.filter(channel_id=call.channel_id, ended_at__isnull=False).first()
        )
        assert row.outcome == CallOutcome.ABANDONED_QUEUE
        # The resync hangs up the ring it cannot use (Dial NOANSWER, cause 16)...
        gone = await sim.wait_for_event("ChannelDestroyed", lambda e: e["channel"]["id"] == leg.id)
        assert gone["cause"] == 16 and requests_to(sim, "DELETE", f"/channels/{leg.id}")
        # ...and a ring cut by our own restart is not the agent's miss: ready, never paused.
        freed = await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.READY).first())
        assert freed.current_call_id is None
        await second.dispatch_all()
        assert [s for s, _ in await sync(states_of)(agent.pk)] == [AgentState.RINGING, AgentState.READY]
    finally:
        await stop_worker(client, second)


async def test_given_an_agent_ringing_when_the_worker_restarts_and_the_caller_waits_then_the_call_rings_again(
    sim,
) -> None:
    agent = await sync(ringing_setup)()
    call, leg = await ring_then_kill(sim, agent)
    sim.agent(agent.endpoint).answer_after(1.0)  # this time the agent picks up
    client, second = await start_worker(sim)
    try:
        row = await wait_until(
            lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
        )
        assert row.agent_id == agent.pk
        states = await sync(states_of)(agent.pk)
        assert states[:3] == [
            (AgentState.RINGING, "offer"),
            (AgentState.READY, "offer_cancelled"),  # the cut ring, undone by the resync
            (AgentState.RINGING, "offer"),
        ]
        assert AgentState.PAUSED not in [s for s, _ in states]
        assert requests_to(sim, "DELETE", f"/channels/{leg.id}")
        await sim.hangup(call)
        await wait_until(lambda: Call.objects.filter(pk=row.pk, outcome=CallOutcome.ANSWERED).exists())
    finally:
        await stop_worker(client, second)


RESUMABLE = {
    "start": "welcome",
    "nodes": {
        "welcome": {"type": "play", "prompt": {"sound": "hello-world"}, "next": "main"},
        "main": {
            "type": "menu",
            "prompt": {"sound": "main-menu"},
            "options": {"1": "segment"},
            "timeout": 30,
            "retries": 2,
            "on_fail": "bye",
        },
        "segment": {"type": "set_variable", "variable": "team", "value": "billing", "next": "billing_menu"},
        "billing_menu": {
            "type": "menu",
            "prompt": {"sound": "billing-menu"},
            "options": {"1": "to_team", "2": "bye"},
            "timeout": 30,
            "retries": 2,
            "on_fail": "bye",
        },
        "to_team": {"type": "queue", "queue": "{team}"},
        "bye": {"type": "hangup"},
    },
}


def plays_of(sim, channel_id: str, sound: str) -> int:
    return sum(
        sound in r.query.get("media", "") for r in requests_to(sim, "POST", f"/channels/{channel_id}/play")
    )


async def test_given_a_caller_in_an_ivr_menu_when_the_worker_restarts_then_they_resume_in_that_menu(
    sim,
) -> None:
    def setup():
        billing = make_queue("billing")
        agent = make_agent(billing)
        make_route("4202", flow=RESUMABLE, failover_queue=make_queue("failover"))
        return billing, agent

    billing, agent = await sync(setup)()
    client, first = await start_worker(sim)
    call = await sim.dial("4202", caller="13800138000")
    await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, ivr_checkpoint__node="main").exists()
    )
    await sim.press(call, "1")
    await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, ivr_checkpoint__node="billing_menu").exists()
    )
    await sim.wait_for(lambda: plays_of(sim, call.channel_id, "billing-menu") == 1)
    await stop_worker(client, first)  # the worker dies while the caller is in the billing menu

    client, second = await start_worker(sim)
    try:
        session = second.sessions[call.channel_id]
        assert (session.phase, session.ivr.node) == ("ivr", "billing_menu")
        # The caller hears the billing menu again (not the welcome, not the failover queue)...
        await sim.wait_for(lambda: plays_of(sim, call.channel_id, "billing-menu") == 2)
        assert plays_of(sim, call.channel_id, "hello-world") == 1
        row = await call_of(call.channel_id)
        resynced = await sync(lambda: row.events.get(kind="resynced"))()
        assert resynced.data == {"phase": "ivr", "node": "billing_menu"}
        # ...and finishes the flow: '1' goes to the team chosen before the restart.
        await sim.press(call, "1")
        row = await wait_until(
            lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
        )
        assert (row.queue_id, row.agent_id) == (billing.pk, agent.pk)
        assert row.ivr_path == ["welcome", "main", "segment", "billing_menu", "to_team"]
        assert row.ivr_digits == {"main": "1", "billing_menu": "1"}
        assert (row.variables["team"], row.ivr_checkpoint) == ("billing", {})
        assert "failover" not in await kinds(row.pk)
        await sim.hangup(call)
        await wait_until(lambda: Call.objects.filter(pk=row.pk, outcome=CallOutcome.ANSWERED).exists())
    finally:
        await stop_worker(client, second)


async def test_given_a_caller_in_the_welcome_prompt_when_the_worker_restarts_then_the_flow_starts_again(
    sim,
) -> None:
    def setup():
        make_agent(make_queue("billing"))
        make_route("4203", flow=RESUMABLE)

    await sync(setup)()
    client, first = await start_worker(sim)
    call = await sim.dial("4203")
    await sim.wait_for(lambda: plays_of(sim, call.channel_id, "hello-world") == 1)
    await stop_worker(client, first)
    client, second = await start_worker(sim)
    try:
        await sim.wait_for(lambda: plays_of(sim, call.channel_id, "hello-world") == 2)
        await wait_until(
            lambda: Call.objects.filter(channel_id=call.channel_id, ivr_checkpoint__node="main").exists()
        )
        assert second.sessions[call.channel_id].phase == "ivr"
        await sim.hangup(call)
        row = await wait_until(
            lambda: Call.objects.filter(channel_id=call.channel_id, ended_at__isnull=False).first()
        )
        assert row.outcome == CallOutcome.ABANDONED_IVR
    finally:
        await stop_worker(client, second)


async def test_given_a_caller_in_the_survey_when_the_worker_restarts_then_they_finish_rating_the_call(
    sim,
) -> None:
    def setup():
        queue = make_queue("care", survey_enabled=True, record_calls=False, wrapup_seconds=2)
        agent = make_agent(queue)
        make_route("4204", queue=queue)
        return agent

    agent = await sync(setup)()
    client, first = await start_worker(sim)
    call = await sim.dial("4204")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
    )
    await sim.hangup(sim.channel_of(agent.endpoint).id)  # the agent hangs up first: the survey starts
    await wait_until(lambda: Call.objects.filter(pk=row.pk, ivr_checkpoint__node="csat").exists())
    await stop_worker(client, first)

    client, second = await start_worker(sim)
    try:
        assert second.sessions[call.channel_id].phase == "survey"
        await sim.press(call, "4")
        await sim.press(call, "9#")
        row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
        assert (row.csat, row.nps, row.outcome) == (4, 9, CallOutcome.ANSWERED)
        resynced = await sync(lambda: row.events.get(kind="resynced"))()
        assert resynced.data == {"phase": "survey", "node": "csat"}
        # the agent's wrap-up still ends on its own
        await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.READY).exists())
    finally:
        await stop_worker(client, second)
