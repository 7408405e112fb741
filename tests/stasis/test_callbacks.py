"""Agent-first callbacks against the simulator: results, retries, scheduled times, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ccapp import realtime, services
from ccapp.models import (
    Agent,
    AgentState,
    Call,
    CallbackRequest,
    CallbackResult,
    CallbackStatus,
    CallDirection,
    CallEvent,
    CallOutcome,
    Recording,
)
from crm.models import Interaction
from crm.services import create_customer
from tests.services.factories import make_agent, make_queue
from tests.stasis.conftest import AsyncListener, requests_to, start_worker, stop_worker, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER = "+8613900139000"
TRUNK = f"PJSIP/{CUSTOMER}@carrier"


def queue_with_agents(count: int = 1, **fields):
    fields.setdefault("caller_id", "+862161230000")
    fields.setdefault("callback_retry_seconds", 1)  # real seconds: the database clock is not sped up
    queue = make_queue("callbacks", **fields)
    return queue, [make_agent(queue) for _ in range(count)]


def request(queue, number: str = CUSTOMER, **kw) -> CallbackRequest:
    return services.request_callback(queue_id=queue.pk, number=number, **kw)


def state_of(callback_id: int) -> CallbackRequest:
    return CallbackRequest.objects.get(pk=callback_id)


def originated(sim) -> list[tuple[str, str]]:
    return [
        (r.query.get("endpoint", ""), r.query.get("callerId", ""))
        for r in sim.requests
        if r.method == "POST" and r.path.startswith("/channels/cb") and r.path.count("/") == 2
    ]


async def test_given_a_due_callback_when_an_agent_is_ready_then_agent_first_then_customer_bridged_recorded(
    sim, worker
) -> None:
    def setup():
        queue, (agent,) = queue_with_agents()
        customer = create_customer(name="Li Lei", phones=[CUSTOMER])
        return queue, agent, customer

    queue, agent, customer = await sync(setup)()
    sim.agent(TRUNK).answer_after(1.0)
    listener = await AsyncListener().join(realtime.agent_group(agent.pk))
    callback = await sync(request)(queue)
    pop = await listener.until("call_answered")
    done = await wait_until(lambda: CallbackRequest.objects.filter(pk=callback.pk, result="reached").first())
    assert (done.status, done.attempts, pop["agent_id"]) == (CallbackStatus.COMPLETED, 1, agent.pk)
    # agent first (the customer's number shown), then the customer with the queue's caller ID
    assert originated(sim) == [(agent.endpoint, CUSTOMER), (TRUNK, "+862161230000")]
    agent_leg = (await sync(lambda: Call.objects.get(direction=CallDirection.CALLBACK))()).channel_id
    assert requests_to(sim, "POST", f"/channels/{agent_leg}/play")  # the agent's prompt
    row = await sync(lambda: Call.objects.get(channel_id=agent_leg))()
    assert (row.agent_id, row.customer_id, pop["call_id"]) == (agent.pk, customer.pk, row.pk)
    await wait_until(lambda: Recording.objects.filter(call_id=row.pk).exists())
    update = await listener.until("call_updated")
    assert (update["kind"], update["data"]["result"]) == ("callback_result", "reached")

    await sim.hangup(sim.channel_of(TRUNK).id)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.ANSWERED
    events = await sync(lambda: list(row.events.values_list("kind", flat=True)))()
    for kind in ("offered", "callback_agent_answered", "callback_dialing", "answered", "callback_result"):
        assert kind in events
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.WRAP_UP).exists())
    entry = await sync(lambda: Interaction.objects.filter(customer=customer, kind="callback").get())()
    assert entry.data["status"] == CallbackStatus.COMPLETED


async def test_given_a_busy_customer_when_called_back_then_retried_after_the_interval_until_attempts_run_out(
    sim, worker
) -> None:
    queue, (agent,) = await sync(lambda: queue_with_agents(callback_attempts=2))()
    sim.agent(TRUNK).busy()
    callback = await sync(request)(queue)
    first = await wait_until(
        lambda: CallbackRequest.objects.filter(pk=callback.pk, attempts=1, result="busy").first()
    )
    assert first.status == CallbackStatus.PENDING
    assert first.next_attempt_at >= first.last_attempt_at + dt.timedelta(seconds=1)
    final = await wait_until(
        lambda: CallbackRequest.objects.filter(pk=callback.pk, status="failed").first(), 15
    )
    assert (final.result, final.attempts) == (CallbackResult.BUSY, 2)
    dialled = await sync(lambda: CallEvent.objects.filter(kind="callback_dialing").count())()
    assert dialled == 2
    results = await sync(
        lambda: list(
            CallEvent.objects.filter(kind="callback_result").order_by("id").values_list("data", flat=True)
        )
    )()
    assert [(r["result"], r["status"]) for r in results] == [("busy", "pending"), ("busy", "failed")]
    # the agent took both attempts: ready again, not "missed"
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.READY).exists())
    assert (
        await sync(lambda: Call.objects.filter(direction="callback", outcome=CallOutcome.FAILED).count())()
        == 2
    )


async def test_given_an_agent_who_misses_the_callback_then_not_ready_and_another_agent_gets_it(
    sim, worker
) -> None:
    def setup():
        queue, (away, present) = queue_with_agents(2, ring_timeout_seconds=5)
        Agent.objects.filter(pk=away.pk).update(state_since=timezone.now() - dt.timedelta(hours=1))
        return queue, away, present

    queue, away, present = await sync(setup)()
    sim.agent(away.endpoint).ring_out()
    sim.agent(TRUNK).answer_after(1.0)
    callback = await sync(request)(queue)
    done = await wait_until(
        lambda: CallbackRequest.objects.filter(pk=callback.pk, status="completed").first()
    )
    assert done.attempts == 1  # the missed offer is not an attempt at the customer
    missed = await sync(lambda: Agent.objects.get(pk=away.pk))()
    assert (missed.state, missed.state_reason) == (AgentState.PAUSED, "missed_call")
    answered = await sync(lambda: Call.objects.get(direction="callback", answered_at__isnull=False))()
    assert answered.agent_id == present.pk
    assert await sync(lambda: CallEvent.objects.filter(kind="offer_missed", data__agent=away.pk).exists())()
    await sim.hangup(sim.channel_of(TRUNK).id)


async def test_given_a_scheduled_callback_then_it_waits_for_its_time_also_across_a_worker_restart(
    sim,
) -> None:
    queue, _agents = await sync(queue_with_agents)()
    sim.agent(TRUNK).answer_after(1.0)
    client, app = await start_worker(sim, node="first")
    when = timezone.now() + dt.timedelta(seconds=3)
    callback = await sync(lambda: request(queue, scheduled_for=when))()
    await sim.clock.sleep(20)  # one real second: several callback sweeps
    assert (await sync(state_of)(callback.pk)).status == CallbackStatus.PENDING
    assert not originated(sim)
    await stop_worker(client, app)

    client, app = await start_worker(sim, node="second")
    try:
        done = await wait_until(
            lambda: CallbackRequest.objects.filter(pk=callback.pk, result="reached").first()
        )
        row = await sync(lambda: Call.objects.get(direction="callback"))()
        assert row.arrived_at >= when
        assert done.queued_since == when
        await sim.hangup(sim.channel_of(TRUNK).id)
        await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).exists())
    finally:
        await stop_worker(client, app)


async def test_given_a_callback_reserved_for_its_agent_then_only_that_agent_is_offered_it(
    sim, worker
) -> None:
    def setup():
        queue, (other, owner) = queue_with_agents(2)
        Agent.objects.filter(pk=other.pk).update(state_since=timezone.now() - dt.timedelta(hours=1))
        Agent.objects.filter(pk=owner.pk).update(state=AgentState.PAUSED)
        callback = request(queue, agent_id=owner.pk, scheduled_for=timezone.now() + dt.timedelta(seconds=1))
        return owner, callback

    owner, callback = await sync(setup)()
    sim.agent(TRUNK).answer_after(1.0)
    await sim.clock.sleep(40)  # two real seconds: due, but its agent is paused
    assert (await sync(state_of)(callback.pk)).status == CallbackStatus.PENDING
    await sync(services.set_agent_state)(agent_id=owner.pk, state=AgentState.READY)
    done = await wait_until(
        lambda: CallbackRequest.objects.filter(pk=callback.pk, status="completed").first()
    )
    assert [endpoint for endpoint, _ in originated(sim)] == [owner.endpoint, TRUNK]
    assert done.reserved_until > done.scheduled_for
    await sim.hangup(sim.channel_of(TRUNK).id)


async def test_given_a_callback_older_than_a_waiting_caller_then_it_keeps_its_place_and_goes_first(
    sim, worker
) -> None:
    from tests.services.factories import make_route

    def setup():
        queue, (agent,) = queue_with_agents()
        Agent.objects.filter(pk=agent.pk).update(state=AgentState.PAUSED)
        make_route("4200", queue=queue)
        callback = request(queue)
        CallbackRequest.objects.filter(pk=callback.pk).update(
            queued_since=timezone.now() - dt.timedelta(minutes=5)
        )
        return agent, callback

    agent, callback = await sync(setup)()
    sim.agent(TRUNK).answer_after(1.0)
    caller = await sim.dial("4200", caller="13800138000")
    await wait_until(
        lambda: Call.objects.filter(channel_id=caller.channel_id, queued_at__isnull=False).exists()
    )
    await sync(services.set_agent_state)(agent_id=agent.pk, state=AgentState.READY)
    await worker.dispatch_all()
    await wait_until(lambda: CallbackRequest.objects.filter(pk=callback.pk, status="completed").exists())
    assert not await sync(
        lambda: Call.objects.filter(channel_id=caller.channel_id, answered_at__isnull=False).exists()
    )()
    await sim.hangup(sim.channel_of(TRUNK).id)
    await sim.hangup(caller)


async def test_given_a_number_the_rules_forbid_then_the_callback_fails_without_ringing_anyone(
    sim, worker
) -> None:
    queue, (agent,) = await sync(queue_with_agents)()
    callback = await sync(lambda: request(queue, number="+1 212 555 0100"))()
    done = await wait_until(lambda: CallbackRequest.objects.filter(pk=callback.pk, status="failed").first())
    assert done.result == CallbackResult.FAILED
    refused = await sync(lambda: CallEvent.objects.get(kind="callback_refused"))()
    assert refused.data["reason"] == "international_not_allowed"
    assert not originated(sim)
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.READY).exists())
    row = await wait_until(lambda: Call.objects.filter(direction="callback", ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.FAILED


async def test_given_a_ringing_callback_when_cancelled_then_the_legs_are_hung_up_and_the_agent_is_ready(
    sim, worker
) -> None:
    queue, (agent,) = await sync(lambda: queue_with_agents(ring_timeout_seconds=60))()
    sim.agent(agent.endpoint).ring_out()
    callback = await sync(request)(queue)
    await sim.wait_for(lambda: originated(sim))
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.RINGING).exists())
    await sync(services.cancel_callback)(callback_id=callback.pk, user=None, by="sue")
    await wait_until(lambda: Call.objects.filter(direction="callback", ended_at__isnull=False).exists())
    assert [r for r in sim.requests if r.method == "DELETE" and r.path.startswith("/channels/cb-")]
    done = await sync(state_of)(callback.pk)
    assert (done.status, done.result) == (CallbackStatus.CANCELLED, CallbackResult.CANCELLED)
    kinds = await sync(lambda: list(CallEvent.objects.order_by("id").values_list("kind", flat=True)))()
    assert "callback_cancelled" in kinds and "callback_result" in kinds
    await wait_until(lambda: Agent.objects.filter(pk=agent.pk, state=AgentState.READY).exists())
