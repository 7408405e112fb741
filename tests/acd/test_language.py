"""A call's language: required until the queue's language wait, then a preference (speakers first)."""

from __future__ import annotations

import random

import pytest

from ccapp.acd import (
    AgentState,
    AgentStateChanged,
    CallEnded,
    CallQueued,
    Membership,
    OfferAnswered,
    QueueConfig,
    RelaxStep,
    SkillReq,
    Strategy,
    Tick,
)
from tests.acd.center import Center, offered


def test_given_only_zh_agents_when_an_en_caller_waits_past_the_wait_then_a_zh_agent_gets_it() -> None:
    center = Center(QueueConfig("q", language_wait_seconds=60))
    center.agent("zh1", languages=["zh"], at=0)
    center.agent("zh2", languages=["zh"], at=1)
    assert center.send(CallQueued("c1", "q", language="en"), at=2) == ()
    assert center.send(Tick(), at=61) == ()
    assert offered(center.send(Tick(), at=62)) == [("c1", ("zh1",))]


def test_given_no_language_wait_when_an_en_caller_waits_then_only_a_speaker_may_take_it() -> None:
    center = Center(QueueConfig("q", max_wait_seconds=None))
    center.agent("zh", languages=["zh"], at=0)
    center.send(CallQueued("c1", "q", language="en"), at=1)
    assert center.send(Tick(), at=86_400) == ()
    assert offered(center.agent("en", languages=["en"], at=86_401)) == [("c1", ("en",))]


def test_given_a_language_wait_when_a_speaker_is_ready_then_the_call_goes_at_once_to_the_speaker() -> None:
    center = Center(QueueConfig("q", language_wait_seconds=60))
    center.agent("zh", languages=["zh"], at=0)
    center.agent("en", languages=["en", "zh"], at=5)
    assert offered(center.send(CallQueued("c1", "q", language="en"), at=10)) == [("c1", ("en",))]


def test_given_zero_language_wait_when_both_are_ready_then_the_speaker_still_comes_first() -> None:
    center = Center(QueueConfig("q", language_wait_seconds=0))
    center.agent("zh", languages=["zh"], at=0)
    center.agent("en", languages=["en"], at=5)
    assert offered(center.send(CallQueued("c1", "q", language="en"), at=10)) == [("c1", ("en",))]
    assert offered(center.send(CallQueued("c2", "q", language="en"), at=11)) == [("c2", ("zh",))]


def test_each_call_relaxes_on_its_own_clock() -> None:
    center = Center(QueueConfig("q", language_wait_seconds=60, wrapup_seconds=0))
    center.agent("zh", languages=["zh"], at=0, state=AgentState.PAUSED)
    center.send(CallQueued("old", "q", language="en"), at=0)
    center.send(CallQueued("new", "q", language="en"), at=50)
    assert offered(center.send(AgentStateChanged("zh", AgentState.READY), at=55)) == []
    assert offered(center.send(Tick(), at=60)) == [("old", ("zh",))]
    center.send(OfferAnswered("old", "zh"), at=61)
    # Free again before "new" has waited 60 s: it still needs a speaker.
    assert offered(center.send(CallEnded("old"), at=70)) == []
    assert offered(center.send(Tick(), at=110)) == [("new", ("zh",))]


def test_given_a_relaxed_call_when_a_non_speaker_frees_up_then_they_take_it() -> None:
    center = Center(QueueConfig("q", language_wait_seconds=30, wrapup_seconds=0))
    center.agent("zh", languages=["zh"], at=0)
    center.send(CallQueued("first", "q", language="zh"), at=1)
    center.send(OfferAnswered("first", "zh"), at=2)
    center.send(CallQueued("c1", "q", language="en"), at=3)
    assert offered(center.send(CallEnded("first"), at=40)) == [("c1", ("zh",))]


def test_given_a_relaxed_call_when_a_non_speaker_frees_up_then_a_ready_speaker_still_gets_it() -> None:
    # The speaker lacks the skill until it relaxes at 30 s; no tick has run since, so the call still
    # waits beside them when the non-speaker frees up.
    queue = QueueConfig("q", language_wait_seconds=10, relaxation=(RelaxStep(30, 10),))
    center = Center(queue)
    center.agent("en", languages=["en"], skills=[("s", 2)], at=0)
    center.agent("zh", languages=["zh"], skills=[("s", 9)], at=0, state=AgentState.PAUSED)
    assert center.send(CallQueued("c1", "q", skills=(SkillReq("s", 8),), language="en"), at=1) == ()
    assert offered(center.send(AgentStateChanged("zh", AgentState.READY), at=40)) == [("c1", ("en",))]
    assert center.state.agents["zh"].state == AgentState.READY


def test_given_a_relaxed_call_when_the_only_other_agent_lacks_the_skill_then_it_keeps_waiting() -> None:
    center = Center(QueueConfig("q", language_wait_seconds=10, max_wait_seconds=None))
    center.agent("zh", languages=["zh"], skills=[("s", 2)], at=0)
    center.send(CallQueued("c1", "q", skills=(SkillReq("s", 5),), language="en"), at=1)
    assert center.send(Tick(), at=100) == ()


def test_a_speaker_in_a_higher_penalty_tier_comes_before_a_non_speaker_in_a_lower_one() -> None:
    center = Center(QueueConfig("q", language_wait_seconds=0))
    center.agent("zh", Membership("q", penalty=0), languages=["zh"], at=0)
    center.agent("en", Membership("q", penalty=5), languages=["en"], at=5)
    assert offered(center.send(CallQueued("c1", "q", language="en"), at=10)) == [("c1", ("en",))]


def prefers_zh_center(strategy: Strategy, seed: int = 7) -> Center:
    """Two ready agents where every strategy, ignoring language, would pick the zh agent."""
    center = Center(QueueConfig("q", strategy=strategy, language_wait_seconds=60), rng=random.Random(seed))
    center.agent("zh", Membership("q", order=1, weight=100), languages=["zh"], skills=[("s", 9)], at=0)
    center.agent("en", Membership("q", order=2, weight=1), languages=["en"], skills=[("s", 5)], at=5)
    return center


@pytest.mark.parametrize("strategy", [s for s in Strategy if s not in (Strategy.RANDOM, Strategy.RING_ALL)])
def test_without_a_language_every_strategy_here_would_pick_the_zh_agent(strategy: Strategy) -> None:
    center = prefers_zh_center(strategy)
    commands = center.send(CallQueued("c1", "q", skills=(SkillReq("s", 1),), arrived_at=0), at=100)
    assert offered(commands) == [("c1", ("zh",))]


@pytest.mark.parametrize("strategy", list(Strategy))
def test_past_the_language_wait_every_strategy_offers_the_speaker_first(strategy: Strategy) -> None:
    for seed in range(5):  # the random strategies: whatever they draw
        center = prefers_zh_center(strategy, seed)
        event = CallQueued("c1", "q", skills=(SkillReq("s", 1),), language="en", arrived_at=0)
        assert offered(center.send(event, at=100)) == [("c1", ("en",))]
