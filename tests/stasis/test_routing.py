"""The worker routes as the ACD engine decides: each queue's strategy, skills, priorities across queues.

Every scenario is built so that the old rule (lowest penalty, then longest idle, queue by queue)
would pick another agent or another call.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ccapp import realtime, services
from ccapp.models import Agent, AgentSkill, AgentState, Call, CallOutcome, QueueMember, QueueSkill, Skill
from ccapp.models.queues import Strategy
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import AsyncListener, requests_to, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def idle_for(agent: Agent, minutes: float) -> None:
    """Make an agent ready since `minutes` ago (longest idle = largest)."""
    since = timezone.now() - dt.timedelta(minutes=minutes)
    Agent.objects.filter(pk=agent.pk).update(state_since=since)


def answered_by(channel_id: str) -> Call | None:
    return Call.objects.filter(channel_id=channel_id, answered_at__isnull=False).first()


async def test_given_a_skills_based_queue_when_a_call_arrives_then_the_best_skilled_agent_gets_it(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("tech", strategy=Strategy.SKILLS_BASED)
        skill = Skill.objects.create(name="routers")
        QueueSkill.objects.create(queue=queue, skill=skill, min_level=2)
        novice, expert = make_agent(queue), make_agent(queue)
        AgentSkill.objects.create(agent=novice, skill=skill, level=3)
        AgentSkill.objects.create(agent=expert, skill=skill, level=9)
        idle_for(novice, 60)  # longest idle: the old rule's choice
        idle_for(expert, 1)
        make_route("4100", queue=queue)
        return novice, expert

    _novice, expert = await sync(setup)()
    call = await sim.dial("4100")
    row = await wait_until(lambda: answered_by(call.channel_id))
    assert row.agent_id == expert.pk
    originated = [r.query["endpoint"] for r in requests_to(sim, "POST", "/channels/agent-")]
    assert originated == [expert.endpoint]
    await sim.hangup(call)


async def test_given_a_queue_skill_when_the_longest_idle_agent_lacks_it_then_a_skilled_agent_gets_it(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("billing")  # longest idle, but only among agents with the skill
        skill = Skill.objects.create(name="refunds")
        QueueSkill.objects.create(queue=queue, skill=skill, min_level=5)
        unskilled, skilled = make_agent(queue), make_agent(queue)
        AgentSkill.objects.create(agent=unskilled, skill=skill, level=2)
        AgentSkill.objects.create(agent=skilled, skill=skill, level=5)
        idle_for(unskilled, 60)
        idle_for(skilled, 1)
        make_route("4101", queue=queue)
        return skilled

    skilled = await sync(setup)()
    call = await sim.dial("4101")
    row = await wait_until(lambda: answered_by(call.channel_id))
    assert row.agent_id == skilled.pk
    await sim.hangup(call)


async def test_given_a_round_robin_queue_when_two_calls_arrive_then_agents_are_taken_in_hunting_order(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("rr", strategy=Strategy.ROUND_ROBIN)
        agents = [make_agent(queue) for _ in range(3)]
        for order, agent in enumerate(agents):
            QueueMember.objects.filter(queue=queue, agent=agent).update(order=order)
            idle_for(agent, 10 * (order + 1))  # the last in order is the longest idle
        make_route("4102", queue=queue)
        return agents

    first, second, _third = await sync(setup)()
    one = await sim.dial("4102", caller="13800138001")
    row_one = await wait_until(lambda: answered_by(one.channel_id))
    two = await sim.dial("4102", caller="13800138002")
    row_two = await wait_until(lambda: answered_by(two.channel_id))
    assert (row_one.agent_id, row_two.agent_id) == (first.pk, second.pk)  # longest idle: third, then second
    await sim.hangup(one)
    await sim.hangup(two)


async def test_given_least_talk_time_when_a_call_arrives_then_the_agent_who_talked_least_today_gets_it(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("care", strategy=Strategy.LEAST_TALK_TIME)
        busy, rested = make_agent(queue), make_agent(queue)
        now = timezone.now()
        Call.objects.create(
            channel_id="earlier",
            queue=queue,
            agent=busy,
            answered_at=now - dt.timedelta(minutes=30),
            ended_at=now - dt.timedelta(minutes=20),
            talk_seconds=600,
            outcome=CallOutcome.ANSWERED,
        )
        idle_for(busy, 15)
        idle_for(rested, 1)
        make_route("4103", queue=queue)
        return rested

    rested = await sync(setup)()
    call = await sim.dial("4103")
    row = await wait_until(lambda: answered_by(call.channel_id))
    assert row.agent_id == rested.pk
    await sim.hangup(call)


async def test_given_calls_in_two_queues_when_a_shared_agent_is_ready_then_the_higher_priority_queue_wins(
    sim, worker
) -> None:
    def setup():
        low, high = make_queue("general"), make_queue("premium", priority=5)
        agent = make_agent(low, state=AgentState.PAUSED)
        QueueMember.objects.create(queue=high, agent=agent)
        make_route("4104", queue=low)
        make_route("4105", queue=high)
        return agent

    agent = await sync(setup)()
    older = await sim.dial("4104", caller="13800138003")
    await wait_until(
        lambda: Call.objects.filter(channel_id=older.channel_id, queued_at__isnull=False).exists()
    )
    newer = await sim.dial("4105", caller="13800138004")
    await wait_until(
        lambda: Call.objects.filter(channel_id=newer.channel_id, queued_at__isnull=False).exists()
    )

    await sync(services.set_agent_state)(agent_id=agent.pk, state=AgentState.READY)
    await worker.dispatch_all()  # what the worker's sweep does for agents made ready from the web
    row = await wait_until(lambda: answered_by(newer.channel_id))
    assert row.agent_id == agent.pk
    assert not await sync(lambda: answered_by(older.channel_id))()
    await sim.hangup(newer)
    await sim.hangup(older)


async def test_given_ring_all_when_a_call_arrives_then_every_ready_agent_rings_and_the_first_answer_wins(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("team", strategy=Strategy.RING_ALL)
        agents = [make_agent(queue) for _ in range(3)]
        make_route("4106", queue=queue)
        return agents

    slow, fast, away = await sync(setup)()
    sim.agent(slow.endpoint).answer_after(3.0)
    sim.agent(fast.endpoint).answer_after(1.0)
    sim.agent(away.endpoint).ring_out()
    listener = await AsyncListener().join(realtime.agent_group(fast.pk))
    call = await sim.dial("4106")
    pop = await listener.until("call_answered")
    row = await wait_until(lambda: answered_by(call.channel_id))
    assert (pop["agent_id"], row.agent_id) == (fast.pk, fast.pk)
    originated = {r.query["endpoint"] for r in requests_to(sim, "POST", "/channels/agent-")}
    assert originated == {slow.endpoint, fast.endpoint, away.endpoint}
    hung_up = [r for r in sim.requests if r.method == "DELETE" and r.path.startswith("/channels/agent-")]
    assert len(hung_up) == 2  # the other two legs
    ready = {slow.pk, away.pk}
    await wait_until(lambda: Agent.objects.filter(pk__in=ready, state=AgentState.READY).count() == 2)
    await sim.hangup(call)
