"""Claims after the engine's decision: row locks, a faster worker, round-robin memory (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ccapp import services
from ccapp.models import Agent, AgentState, Call, QueueMember
from ccapp.models.queues import Strategy
from ccapp.stasis import claims
from tests.services.factories import make_agent, make_queue

pytestmark = pytest.mark.django_db(transaction=True)


def waiting_call(queue, minutes_ago: float = 1.0) -> claims.Waiting:
    call = Call.objects.create(channel_id=f"ch-{Call.objects.count()}", queue=queue)
    queued_at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    Call.objects.filter(pk=call.pk).update(queued_at=queued_at)
    return claims.Waiting(call_id=call.pk, queue_id=queue.pk, queued_at=queued_at, language="zh")


def test_it_asks_the_engine_again_when_another_worker_claimed_the_chosen_agent() -> None:
    queue = make_queue("sales")
    chosen, other = make_agent(queue), make_agent(queue)
    Agent.objects.filter(pk=chosen.pk).update(state_since=timezone.now() - dt.timedelta(hours=1))
    call = waiting_call(queue)
    snapshot = claims.load_snapshot([queue.pk], now=timezone.now())
    # Another worker claims the longest-idle agent between our snapshot and our claim.
    rival = Call.objects.create(channel_id="rival", queue=queue)
    assert services.claim_agent(call_id=rival.pk, agent_ids=[chosen.pk]) is not None

    line = {call.key: (call, claims.acd.WaitingCall(call.key, str(queue.pk), 0.0, language="zh"))}
    got = claims.Claims()
    now = timezone.now().timestamp()
    claims._claim_loop(snapshot, dict(snapshot.agents), line, {}, None, now, got, "node")
    assert got.calls == {call.call_id: [other.pk]}
    assert Agent.objects.get(pk=other.pk).current_call_id == call.call_id


def test_it_skips_an_agent_whose_row_another_worker_holds_locked() -> None:
    queue = make_queue("sales")
    first, second = make_agent(queue), make_agent(queue)
    Agent.objects.filter(pk=first.pk).update(state_since=timezone.now() - dt.timedelta(hours=1))
    call = waiting_call(queue)
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with transaction.atomic():
            list(Agent.objects.select_for_update().filter(pk=first.pk))
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        got = claims.claim_offers([call], rr_last={})
    finally:
        release.set()
        thread.join()
    assert got.calls == {call.call_id: [second.pk]}  # skip_locked: no waiting on the other worker's lock


def test_round_robin_resumes_after_the_last_offered_agent_from_the_database() -> None:
    queue = make_queue("rr", strategy=Strategy.ROUND_ROBIN)
    agents = [make_agent(queue) for _ in range(3)]
    for order, agent in enumerate(agents):
        QueueMember.objects.filter(queue=queue, agent=agent).update(order=order)
    earlier = Call.objects.create(channel_id="earlier", queue=queue)
    services.offer_call(call_id=earlier.pk, agent_id=agents[1].pk)  # the last offer went to order 1
    rr_last: dict[int, int] = {}
    got = claims.claim_offers([waiting_call(queue)], rr_last=rr_last)
    assert list(got.calls.values()) == [[agents[2].pk]]
    assert rr_last == {queue.pk: 2}


def test_nobody_ready_means_no_claims_and_one_query(django_assert_num_queries) -> None:
    queue = make_queue("sales")
    make_agent(queue, state=AgentState.PAUSED)
    call = waiting_call(queue)
    with django_assert_num_queries(1):
        assert claims.claim_offers([call], rr_last={}) == claims.Claims()


def test_a_pass_reads_queue_and_skill_settings_once_then_only_the_ready_agents(
    django_assert_num_queries,
) -> None:
    queue = make_queue("sales")
    make_agent(queue)
    claims.load_snapshot([queue.pk], now=timezone.now())
    with django_assert_num_queries(1):
        assert claims.load_snapshot([queue.pk], now=timezone.now()) is not None
