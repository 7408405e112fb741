"""Routing from a snapshot: the engine's decisions for the ready agents and waiting calls a worker sees now.

The Stasis worker keeps the shared truth (who is ready, which calls wait) in PostgreSQL under row
locks, so it does not hold an engine state between events. On each change it reads a snapshot,
builds a state from it here and lets ``handle`` route the waiting calls: highest effective priority
first across all queues (queue priority, call priority, VIP, aging), each call to the agent(s) its
queue's strategy picks among the eligible ready members (penalty tiers, skills with relaxation,
language: required until the queue's language wait, then speakers first). The worker then claims
the chosen agents under row locks; if another worker was faster it drops those agents and asks again.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ccapp.acd.engine import handle
from ccapp.acd.routing import effective_priority
from ccapp.acd.state import AcdState, Agent, initial_state
from ccapp.acd.types import (
    AgentState,
    CallQueued,
    Membership,
    OfferCall,
    QueueConfig,
    SkillReq,
)
from ccapp.acd.work import Work


@dataclass(frozen=True, slots=True)
class ReadyAgent:
    """A ready agent as the snapshot shows them."""

    agent_id: str
    memberships: tuple[Membership, ...]
    skills: tuple[tuple[str, int], ...] = ()
    languages: frozenset[str] = frozenset()
    idle_since: float = 0.0
    calls_today: int = 0
    talk_seconds_today: float = 0.0


@dataclass(frozen=True, slots=True)
class WaitingCall:
    """A call waiting for an agent, with the time it joined the line."""

    call_id: str
    queue_id: str
    arrived_at: float
    priority: int = 0
    skills: tuple[SkillReq, ...] = ()
    vip: bool = False
    language: str | None = None


def snapshot_state(
    queues: Iterable[QueueConfig],
    agents: Iterable[ReadyAgent],
    *,
    now: float,
    rr_last: Mapping[str, int] | None = None,
    seed: int = 0,
) -> AcdState:
    """An engine state holding these queues and ready agents (idle order and daily counters kept)."""
    w = Work(initial_state(queues, seed=seed), now, None)
    # In idle order, so each penalty tier is built longest idle first without re-sorting.
    for ready in sorted(agents, key=lambda a: (a.idle_since, a.agent_id)):
        w.put_agent(
            Agent(
                agent_id=ready.agent_id,
                state=AgentState.READY,
                memberships=tuple(m for m in ready.memberships if m.queue_id in w.queues),
                skills=dict(ready.skills),
                languages=ready.languages,
                idle_since=min(ready.idle_since, now),
                calls_today=ready.calls_today,
                talk_seconds_today=ready.talk_seconds_today,
            )
        )
    for queue_id, order in (rr_last or {}).items():
        w.set_rr_last(queue_id, order)
    return w.freeze()


def assign(
    queues: Iterable[QueueConfig],
    agents: Iterable[ReadyAgent],
    calls: Iterable[WaitingCall],
    *,
    now: float,
    rr_last: Mapping[str, int] | None = None,
    rng: random.Random | None = None,
) -> tuple[OfferCall, ...]:
    """Offers for the waiting calls, best first, each by its queue's strategy; the rest keep waiting."""
    configs = {q.queue_id: q for q in queues}
    state = snapshot_state(configs.values(), agents, now=now, rr_last=rr_last)
    known = [c for c in calls if c.queue_id in configs]

    def rank(call: WaitingCall) -> tuple[float, float, str]:
        config = configs[call.queue_id]
        priority = effective_priority(config, call.vip, call.priority, call.arrived_at, now)
        return (-priority, call.arrived_at, call.call_id)

    offers: list[OfferCall] = []
    for call in sorted(known, key=rank):
        if not state.ready.get(call.queue_id):
            continue  # nobody ready in this queue: the call keeps waiting
        event = CallQueued(
            call.call_id,
            call.queue_id,
            priority=call.priority,
            skills=call.skills,
            vip=call.vip,
            language=call.language,
            arrived_at=min(call.arrived_at, now),
        )
        state, commands = handle(state, event, now=now, rng=rng)
        offers.extend(c for c in commands if isinstance(c, OfferCall))
    return tuple(offers)
