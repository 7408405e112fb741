"""Discrete-event simulator that drives the real engine: Poisson arrivals, random handle times, patience.

Pure and seeded: one ``random.Random(seed)`` feeds arrivals, handle times and patience; the engine gets
its own seeded rng for the random strategies. Agents answer offers at once (no ring time), so with one
FCFS queue, exponential handle times and infinite patience the model is exactly Erlang C's M/M/c.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass

from ccapp.acd.engine import handle
from ccapp.acd.state import initial_state
from ccapp.acd.types import (
    AgentState,
    AgentStateChanged,
    AnnounceWait,
    CallAbandoned,
    CallEnded,
    CallQueued,
    Command,
    Membership,
    OfferAnswered,
    OfferCall,
    OverflowCall,
    QueueConfig,
    SetAgentState,
    SkillReq,
    Tick,
)


@dataclass(frozen=True, slots=True)
class CallStream:
    """Poisson arrivals into one queue, all with the same needs."""

    queue_id: str
    calls_per_hour: float
    skills: tuple[SkillReq, ...] = ()
    priority: int = 0
    vip_fraction: float = 0.0
    # Mean patience (exponential) in seconds; None means callers never hang up.
    patience_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class SimAgent:
    agent_id: str
    memberships: tuple[Membership, ...]
    skills: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """What to simulate: queues, call streams, agents and for how long."""

    queues: tuple[QueueConfig, ...]
    streams: tuple[CallStream, ...]
    agents: tuple[SimAgent, ...]
    aht_seconds: float = 180.0
    handle_distribution: str = "exponential"  # or "lognormal"
    lognormal_sigma: float = 0.8
    duration_seconds: float = 8 * 3600.0
    warmup_seconds: float = 1800.0
    sl_seconds: float = 20.0
    seed: int = 1
    # Skilled agents are faster: handle time x (1 - skill_speed * (level - 5)) for the agent's mean
    # level in the call's skills (0 = skills do not change handle times).
    skill_speed: float = 0.0
    # Period of engine ticks (max wait, skill relaxation, announcements); None: ticks only end wrap-ups.
    tick_seconds: float | None = None


@dataclass
class QueueResult:
    """Figures of one queue over the measured calls (those that arrived after the warm-up)."""

    offered: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0
    overflowed: int = 0
    wait_sum: float = 0.0
    busy_seconds: float = 0.0
    members: int = 0
    # First announced estimate of waiting time against the wait that followed (answered calls).
    estimate_samples: int = 0
    estimate_error_sum: float = 0.0
    estimate_abs_error_sum: float = 0.0

    def summary(self, measured_seconds: float) -> dict[str, float | int]:
        """The figures as a JSON-ready dict (fractions, seconds)."""
        resolved = max(1, self.answered + self.abandoned + self.overflowed)
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "overflowed": self.overflowed,
            # Service level over all resolved calls: an abandoned call counts as missed.
            "service_level": self.answered_in_sl / resolved,
            "asa": self.wait_sum / max(1, self.answered),
            "abandon_rate": self.abandoned / resolved,
            "occupancy": self.busy_seconds / max(1e-9, self.members * measured_seconds),
            **(
                {
                    "estimate_samples": self.estimate_samples,
                    "estimate_bias": self.estimate_error_sum / self.estimate_samples,
                    "estimate_mae": self.estimate_abs_error_sum / self.estimate_samples,
                }
                if self.estimate_samples
                else {}
            ),
        }


def handle_time(rng: random.Random, scenario: Scenario, factor: float = 1.0) -> float:
    """One handle time with the scenario's mean (times ``factor``) and distribution."""
    mean = scenario.aht_seconds * factor
    if scenario.handle_distribution == "lognormal":
        sigma = scenario.lognormal_sigma
        mu = math.log(mean) - sigma * sigma / 2  # keeps the mean at ``mean``
        return rng.lognormvariate(mu, sigma)
    return rng.expovariate(1.0 / mean)


def _speed_factor(scenario: Scenario, agent: SimAgent | None, skills: tuple[SkillReq, ...]) -> float:
    if not scenario.skill_speed or agent is None or not skills:
        return 1.0
    have = dict(agent.skills)
    level = sum(have.get(r.skill, 0) for r in skills) / len(skills)
    return max(0.3, 1.0 - scenario.skill_speed * (level - 5))


_ARRIVAL, _TICK, _END, _ABANDON = 0, 1, 2, 3


def simulate(scenario: Scenario) -> dict[str, QueueResult]:
    """Run the scenario; per-queue results keyed by queue id."""
    rng = random.Random(scenario.seed)
    engine_rng = random.Random(scenario.seed + 7919)
    state = initial_state(scenario.queues, seed=scenario.seed)
    results = {q.queue_id: QueueResult() for q in scenario.queues}
    for a in scenario.agents:
        for m in a.memberships:
            results[m.queue_id].members += 1
    start, stop = scenario.warmup_seconds, scenario.warmup_seconds + scenario.duration_seconds
    events: list[tuple[float, int, int, object]] = []
    seq = 0

    def push(t: float, kind: int, payload: object) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, payload))

    for i, stream in enumerate(scenario.streams):
        if stream.calls_per_hour > 0:
            push(rng.expovariate(stream.calls_per_hour / 3600.0), _ARRIVAL, i)
    if scenario.tick_seconds:
        push(scenario.tick_seconds, _TICK, scenario.tick_seconds)
    by_id = {a.agent_id: a for a in scenario.agents}
    needs: dict[str, tuple[SkillReq, ...]] = {}
    arrived: dict[str, tuple[float, str]] = {}  # call id -> (arrival, queue) for calls not yet resolved
    answered_at: dict[str, tuple[float, str]] = {}
    estimates: dict[str, tuple[float, float]] = {}  # call id -> (first estimate, when announced)
    now = 0.0

    def feed(event: object) -> None:
        nonlocal state
        state, commands = handle(state, event, now=now, rng=engine_rng)  # type: ignore[arg-type]
        pending: deque[Command] = deque(commands)
        while pending:
            cmd = pending.popleft()
            if isinstance(cmd, OfferCall):
                # The first agent offered answers at once; ring-all's other legs get cancelled.
                state, more = handle(
                    state, OfferAnswered(cmd.call_id, cmd.agent_ids[0]), now=now, rng=engine_rng
                )
                pending.extend(more)
                t0, queue_id = arrived.pop(cmd.call_id)
                answered_at[cmd.call_id] = (now, queue_id)
                if t0 >= start and t0 < stop:
                    r = results[queue_id]
                    r.answered += 1
                    r.wait_sum += now - t0
                    r.answered_in_sl += now - t0 <= scenario.sl_seconds
                    if cmd.call_id in estimates:
                        estimate, told_at = estimates[cmd.call_id]
                        r.estimate_samples += 1
                        r.estimate_error_sum += estimate - (now - told_at)
                        r.estimate_abs_error_sum += abs(estimate - (now - told_at))
                estimates.pop(cmd.call_id, None)
                factor = _speed_factor(scenario, by_id.get(cmd.agent_ids[0]), needs.pop(cmd.call_id, ()))
                push(now + handle_time(rng, scenario, factor), _END, cmd.call_id)
            elif isinstance(cmd, OverflowCall):
                t0, queue_id = arrived.pop(cmd.call_id)
                needs.pop(cmd.call_id, None)
                estimates.pop(cmd.call_id, None)
                if start <= t0 < stop:
                    results[queue_id].overflowed += 1
            elif isinstance(cmd, AnnounceWait):
                if cmd.call_id not in estimates and cmd.estimated_wait_seconds >= 0:
                    estimates[cmd.call_id] = (cmd.estimated_wait_seconds, now)
            elif isinstance(cmd, SetAgentState) and cmd.state == AgentState.WRAP_UP:
                push(state.wrapups[cmd.agent_id], _TICK, None)

    for a in scenario.agents:
        feed(AgentStateChanged(a.agent_id, AgentState.READY, memberships=a.memberships, skills=a.skills))
    call_no = 0
    while events:
        now, _, kind, payload = heapq.heappop(events)
        if kind == _ARRIVAL:
            stream = scenario.streams[payload]  # type: ignore[index]
            if now < stop:
                push(now + rng.expovariate(stream.calls_per_hour / 3600.0), _ARRIVAL, payload)
            else:
                continue
            call_no += 1
            call_id = f"c{call_no}"
            arrived[call_id] = (now, stream.queue_id)
            if start <= now:
                results[stream.queue_id].offered += 1
            if stream.patience_seconds is not None:
                push(now + rng.expovariate(1.0 / stream.patience_seconds), _ABANDON, call_id)
            if scenario.skill_speed:
                needs[call_id] = stream.skills
            vip = stream.vip_fraction > 0 and rng.random() < stream.vip_fraction
            feed(CallQueued(call_id, stream.queue_id, stream.priority, stream.skills, vip))
        elif kind == _END:
            t_answer, queue_id = answered_at.pop(payload)  # type: ignore[call-overload]
            if t_answer < stop and now > start:
                results[queue_id].busy_seconds += min(now, stop) - max(t_answer, start)
            feed(CallEnded(payload))  # type: ignore[arg-type]
        elif kind == _ABANDON:
            if payload in arrived:
                t0, queue_id = arrived.pop(payload)  # type: ignore[call-overload]
                needs.pop(payload, None)  # type: ignore[call-overload]
                estimates.pop(payload, None)  # type: ignore[call-overload]
                if start <= t0 < stop:
                    results[queue_id].abandoned += 1
                feed(CallAbandoned(payload))  # type: ignore[arg-type]
        else:
            if payload is not None and events:
                push(now + payload, _TICK, payload)  # type: ignore[operator]
            feed(Tick())
    return results
