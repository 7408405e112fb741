"""Offering waiting calls: a snapshot of ready agents, the ACD engine's decision, claims under row locks.

Runs in one database thread per dispatch pass. The engine (`ccapp.acd.assign`) decides; each
claim is its own transaction (`services.claim_agent`, `select_for_update(skip_locked=True)`), so
two workers never ring one agent for two calls. An agent another worker claimed first is dropped
from the snapshot and the engine is asked again for the calls still waiting.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Sum
from django.utils import timezone

from ccapp import acd, services
from ccapp.models import AgentSkill, AgentState, Call, CallEvent, Queue, QueueMember, QueueSkill, Strategy

COUNTER_STRATEGIES = frozenset({Strategy.FEWEST_CALLS, Strategy.LEAST_TALK_TIME})


@dataclass(frozen=True)
class Waiting:
    """A call this worker holds in a queue, as the engine needs it."""

    call_id: int
    queue_id: int
    queued_at: datetime
    priority: int = 0
    vip: bool = False
    language: str | None = None


@dataclass
class Snapshot:
    """Queues and ready agents read for one pass."""

    configs: dict[int, acd.QueueConfig]
    strategies: dict[int, str]
    skills: dict[int, tuple[acd.SkillReq, ...]]
    agents: dict[int, acd.ReadyAgent]
    orders: dict[tuple[int, int], int]  # (queue, agent) -> hunting order


def _clock(now: datetime, factor: float):
    """Datetimes as engine seconds, stretched by the time factor (simulated seconds in tests)."""
    base = now.timestamp()
    return lambda at: base - max(0.0, base - at.timestamp()) * factor


def load_snapshot(queue_ids: Iterable[int], *, now: datetime, factor: float = 1.0) -> Snapshot | None:
    """Ready members of these queues with their penalties, skills and counters; None if nobody is ready."""
    queue_ids = set(queue_ids)
    members = list(
        QueueMember.objects.filter(queue_id__in=queue_ids, logged_in=True, agent__state=AgentState.READY)
        .values_list(
            "queue_id", "agent_id", "penalty", "order", "weight", "agent__state_since", "agent__language"
        )
        .order_by("agent_id")
    )
    if not members:
        return None
    seconds = _clock(now, factor)
    queues = Queue.objects.filter(pk__in={m[0] for m in members})
    configs = {q.pk: _config(q) for q in queues}
    strategies = {q.pk: q.strategy for q in queues}
    skills: dict[int, list[acd.SkillReq]] = defaultdict(list)
    for queue_id, skill_id, level in QueueSkill.objects.filter(queue_id__in=configs).values_list(
        "queue_id", "skill_id", "min_level"
    ):
        skills[queue_id].append(acd.SkillReq(str(skill_id), level))
    agent_ids = {m[1] for m in members}
    levels: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for agent_id, skill_id, level in AgentSkill.objects.filter(agent_id__in=agent_ids).values_list(
        "agent_id", "skill_id", "level"
    ):
        levels[agent_id].append((str(skill_id), level))
    counters = _counters(agent_ids, now) if COUNTER_STRATEGIES & set(strategies.values()) else {}
    memberships: dict[int, list[acd.Membership]] = defaultdict(list)
    profile: dict[int, tuple[datetime, str]] = {}
    orders: dict[tuple[int, int], int] = {}
    for queue_id, agent_id, penalty, order, weight, since, languages in members:
        if queue_id in configs:
            memberships[agent_id].append(acd.Membership(str(queue_id), penalty, order, float(weight)))
            profile[agent_id] = (since, languages)
            orders[(queue_id, agent_id)] = order
    agents = {
        agent_id: acd.ReadyAgent(
            agent_id=str(agent_id),
            memberships=tuple(memberships[agent_id]),
            skills=tuple(levels[agent_id]),
            languages=frozenset(x.strip() for x in profile[agent_id][1].split(",") if x.strip()),
            idle_since=seconds(profile[agent_id][0]),
            calls_today=counters.get(agent_id, (0, 0.0))[0],
            talk_seconds_today=counters.get(agent_id, (0, 0.0))[1],
        )
        for agent_id in memberships
    }
    return Snapshot(configs, strategies, {q: tuple(s) for q, s in skills.items()}, agents, orders)


def _config(queue: Queue) -> acd.QueueConfig:
    relax = ()
    if queue.relax_after_seconds is not None:
        relax = (acd.RelaxStep(float(queue.relax_after_seconds), queue.relax_levels),)
    return acd.QueueConfig(
        str(queue.pk),
        strategy=acd.Strategy(queue.strategy),
        wrapup_seconds=float(queue.wrapup_seconds),
        max_wait_seconds=None,  # the worker runs max wait and overflow itself
        relaxation=relax,
        aging_per_second=queue.aging_per_minute / 60.0,
        priority=queue.priority,
    )


def _counters(agent_ids: set[int], now: datetime) -> dict[int, tuple[int, float]]:
    """Calls answered today and their talk seconds, per agent (fewest calls, least talk time)."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Call.objects.filter(agent_id__in=agent_ids, answered_at__gte=midnight)
        .values("agent_id")
        .annotate(calls=Count("id"), talk=Sum("talk_seconds"))
    )
    return {r["agent_id"]: (r["calls"], float(r["talk"] or 0.0)) for r in rows}


def last_round_robin_order(queue_id: int) -> int | None:
    """The hunting order of the agent who got the queue's last offer (round robin after a restart)."""
    agent_id = (
        CallEvent.objects.filter(kind="offered", call__queue_id=queue_id)
        .order_by("-id")
        .values_list("data__agent", flat=True)
        .first()
    )
    if agent_id is None:
        return None
    member = QueueMember.objects.filter(queue_id=queue_id, agent_id=agent_id)
    return member.values_list("order", flat=True).first()


def claim_offers(
    waiting: list[Waiting],
    *,
    rr_last: dict[int, int],
    rng: random.Random | None = None,
    factor: float = 1.0,
    now: datetime | None = None,
) -> dict[int, list[int]]:
    """Claim agents for waiting calls as the engine decides: call id -> claimed agent ids.

    `rr_last` (queue -> hunting order of the last round-robin offer) is read and updated.
    """
    now = now or timezone.now()
    snapshot = load_snapshot({w.queue_id for w in waiting}, now=now, factor=factor)
    if snapshot is None:
        return {}
    for queue_id, strategy in snapshot.strategies.items():
        if strategy == Strategy.ROUND_ROBIN and queue_id not in rr_last:
            order = last_round_robin_order(queue_id)
            if order is not None:
                rr_last[queue_id] = order
    seconds = _clock(now, factor)
    calls = {
        w.call_id: acd.WaitingCall(
            call_id=str(w.call_id),
            queue_id=str(w.queue_id),
            arrived_at=seconds(w.queued_at),
            priority=w.priority,
            skills=snapshot.skills.get(w.queue_id, ()),
            vip=w.vip,
            language=w.language or None,
        )
        for w in waiting
    }
    return _claim_loop(snapshot, calls, rr_last, rng, now.timestamp())


def _claim_loop(
    snapshot: Snapshot,
    calls: dict[int, acd.WaitingCall],
    rr_last: dict[int, int],
    rng: random.Random | None,
    now: float,
) -> dict[int, list[int]]:
    agents = dict(snapshot.agents)
    claims: dict[int, list[int]] = {}
    while calls and agents:
        offers = acd.assign(
            snapshot.configs.values(),
            agents.values(),
            calls.values(),
            now=now,
            rr_last={str(q): o for q, o in rr_last.items()},
            rng=rng,
        )
        lost = False
        for offer in offers:
            call_id, queue_id = int(offer.call_id), int(offer.queue_id)
            claimed, taken = [], []
            for agent_id in map(int, offer.agent_ids):
                agent = services.claim_agent(call_id=call_id, agent_ids=[agent_id])
                (claimed if agent is not None else taken).append(agent_id)
                agents.pop(agent_id, None)
            if claimed:
                claims[call_id] = claimed
                calls.pop(call_id, None)
                if snapshot.strategies.get(queue_id) == Strategy.ROUND_ROBIN:
                    rr_last[queue_id] = snapshot.orders.get((queue_id, claimed[0]), 0)
            if taken:
                lost = True  # another worker (or a state change) was first: ask the engine again
                break
        if not lost:
            break
    return claims
