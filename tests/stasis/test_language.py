"""The worker and a caller's language: required until the queue's language wait, then speakers first."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.utils import timezone

from ccapp.models import Agent, Call
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import FACTOR, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def speaking(agent: Agent, languages: str, *, idle_minutes: float = 1) -> Agent:
    """The agent speaks these languages (a comma list) and has been ready for `idle_minutes`."""
    since = timezone.now() - dt.timedelta(minutes=idle_minutes)
    Agent.objects.filter(pk=agent.pk).update(language=languages, state_since=since)
    return agent


def answered_by(channel_id: str) -> Call | None:
    return Call.objects.filter(channel_id=channel_id, answered_at__isnull=False).first()


async def test_given_only_zh_agents_when_an_en_caller_waits_past_the_language_wait_then_a_zh_agent_gets_it(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("intl", language_wait_seconds=40)
        agent = speaking(make_agent(queue), "zh")
        make_route("4107", queue=queue, language="en")
        return agent

    agent = await sync(setup)()

    call = await sim.dial("4107")
    async with asyncio.timeout(20):
        while not (row := await sync(answered_by)(call.channel_id)):
            await worker.dispatch_all()  # what `serve` does every few seconds
            await asyncio.sleep(0.1)
    assert row.agent_id == agent.pk
    # Offered only once the caller had waited the queue's 40 simulated seconds.
    assert (row.offered_at - row.queued_at).total_seconds() * FACTOR >= 40
    await sim.hangup(call)


async def test_given_an_en_caller_past_the_language_wait_when_zh_and_en_agents_are_ready_then_en_gets_it(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("export", language_wait_seconds=0)
        speaking(make_agent(queue), "zh", idle_minutes=60)  # longest idle: chosen if language did not count
        en = speaking(make_agent(queue), "en")
        make_route("4108", queue=queue, language="en")
        return en

    en = await sync(setup)()
    call = await sim.dial("4108")
    row = await wait_until(lambda: answered_by(call.channel_id))
    assert row.agent_id == en.pk
    await sim.hangup(call)
