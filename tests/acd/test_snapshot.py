"""Routing from a snapshot (``assign``): what the Stasis worker asks the engine on each change."""

from __future__ import annotations

import pytest

from ccapp.acd import (
    Membership,
    OfferCall,
    QueueConfig,
    ReadyAgent,
    RelaxStep,
    SkillReq,
    Strategy,
    WaitingCall,
    assign,
    snapshot_state,
)

NOW = 10_000.0


def agent(agent_id: str, idle_since: float, *queues: str, **kw) -> ReadyAgent:
    memberships = kw.pop("memberships", None) or tuple(Membership(q) for q in queues)
    kw.setdefault("languages", frozenset({"zh"}))
    return ReadyAgent(agent_id, memberships, idle_since=idle_since, **kw)


def call(call_id: str, queue_id: str, arrived_at: float, **kw) -> WaitingCall:
    return WaitingCall(call_id, queue_id, arrived_at, **kw)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (Strategy.LONGEST_IDLE, "old"),  # idle since 100
        (Strategy.LINEAR, "first"),  # hunting order 0
        (Strategy.FEWEST_CALLS, "fresh"),  # 0 calls today
        (Strategy.LEAST_TALK_TIME, "fresh"),  # 0 s today
        (Strategy.SKILLS_BASED, "expert"),  # level 9
    ],
)
def test_it_routes_by_the_queue_strategy(strategy: Strategy, expected: str) -> None:
    def member(order: int) -> tuple[Membership, ...]:
        return (Membership("q", order=order),)

    agents = [
        agent("old", 100.0, memberships=member(2), skills=(("s", 5),), calls_today=9, talk_seconds_today=900),
        agent(
            "first", 200.0, memberships=member(0), skills=(("s", 6),), calls_today=5, talk_seconds_today=500
        ),
        agent(
            "expert", 300.0, memberships=member(3), skills=(("s", 9),), calls_today=3, talk_seconds_today=300
        ),
        agent("fresh", 400.0, memberships=member(1), skills=(("s", 5),)),
    ]
    offers = assign(
        [QueueConfig("q", strategy=strategy)],
        agents,
        [call("c1", "q", 9_000.0, skills=(SkillReq("s", 5),), language="zh")],
        now=NOW,
    )
    assert offers == (OfferCall("c1", "q", (expected,)),)


def test_round_robin_continues_after_the_last_offer_and_wraps() -> None:
    agents = [agent(a, 100.0 * (3 - o), memberships=(Membership("q", order=o),)) for o, a in enumerate("abc")]
    calls = [call("c1", "q", 1.0), call("c2", "q", 2.0), call("c3", "q", 3.0)]
    config = [QueueConfig("q", strategy=Strategy.ROUND_ROBIN)]
    offers = assign(config, agents, calls, now=NOW, rr_last={"q": 1})
    assert [o.agent_ids for o in offers] == [("c",), ("a",), ("b",)]


def test_ring_all_offers_every_eligible_agent_of_the_lowest_penalty_tier() -> None:
    agents = [
        agent("a", 1.0, memberships=(Membership("q", penalty=0),)),
        agent("b", 2.0, memberships=(Membership("q", penalty=0),)),
        agent("c", 3.0, memberships=(Membership("q", penalty=1),)),
    ]
    offers = assign([QueueConfig("q", strategy=Strategy.RING_ALL)], agents, [call("c1", "q", 5.0)], now=NOW)
    assert offers == (OfferCall("c1", "q", ("a", "b")),)


def test_the_best_call_across_queues_is_served_first() -> None:
    queues = [QueueConfig("low"), QueueConfig("high", priority=5)]
    shared = agent("a", 1.0, "low", "high")
    offers = assign(queues, [shared], [call("old", "low", 1.0), call("new", "high", 9_000.0)], now=NOW)
    assert offers == (OfferCall("new", "high", ("a",)),)


def test_aging_lets_an_old_call_overtake_a_higher_priority_one() -> None:
    queues = [QueueConfig("q", aging_per_second=0.01)]
    calls = [call("old", "q", 0.0), call("urgent", "q", 9_900.0, priority=50)]
    offers = assign(queues, [agent("a", 1.0, "q")], calls, now=NOW)
    assert offers[0].call_id == "old"  # 100 points of aging against 50 + 1


def test_vip_first_and_to_the_best_skilled_agent_whatever_the_strategy() -> None:
    agents = [agent("idle", 1.0, "q", skills=(("s", 3),)), agent("expert", 2.0, "q", skills=(("s", 8),))]
    calls = [
        call("normal", "q", 1.0, skills=(SkillReq("s", 1),)),
        call("vip", "q", 5.0, vip=True, skills=(SkillReq("s", 1),)),
    ]
    offers = assign([QueueConfig("q")], agents, calls, now=NOW)
    assert offers == (OfferCall("vip", "q", ("expert",)), OfferCall("normal", "q", ("idle",)))


def test_skills_and_language_are_requirements_until_relaxed() -> None:
    agents = [agent("novice", 1.0, "q", skills=(("s", 2),))]
    need = (SkillReq("s", 6),)
    strict = [QueueConfig("q")]
    relaxed = [QueueConfig("q", relaxation=(RelaxStep(60.0, 5),))]
    assert assign(strict, agents, [call("c1", "q", NOW - 120, skills=need)], now=NOW) == ()
    assert assign(relaxed, agents, [call("c1", "q", NOW - 30, skills=need)], now=NOW) == ()
    assert assign(relaxed, agents, [call("c1", "q", NOW - 120, skills=need)], now=NOW) != ()
    assert assign(strict, agents, [call("c1", "q", 1.0, language="en")], now=NOW) == ()


def test_the_language_is_required_until_the_queue_s_language_wait_then_a_speaker_is_preferred() -> None:
    queues = [QueueConfig("q", language_wait_seconds=60.0)]
    zh_only = [agent("zh", 1.0, "q")]
    both = [*zh_only, agent("en", 5.0, "q", languages=frozenset({"en"}))]
    assert assign(queues, zh_only, [call("c1", "q", NOW - 30, language="en")], now=NOW) == ()
    offers = assign(queues, zh_only, [call("c1", "q", NOW - 90, language="en")], now=NOW)
    assert offers == (OfferCall("c1", "q", ("zh",)),)
    offers = assign(queues, both, [call("c1", "q", NOW - 90, language="en")], now=NOW)
    assert offers == (OfferCall("c1", "q", ("en",)),)


def test_unknown_queues_and_queues_without_ready_agents_leave_their_calls_waiting() -> None:
    offers = assign(
        [QueueConfig("q"), QueueConfig("empty")],
        [agent("a", 1.0, "q")],
        [call("c0", "nowhere", 0.0), call("c1", "empty", 0.5), call("c2", "q", 2.0)],
        now=NOW,
    )
    assert offers == (OfferCall("c2", "q", ("a",)),)


def test_the_snapshot_keeps_idle_order_and_daily_counters() -> None:
    state = snapshot_state(
        [QueueConfig("q")], [agent("late", 50.0, "q", calls_today=4), agent("early", 10.0, "q")], now=NOW
    )
    assert list(state.ready["q"][0]) == ["early", "late"]
    assert state.agents["late"].calls_today == 4
