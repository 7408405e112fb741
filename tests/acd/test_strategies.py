"""Table-driven: which agent each strategy picks for one call, given the agents' history."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from ccapp.acd import (
    AgentState,
    AgentStateChanged,
    CallEnded,
    CallQueued,
    Membership,
    OfferAnswered,
    QueueConfig,
    SkillReq,
    Strategy,
)
from tests.acd.center import Center, offered


@dataclass(frozen=True)
class AgentSpec:
    agent_id: str
    ready_at: float
    order: int = 0
    penalty: int = 0
    weight: float = 1.0
    skills: tuple[tuple[str, int], ...] = (("s", 5),)
    calls: tuple[float, ...] = ()  # talk seconds of calls handled earlier today


@dataclass(frozen=True)
class Case:
    name: str
    strategy: Strategy
    agents: tuple[AgentSpec, ...]
    expected: tuple[str, ...]
    skills: tuple[SkillReq, ...] = ()
    vip: bool = False
    extra: dict[str, object] = field(default_factory=dict)


CASES = [
    Case(
        "longest idle wins",
        Strategy.LONGEST_IDLE,
        (AgentSpec("a", 20), AgentSpec("b", 10), AgentSpec("c", 15)),
        ("b",),
    ),
    Case(
        "linear takes the lowest order, not the longest idle",
        Strategy.LINEAR,
        (AgentSpec("a", 10, order=3), AgentSpec("b", 12, order=1), AgentSpec("c", 11, order=2)),
        ("b",),
    ),
    Case(
        "fewest calls today",
        Strategy.FEWEST_CALLS,
        (
            AgentSpec("a", 30, calls=(10, 10)),
            AgentSpec("b", 31, calls=(100,)),
            AgentSpec("c", 32, calls=(5, 5)),
        ),
        ("b",),
    ),
    Case(
        "least talk time today",
        Strategy.LEAST_TALK_TIME,
        (
            AgentSpec("a", 30, calls=(10, 10)),
            AgentSpec("b", 31, calls=(100,)),
            AgentSpec("c", 32, calls=(5, 5)),
        ),
        ("c",),
    ),
    Case(
        "skills based: best level, not longest idle",
        Strategy.SKILLS_BASED,
        (AgentSpec("a", 10, skills=(("s", 4),)), AgentSpec("b", 12, skills=(("s", 9),))),
        ("b",),
        skills=(SkillReq("s", 3),),
    ),
    Case(
        "skills based: equal levels fall back to longest idle",
        Strategy.SKILLS_BASED,
        (AgentSpec("a", 12, skills=(("s", 7),)), AgentSpec("b", 10, skills=(("s", 7),))),
        ("b",),
        skills=(SkillReq("s", 3),),
    ),
    Case(
        "ring all rings every ready agent of the lowest tier",
        Strategy.RING_ALL,
        (AgentSpec("a", 10), AgentSpec("b", 11), AgentSpec("c", 12, penalty=1)),
        ("a", "b"),
    ),
    Case(
        "penalty: a lower tier first even if it was idle for less time",
        Strategy.LONGEST_IDLE,
        (AgentSpec("a", 10, penalty=2), AgentSpec("b", 20, penalty=0)),
        ("b",),
    ),
    Case(
        "penalty: the higher tier when the lower one cannot take the call",
        Strategy.LONGEST_IDLE,
        (
            AgentSpec("a", 10, penalty=2, skills=(("s", 9),)),
            AgentSpec("b", 20, penalty=0, skills=(("s", 1),)),
        ),
        ("a",),
        skills=(SkillReq("s", 5),),
    ),
    Case(
        "an agent without the skill level is skipped",
        Strategy.LONGEST_IDLE,
        (AgentSpec("a", 10, skills=(("s", 2),)), AgentSpec("b", 20, skills=(("s", 6),))),
        ("b",),
        skills=(SkillReq("s", 5),),
    ),
    Case(
        "VIP goes to the best agent even under longest idle",
        Strategy.LONGEST_IDLE,
        (AgentSpec("a", 10, skills=(("s", 5),)), AgentSpec("b", 20, skills=(("s", 10),))),
        ("b",),
        skills=(SkillReq("s", 3),),
        vip=True,
    ),
    Case(
        "weighted random never picks a zero weight",
        Strategy.WEIGHTED_RANDOM,
        (AgentSpec("a", 10, weight=0.0), AgentSpec("b", 20, weight=1.0)),
        ("b",),
    ),
]


def build(case: Case, *, seed: int = 0) -> Center:
    center = Center(
        QueueConfig("q", strategy=case.strategy, wrapup_seconds=0), rng=random.Random(seed), seed=seed
    )
    for n, spec in enumerate(sorted(case.agents, key=lambda s: s.ready_at)):
        member = Membership("q", penalty=spec.penalty, order=spec.order, weight=spec.weight)
        # Earlier calls of the day: count them on an offline queue so the test queue stays empty.
        for k, talk in enumerate(spec.calls):
            call_id = f"old-{spec.agent_id}-{k}"
            t = n * 0.001
            center.send(AgentStateChanged(spec.agent_id, AgentState.ON_CALL, (member,), spec.skills), at=t)
            center.agent(spec.agent_id, member, skills=spec.skills, at=t)
            center.send(CallQueued(call_id, "q"), at=t)
            center.send(OfferAnswered(call_id, spec.agent_id), at=t)
            center.send(CallEnded(call_id), at=t + talk)
            center.send(AgentStateChanged(spec.agent_id, AgentState.PAUSED), at=t + talk)
    for spec in sorted(case.agents, key=lambda s: s.ready_at):
        member = Membership("q", penalty=spec.penalty, order=spec.order, weight=spec.weight)
        center.agent(spec.agent_id, member, skills=spec.skills, at=spec.ready_at)
    return center


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_strategy_picks(case: Case) -> None:
    center = build(case)
    commands = center.send(CallQueued("call", "q", skills=case.skills, vip=case.vip), at=100.0)
    assert offered(commands) == [("call", case.expected)]


def test_round_robin_remembers_where_it_stopped() -> None:
    center = Center(QueueConfig("q", strategy=Strategy.ROUND_ROBIN, wrapup_seconds=0))
    for order, name in enumerate("abc"):
        center.agent(name, Membership("q", order=order), at=order)
    picked = []
    for n in range(5):
        commands = center.send(CallQueued(f"c{n}", "q"), at=10 + n)
        ((call_id, (agent,)),) = offered(commands)
        picked.append(agent)
        center.send(OfferAnswered(call_id, agent))
        center.send(CallEnded(call_id))
    assert picked == ["a", "b", "c", "a", "b"]


def test_random_is_reproducible_with_a_seed_and_spreads_calls() -> None:
    case = Case("random", Strategy.RANDOM, tuple(AgentSpec(n, i) for i, n in enumerate("abcd")), ())
    picks = []
    for seed in range(40):
        first = offered(build(case, seed=seed).send(CallQueued("x", "q"), at=50))
        again = offered(build(case, seed=seed).send(CallQueued("x", "q"), at=50))
        assert first == again
        picks.append(first[0][1][0])
    assert set(picks) == set("abcd")


def test_linear_breaks_order_ties_by_agent_id() -> None:
    case = Case("tie", Strategy.LINEAR, (AgentSpec("b", 1), AgentSpec("a", 2)), ("a",))
    assert offered(build(case).send(CallQueued("x", "q"), at=5)) == [("x", ("a",))]
