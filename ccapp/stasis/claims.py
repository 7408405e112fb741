"""Offering waiting calls: a snapshot of ready agents, the ACD engine's decision, claims under row locks.

Runs in one database thread per dispatch pass. The engine (`ccapp.acd.assign`) decides; each
claim is its own transaction (`services.claim_agent`, `select_for_update(skip_locked=True)`), so
two workers never ring one agent for two calls. An agent another worker claimed first is dropped
from the snapshot and the engine is asked again for the calls still waiting.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from ccapp import acd, selectors, services
from ccapp.models import AgentSkill, AgentState, Call, CallEvent, Queue, QueueMember, QueueSkill, Strategy

COUNTER_STRATEGIES = frozenset({Strategy.FEWEST_CALLS, Strategy.LEAST_TALK_TIME})
SETTINGS_SECONDS = 5.0


@dataclass(frozen=True)
class Waiting:
    """A call this worker holds in a queue, or a due callback (`call_id` is then the callback's id)."""

    call_id: int
    queue_id: int
    queued_at: datetime
    priority: int = 0
    vip: bool = False
    language: str | None = None
    callback: bool = False
    reserved_for: int | None = None  # a callback only its agent may take for now

    @property
    def key(self) -> str:
        """The engine's id: calls and callbacks share one line per queue."""
        return f"{'b' if self.callback else 'c'}{self.call_id}"


@dataclass
class Claims:
    """What a pass claimed: agents for calls this worker holds, and callback attempts to dial."""

    calls: dict[int, list[int]] = field(default_factory=dict)
    endpoints: dict[int, str] = field(default_factory=dict)  # claimed agent -> phone, read under the lock
    callbacks: list[services.CallbackClaim] = field(default_factory=list)
    callbacks_waiting: bool = False  # due callbacks were left for a later pass


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


class _PerIdCache:
    """Routing settings that change rarely (queues, required and agent skills), kept a few seconds.

    One dispatch pass then costs one query (the ready members) instead of four; an edit reaches
    routing within `SETTINGS_SECONDS`, as the worker's other settings do.
    """

    def __init__(self, load: Callable[[set[int]], dict[int, Any]]) -> None:
        self.load = load
        self.values: dict[int, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def get(self, ids: set[int]) -> dict[int, Any]:
        now = time.monotonic()
        with self.lock:
            found = {
                i: v for i, (until, v) in ((i, self.values.get(i, (0.0, None))) for i in ids) if until > now
            }
        missing = ids - found.keys()
        if missing:
            loaded = self.load(missing)
            with self.lock:
                for i in missing:
                    self.values[i] = (now + SETTINGS_SECONDS, loaded[i])
            found.update((i, loaded[i]) for i in missing)
        return found

    def clear(self) -> None:
        with self.lock:
            self.values.clear()


def _load_queue_routing(queue_ids: set[int]) -> dict[int, tuple[acd.QueueConfig, tuple[acd.SkillReq, ...]]]:
    skills: dict[int, list[acd.SkillReq]] = defaultdict(list)
    rows = QueueSkill.objects.filter(queue_id__in=queue_ids).values_list("queue_id", "skill_id", "min_level")
    for queue_id, skill_id, level in rows:
        skills[queue_id].append(acd.SkillReq(str(skill_id), level))
    found = {q.pk: (_config(q), tuple(skills[q.pk])) for q in Queue.objects.filter(pk__in=queue_ids)}
    # A queue deleted meanwhile routes nothing (its calls are failed over elsewhere).
    return {q: found.get(q, (acd.QueueConfig(str(q)), ())) for q in queue_ids}


def _load_agent_skills(agent_ids: set[int]) -> dict[int, tuple[tuple[str, int], ...]]:
    levels: dict[int, list[tuple[str, int]]] = defaultdict(list)
    rows = AgentSkill.objects.filter(agent_id__in=agent_ids).values_list("agent_id", "skill_id", "level")
    for agent_id, skill_id, level in rows:
        levels[agent_id].append((str(skill_id), level))
    return {a: tuple(levels[a]) for a in agent_ids}


_queue_routing = _PerIdCache(_load_queue_routing)
_agent_skills = _PerIdCache(_load_agent_skills)


def forget_settings() -> None:
    """Drop the cached routing settings (tests that edit them between calls)."""
    _queue_routing.clear()
    _agent_skills.clear()


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
    routing = _queue_routing.get({m[0] for m in members})
    configs = {q: r[0] for q, r in routing.items()}
    strategies = {q: r[0].strategy.value for q, r in routing.items()}
    skills = {q: r[1] for q, r in routing.items()}
    agent_ids = {m[1] for m in members}
    levels = _agent_skills.get(agent_ids)
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
            skills=levels[agent_id],
            languages=frozenset(x.strip() for x in profile[agent_id][1].split(",") if x.strip()),
            idle_since=seconds(profile[agent_id][0]),
            calls_today=counters.get(agent_id, (0, 0.0))[0],
            talk_seconds_today=counters.get(agent_id, (0, 0.0))[1],
        )
        for agent_id in memberships
    }
    return Snapshot(configs, strategies, skills, agents, orders)


def _config(queue: Queue) -> acd.QueueConfig:
    relax = ()
    if queue.relax_after_seconds is not None:
        relax = (acd.RelaxStep(float(queue.relax_after_seconds), queue.relax_levels),)
    language_wait = queue.language_wait_seconds  # None: the call's language stays required
    return acd.QueueConfig(
        str(queue.pk),
        strategy=acd.Strategy(queue.strategy),
        wrapup_seconds=float(queue.wrapup_seconds),
        max_wait_seconds=None,  # the worker runs max wait and overflow itself
        relaxation=relax,
        aging_per_second=queue.aging_per_minute / 60.0,
        priority=queue.priority,
        language_wait_seconds=None if language_wait is None else float(language_wait),
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


def due_callbacks(now: datetime) -> list[Waiting]:
    """Due callbacks as waiting calls: their place in line is `queued_since` (or their scheduled time)."""
    reserved = []
    for cb in selectors.due_callbacks(now):
        origin = cb.origin_call
        keep = cb.agent_id if cb.reserved_until and cb.reserved_until > now else None
        reserved.append(
            Waiting(
                call_id=cb.pk,
                queue_id=cb.queue_id,
                queued_at=cb.queued_since,
                priority=origin.priority if origin else 0,
                vip=origin.vip if origin else False,
                language=origin.language if origin else None,
                callback=True,
                reserved_for=keep,
            )
        )
    return reserved


def claim_offers(
    waiting: list[Waiting],
    *,
    rr_last: dict[int, int],
    rng: random.Random | None = None,
    factor: float = 1.0,
    now: datetime | None = None,
    callbacks: bool = False,
    node: str = "",
) -> Claims:
    """Claim agents for waiting calls (and due callbacks) as the engine decides.

    `rr_last` (queue -> hunting order of the last round-robin offer) is read and updated.
    """
    now = now or timezone.now()
    if callbacks:
        waiting = [*waiting, *due_callbacks(now)]
    if not waiting:
        return Claims()
    snapshot = load_snapshot({w.queue_id for w in waiting}, now=now, factor=factor)
    if snapshot is None:
        return Claims(callbacks_waiting=any(w.callback for w in waiting))
    for queue_id, strategy in snapshot.strategies.items():
        if strategy == Strategy.ROUND_ROBIN and queue_id not in rr_last:
            order = last_round_robin_order(queue_id)
            if order is not None:
                rr_last[queue_id] = order
    claims = Claims()
    agents = dict(snapshot.agents)
    for item in [w for w in waiting if w.reserved_for is not None]:
        # A promised callback goes to its agent (no strategy to apply) or waits for them.
        if agents.pop(item.reserved_for, None) is not None:
            _claim(item, [item.reserved_for], claims, node)
    seconds = _clock(now, factor)
    lines = {
        w.key: (
            w,
            acd.WaitingCall(
                call_id=w.key,
                queue_id=str(w.queue_id),
                arrived_at=seconds(w.queued_at),
                priority=w.priority,
                skills=snapshot.skills.get(w.queue_id, ()),
                vip=w.vip,
                language=w.language or None,
            ),
        )
        for w in waiting
        if w.reserved_for is None
    }
    _claim_loop(snapshot, agents, lines, rr_last, rng, now.timestamp(), claims, node)
    claims.callbacks_waiting = any(w.callback for w, _ in lines.values())
    return claims


def _claim(item: Waiting, agent_ids: list[int], claims: Claims, node: str) -> tuple[list[int], bool]:
    """Claim agents for one entry of the line: (agents no longer free, whether the entry left the line).

    An agent is no longer free when claimed here or by another worker; a callback also leaves the
    line when another worker took it or it was cancelled (its agent then stays free).
    """
    if item.callback:
        claim, why = services.start_callback_attempt(
            callback_id=item.call_id, agent_id=agent_ids[0], stasis_node=node
        )
        if claim is not None:
            claims.callbacks.append(claim)
        return ([] if why == "callback" else agent_ids[:1]), why != "agent"
    claimed = []
    for agent_id in agent_ids:
        # The offer is recorded with the claim: the worker then rings without another transaction.
        agent = services.claim_and_offer(call_id=item.call_id, agent_id=agent_id)
        if agent is not None:
            claimed.append(agent_id)
            claims.endpoints[agent_id] = agent.endpoint
    if claimed:
        claims.calls[item.call_id] = claimed
    return agent_ids, bool(claimed)


def _claim_loop(
    snapshot: Snapshot,
    agents: dict[int, acd.ReadyAgent],
    lines: dict[str, tuple[Waiting, acd.WaitingCall]],
    rr_last: dict[int, int],
    rng: random.Random | None,
    now: float,
    claims: Claims,
    node: str,
) -> None:
    while lines and agents:
        offers = acd.assign(
            snapshot.configs.values(),
            agents.values(),
            [line for _, line in lines.values()],
            now=now,
            rr_last={str(q): o for q, o in rr_last.items()},
            rng=rng,
        )
        again = False
        for offer in offers:
            item = lines[offer.call_id][0]
            wanted = [int(a) for a in offer.agent_ids]
            engaged, gone = _claim(item, wanted, claims, node)
            for agent_id in engaged:
                agents.pop(agent_id, None)
            if gone:
                lines.pop(offer.call_id, None)
            claimed = claims.calls.get(item.call_id, []) if not item.callback else engaged
            if gone and claimed and snapshot.strategies.get(item.queue_id) == Strategy.ROUND_ROBIN:
                rr_last[item.queue_id] = snapshot.orders.get((item.queue_id, claimed[0]), 0)
            if not gone or len(claimed) < len(wanted):
                again = True  # another worker was first (agent or callback): ask the engine again
                break
        if not again:
            break
