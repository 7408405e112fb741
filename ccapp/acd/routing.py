"""Routing decisions: which ready agents may take a call, which one gets it, which call an agent takes.

Two directions, both cheap:

* call side (a call arrives or comes back): scan the ready agents of the call's queue, lowest penalty
  tier first, and order the eligible ones by the queue's strategy. Cost: the ready members of one queue.
* agent side (an agent frees up): look only at the head of each lane of each of the agent's queues.
  A lane holds calls with equal (VIP, priority, skills, language), first-come first-served, so its head
  is also its most relaxed call: if the agent cannot take the head, it cannot take any call of the lane.
  Cost: memberships x lanes, independent of the number of waiting calls.

A call's language is a requirement until the call has waited its queue's ``language_wait_seconds``;
after that any agent may take it, but the ready speakers of the language (in any penalty tier) are
still tried first and only when none may take the call does the choice go to the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ccapp.acd.state import Agent, Call
from ccapp.acd.types import QueueConfig, SkillReq, Strategy

# A VIP call outranks any priority a normal call can age into within a working day.
VIP_BONUS = 1_000_000.0


def relax_delta(config: QueueConfig, waited: float) -> int:
    """How many levels the call's skill minimums have dropped after ``waited`` seconds."""
    delta = 0
    for step in config.relaxation:
        if waited >= step.after_seconds and step.level_delta > delta:
            delta = step.level_delta
    return delta


def language_relaxed(config: QueueConfig, waited: float) -> bool:
    """True once a call has waited long enough for agents of any language to take it."""
    wait = config.language_wait_seconds
    return wait is not None and waited >= wait


def is_eligible(agent: Agent, skills: tuple[SkillReq, ...], language: str | None, delta: int = 0) -> bool:
    """True if the agent has every (relaxed) skill level and speaks the call's language."""
    if language is not None and language not in agent.languages:
        return False
    have = agent.skills
    for req in skills:
        need = req.min_level - delta
        if need > 0 and have.get(req.skill, 0) < need:
            return False
    return True


def skill_score(agent: Agent, skills: tuple[SkillReq, ...]) -> int:
    """Sum of the agent's levels in the call's skills: higher is a better match."""
    have = agent.skills
    return sum(have.get(req.skill, 0) for req in skills)


def effective_priority(config: QueueConfig, vip: bool, priority: int, arrived_at: float, now: float) -> float:
    """The priority a waiting call has now: queue priority + call priority + VIP + aging."""
    aged = config.aging_per_second * max(0.0, now - arrived_at)
    return config.priority + priority + (VIP_BONUS if vip else 0.0) + aged


def pick_agents(w: Any, call: Call) -> tuple[str, ...]:
    """The agent(s) to offer ``call`` to now, or ``()`` if no ready agent may take it."""
    config: QueueConfig = w.queues[call.queue_id]
    tiers: Mapping[int, Mapping[str, float]] = w.ready.get(call.queue_id, {})
    if not tiers:
        return ()
    waited = w.now - call.arrived_at
    delta = relax_delta(config, waited)
    found = _pick_in_tiers(w, config, call, tiers, call.language, delta)
    if found or call.language is None or not language_relaxed(config, waited):
        return found
    # Past the language wait and no ready speaker may take the call: anyone else may.
    return _pick_in_tiers(w, config, call, tiers, None, delta)


def _pick_in_tiers(
    w: Any,
    config: QueueConfig,
    call: Call,
    tiers: Mapping[int, Mapping[str, float]],
    language: str | None,
    delta: int,
) -> tuple[str, ...]:
    """The queue's strategy applied to the lowest penalty tier that has an eligible agent."""
    agents: Mapping[str, Agent] = w.agents
    strategy = config.strategy
    for penalty in sorted(tiers):
        tier = tiers[penalty]
        if strategy == Strategy.LONGEST_IDLE and not call.vip:
            # The tier is ordered by idle time: the first eligible agent is the answer.
            for agent_id in tier:
                if is_eligible(agents[agent_id], call.skills, language, delta):
                    return (agent_id,)
            continue
        candidates = [agents[a] for a in tier if is_eligible(agents[a], call.skills, language, delta)]
        if candidates:
            return _choose(w, config, call, candidates)
    return ()


def _choose(w: Any, config: QueueConfig, call: Call, candidates: list[Agent]) -> tuple[str, ...]:
    """Order eligible agents of one penalty tier (listed longest idle first) by the queue's strategy."""
    strategy = config.strategy
    qid = config.queue_id
    if strategy == Strategy.RING_ALL:
        return tuple(a.agent_id for a in candidates)
    if call.vip or strategy == Strategy.SKILLS_BASED:
        # Best match first; ties go to the longest idle (candidates are already in idle order).
        best = max(candidates, key=lambda a: skill_score(a, call.skills))
        return (best.agent_id,)
    if strategy == Strategy.LONGEST_IDLE:
        return (candidates[0].agent_id,)
    if strategy == Strategy.LINEAR:
        return (min(candidates, key=lambda a: (_order(a, qid), a.agent_id)).agent_id,)
    if strategy == Strategy.ROUND_ROBIN:
        last = w.rr_last.get(qid)
        if last is None:
            last = min(_order(a, qid) for a in candidates) - 1

        def after_last(a: Agent) -> tuple[bool, int, str]:
            order = _order(a, qid)
            return (order <= last, order, a.agent_id)

        return (min(candidates, key=after_last).agent_id,)
    if strategy == Strategy.FEWEST_CALLS:
        return (min(candidates, key=lambda a: a.calls_today).agent_id,)
    if strategy == Strategy.LEAST_TALK_TIME:
        return (min(candidates, key=lambda a: a.talk_seconds_today).agent_id,)
    if strategy == Strategy.RANDOM:
        return (w.rng().choice(candidates).agent_id,)
    if strategy == Strategy.WEIGHTED_RANDOM:
        weights = [max(0.0, _weight(a, qid)) for a in candidates]
        if sum(weights) <= 0:
            return (w.rng().choice(candidates).agent_id,)
        return (w.rng().choices(candidates, weights=weights)[0].agent_id,)
    raise ValueError(f"unknown strategy {strategy!r}")


def _order(agent: Agent, queue_id: str) -> int:
    m = agent.membership(queue_id)
    return m.order if m else 0


def _weight(agent: Agent, queue_id: str) -> float:
    m = agent.membership(queue_id)
    return m.weight if m else 0.0


def pick_call(w: Any, agent: Agent) -> Call | None:
    """The waiting call a newly free agent may take with the highest effective priority, then the oldest.

    A call past its language wait counts whatever the agent speaks; ``_route_agent`` in the engine
    then still gives it to a ready speaker first.
    """
    best_key: tuple[float, float, int] | None = None
    best_id: str | None = None
    now = w.now
    for m in agent.memberships:
        lanes = w.lanes.get(m.queue_id)
        if not lanes:
            continue
        config: QueueConfig = w.queues[m.queue_id]
        language_wait = config.language_wait_seconds
        for (vip, priority, skills, language), entries in lanes.items():
            arrived_at, seq, call_id = entries[0]
            waited = now - arrived_at
            if language_wait is not None and waited >= language_wait:
                language = None  # past the language wait: see language_relaxed
            if not is_eligible(agent, skills, language, relax_delta(config, waited)):
                continue
            key = (-effective_priority(config, vip, priority, arrived_at, now), arrived_at, seq)
            if best_key is None or key < best_key:
                best_key, best_id = key, call_id
    return w.calls[best_id] if best_id is not None else None


def queue_order(w: Any, queue_id: str, now: float | None = None) -> list[Call]:
    """Waiting calls of a queue in the order they will be served (as far as priorities tell)."""
    config: QueueConfig = w.queues[queue_id]
    now = w.now if now is None else now
    entries = [
        (-effective_priority(config, vip, priority, e[0], now), e[0], e[1], e[2])
        for (vip, priority, _skills, _lang), lane in w.lanes.get(queue_id, {}).items()
        for e in lane
    ]
    entries.sort()
    return [w.calls[e[3]] for e in entries]
