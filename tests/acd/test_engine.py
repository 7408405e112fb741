"""Engine behaviour, scenario by scenario: no database, no event loop, time passed in."""

from __future__ import annotations

import math

from ccapp.acd import (
    AgentState,
    AgentStateChanged,
    AnnounceWait,
    CallAbandoned,
    CallEnded,
    CallQueued,
    CancelOffer,
    DailyReset,
    Membership,
    OfferAnswered,
    OfferCall,
    OfferRefused,
    OfferTimedOut,
    OverflowCall,
    QueueConfig,
    RelaxStep,
    SetAgentState,
    SkillReq,
    Strategy,
    Tick,
    estimated_wait,
    handle,
    queue_waits,
)
from tests.acd.center import Center, offered


def busy_center(**config: object) -> Center:
    """One queue, one agent on a call, so new calls wait."""
    center = Center(QueueConfig("q", **config))  # type: ignore[arg-type]
    center.agent("a", at=0)
    center.send(CallQueued("first", "q"), at=1)
    center.send(OfferAnswered("first", "a"))
    return center


def test_given_ready_agent_when_call_queued_then_offered_and_agent_rings() -> None:
    center = Center()
    center.agent("a", at=0)
    assert offered(center.send(CallQueued("c1", "q"), at=5)) == [("c1", ("a",))]
    assert center.state.agents["a"].state == AgentState.RINGING


def test_given_ringing_agent_when_another_call_queued_then_no_second_offer() -> None:
    center = Center()
    center.agent("a", at=0)
    center.send(CallQueued("c1", "q"), at=1)
    assert offered(center.send(CallQueued("c2", "q"), at=2)) == []


def test_given_waiting_calls_when_agent_frees_then_higher_priority_first() -> None:
    center = busy_center(wrapup_seconds=0)
    center.send(CallQueued("low", "q", priority=0), at=2)
    center.send(CallQueued("high", "q", priority=5), at=3)
    assert offered(center.send(CallEnded("first"), at=10)) == [("high", ("a",))]


def test_given_aging_when_low_priority_waited_long_then_it_overtakes() -> None:
    center = busy_center(wrapup_seconds=0, aging_per_second=0.1)
    center.send(CallQueued("old-low", "q", priority=0), at=2)
    center.send(CallQueued("new-high", "q", priority=5), at=40)
    # At t=100 the old call has aged 9.8 points, the new one 5 + 6.
    assert offered(center.send(CallEnded("first"), at=100)) == [("new-high", ("a",))]
    center2 = busy_center(wrapup_seconds=0, aging_per_second=0.1)
    center2.send(CallQueued("old-low", "q", priority=0), at=2)
    center2.send(CallQueued("new-high", "q", priority=5), at=80)
    # At t=100 the old call has 9.8 points, the new one 5 + 2.
    assert offered(center2.send(CallEnded("first"), at=100)) == [("old-low", ("a",))]


def test_given_vip_waiting_when_agent_frees_then_vip_first() -> None:
    center = busy_center(wrapup_seconds=0)
    center.send(CallQueued("normal", "q", priority=50), at=2)
    center.send(CallQueued("vip", "q", vip=True), at=3)
    assert offered(center.send(CallEnded("first"), at=10)) == [("vip", ("a",))]


def test_given_agent_in_two_queues_when_free_then_oldest_call_across_queues() -> None:
    center = Center(QueueConfig("q1", wrapup_seconds=0), QueueConfig("q2", wrapup_seconds=0))
    center.agent("a", "q1", "q2", at=0)
    center.send(CallQueued("busy", "q1"), at=1)
    center.send(OfferAnswered("busy", "a"))
    center.send(CallQueued("q1-later", "q1"), at=5)
    center.send(CallQueued("q2-earlier", "q2"), at=3)
    assert offered(center.send(CallEnded("busy"), at=10)) == [("q2-earlier", ("a",))]


def test_given_wrapup_when_call_ends_then_no_offer_until_wrapup_done() -> None:
    center = busy_center(wrapup_seconds=30)
    center.send(CallQueued("next", "q"), at=2)
    commands = center.send(CallEnded("first"), at=10)
    assert SetAgentState("a", AgentState.WRAP_UP, "call_ended") in commands
    assert offered(commands) == []
    assert offered(center.send(Tick(), at=39)) == []
    commands = center.send(Tick(), at=40)
    assert SetAgentState("a", AgentState.READY, "wrapup_done") in commands
    assert offered(commands) == [("next", ("a",))]


def test_given_agent_in_wrapup_when_agent_presses_ready_then_wrapup_ends_early() -> None:
    center = busy_center(wrapup_seconds=300)
    center.send(CallQueued("next", "q"), at=2)
    center.send(CallEnded("first"), at=10)
    assert offered(center.send(AgentStateChanged("a", AgentState.READY), at=12)) == [("next", ("a",))]
    assert center.state.wrapups == {}


def test_given_offer_when_timed_out_then_agent_paused_and_call_back_at_head() -> None:
    center = Center(QueueConfig("q", wrapup_seconds=0))
    center.agent("a", at=0)
    center.send(CallQueued("c1", "q"), at=1)
    center.send(CallQueued("c2", "q"), at=2)
    commands = center.send(OfferTimedOut("c1", "a"), at=20)
    assert SetAgentState("a", AgentState.PAUSED, "no_answer") in commands
    assert center.state.agents["a"].state == AgentState.PAUSED
    # Keeps its arrival time: the next agent gets c1, not c2.
    assert offered(center.agent("b", at=25)) == [("c1", ("b",))]
    assert center.state.calls["c1"].arrived_at == 1


def test_given_offer_when_refused_then_next_ready_agent_is_offered_at_once() -> None:
    center = Center()
    center.agent("a", at=0)
    center.agent("b", at=1)
    center.send(CallQueued("c1", "q"), at=2)
    center.send(CallQueued("c2", "q"), at=3)
    # a has c1, b has c2; a refuses: c1 waits at the head for b or a.
    commands = center.send(OfferRefused("c1", "a"), at=4)
    assert offered(commands) == []
    assert [e[2] for lane in center.state.lanes["q"].values() for e in lane] == ["c1"]


def test_given_ring_all_when_one_answers_then_other_legs_cancelled_and_rerouted() -> None:
    center = Center(QueueConfig("q", strategy=Strategy.RING_ALL))
    for n, name in enumerate("abc"):
        center.agent(name, at=n)
    assert offered(center.send(CallQueued("c1", "q"), at=5)) == [("c1", ("a", "b", "c"))]
    center.send(CallQueued("c2", "q"), at=6)
    commands = center.send(OfferAnswered("c1", "b"), at=7)
    assert CancelOffer("c1", "a") in commands and CancelOffer("c1", "c") in commands
    assert offered(commands) == [("c2", ("a", "c"))]


def test_given_ring_all_when_freed_agents_differ_in_penalty_then_each_gets_a_call() -> None:
    # Found by the property test: "b" (penalty 1 in q1) picked c2, but ring-all rings the best tier
    # of ready agents, which was "c" (penalty 0) alone, and "b" was left ready beside c3.
    center = Center(
        QueueConfig("q1", strategy=Strategy.RING_ALL), QueueConfig("q2", strategy=Strategy.RING_ALL)
    )
    center.agent("a", Membership("q1"), at=0)
    center.agent("b", Membership("q1", penalty=1), Membership("q2"), at=1)
    center.agent("c", Membership("q1"), Membership("q2"), at=2)
    center.agent("d", Membership("q2"), at=3)
    assert offered(center.send(CallQueued("c0", "q2"), at=4)) == [("c0", ("b", "c", "d"))]
    assert offered(center.send(CallQueued("c1", "q1"), at=5)) == [("c1", ("a",))]
    center.send(CallQueued("c2", "q1"), at=6)
    center.send(CallQueued("c3", "q1"), at=7)
    commands = center.send(OfferAnswered("c0", "d"), at=8)
    assert offered(commands) == [("c2", ("c",)), ("c3", ("b",))]


def test_given_ringing_when_caller_abandons_then_offer_cancelled_and_agent_ready() -> None:
    center = Center()
    center.agent("a", at=0)
    center.send(CallQueued("c1", "q"), at=1)
    commands = center.send(CallAbandoned("c1"), at=3)
    assert commands == (CancelOffer("c1", "a"),)
    assert center.state.agents["a"].state == AgentState.READY
    assert "c1" not in center.state.calls


def test_given_waiting_when_caller_abandons_then_call_leaves_its_lane() -> None:
    center = busy_center()
    center.send(CallQueued("c2", "q"), at=2)
    assert center.send(CallAbandoned("c2"), at=3) == ()
    assert center.state.lanes["q"] == {}


def test_given_max_wait_when_tick_then_overflow_to_target() -> None:
    center = busy_center(max_wait_seconds=60, overflow_target="voicemail:sales")
    center.send(CallQueued("c2", "q"), at=10)
    assert center.send(Tick(), at=69) == ()
    assert center.send(Tick(), at=70) == (OverflowCall("c2", "q", "voicemail:sales", "max_wait"),)
    assert "c2" not in center.state.calls


def test_given_no_agent_logged_in_when_call_queued_then_overflow() -> None:
    center = Center(QueueConfig("q", overflow_target="q-backup"))
    assert center.send(CallQueued("c1", "q"), at=0) == (OverflowCall("c1", "q", "q-backup", "no_agents"),)


def test_given_paused_agent_when_call_queued_then_waits_not_offered() -> None:
    center = Center()
    center.agent("a", at=0, state=AgentState.PAUSED)
    assert center.send(CallQueued("c1", "q"), at=1) == ()
    assert offered(center.send(AgentStateChanged("a", AgentState.READY), at=9)) == [("c1", ("a",))]


def test_given_last_agent_logs_out_when_calls_wait_then_they_overflow() -> None:
    center = busy_center()
    center.send(CallQueued("c2", "q"), at=2)
    commands = center.send(AgentStateChanged("a", AgentState.LOGGED_OUT), at=3)
    assert OverflowCall("c2", "q", None, "no_agents") in commands


def test_given_skill_gap_when_relaxation_time_passes_then_offered() -> None:
    center = Center(QueueConfig("q", relaxation=(RelaxStep(30, 2), RelaxStep(60, 10))))
    center.agent("a", skills=[("tech", 4)], at=0)
    center.agent("b", skills=[("billing", 9)], at=0)
    assert center.send(CallQueued("c1", "q", skills=(SkillReq("tech", 6),)), at=1) == ()
    assert center.send(Tick(), at=30) == ()
    assert offered(center.send(Tick(), at=31)) == [("c1", ("a",))]
    center.send(CallQueued("c2", "q", skills=(SkillReq("tech", 9),)), at=40)
    assert offered(center.send(Tick(), at=101)) == [("c2", ("b",))]


def test_given_language_when_agent_does_not_speak_it_then_not_offered() -> None:
    center = Center()
    center.agent("en", languages=["en"], at=0)
    center.agent("fr", languages=["fr", "en"], at=1)
    assert offered(center.send(CallQueued("c1", "q", language="fr"), at=2)) == [("c1", ("fr",))]


def test_given_announcements_when_due_then_position_and_estimate() -> None:
    center = busy_center(announce_every_seconds=30, wrapup_seconds=0, initial_handle_seconds=120)
    first = center.send(CallQueued("c2", "q"), at=2)
    second = center.send(CallQueued("c3", "q"), at=3)
    assert first == (AnnounceWait("c2", "q", 1, 120.0),)
    assert second == (AnnounceWait("c3", "q", 2, 240.0),)
    assert center.send(Tick(), at=20) == ()
    assert center.send(Tick(), at=33) == (
        AnnounceWait("c2", "q", 1, 120.0),
        AnnounceWait("c3", "q", 2, 240.0),
    )


def test_estimated_wait_follows_handle_times_and_staff() -> None:
    center = busy_center(wrapup_seconds=0, initial_handle_seconds=100)
    center.send(CallEnded("first"), at=101)  # talk 100 s: the average stays 100
    assert estimated_wait(center.state, "q", 1) == 0.0  # a ready agent: no wait for the next caller
    assert estimated_wait(center.state, "q", 3) == 300.0
    center.agent("b", at=102)
    center.send(CallQueued("x", "q"), at=103)
    center.send(CallQueued("y", "q"), at=104)
    center.send(CallQueued("z", "q"), at=105)
    assert estimated_wait(center.state, "q", 2) == 100.0  # 2 callers ahead x 100 s / 2 agents
    assert [p for _, p, _ in queue_waits(center.state, "q", now=106)] == [1]
    assert math.isinf(estimated_wait(Center().state, "q", 1))


def test_given_connected_call_when_ended_then_counters_and_average_move() -> None:
    center = busy_center(wrapup_seconds=0, initial_handle_seconds=180)
    center.send(CallEnded("first"), at=81)
    agent = center.state.agents["a"]
    assert (agent.calls_today, agent.talk_seconds_today) == (1, 80.0)
    assert center.state.handle_ewma["q"] == 180 + 0.1 * (80 - 180)
    center.send(DailyReset(), at=90000)
    assert center.state.agents["a"].calls_today == 0


def test_handle_never_changes_the_state_it_was_given() -> None:
    center = busy_center(wrapup_seconds=0)
    center.send(CallQueued("c2", "q"), at=2)
    before = center.state
    snapshot = (dict(before.agents), dict(before.calls), {q: dict(v) for q, v in before.lanes.items()})
    first = handle(before, CallEnded("first"), now=10)
    second = handle(before, CallEnded("first"), now=10)
    assert first == second
    assert snapshot == (
        dict(before.agents),
        dict(before.calls),
        {q: dict(v) for q, v in before.lanes.items()},
    )
    assert offered(first[1]) == [("c2", ("a",))]


def test_given_unknown_ids_then_nothing_happens() -> None:
    center = busy_center()
    for event in (
        OfferAnswered("nope", "a"),
        OfferRefused("first", "zz"),
        CallEnded("nope"),
        CallAbandoned("x"),
    ):
        assert center.send(event, at=5) == ()
    assert center.send(CallQueued("c9", "no-such-queue"), at=6) == (
        OverflowCall("c9", "no-such-queue", None, "unknown_queue"),
    )


def test_given_agent_changes_state_while_ringing_then_offer_withdrawn_and_call_rerouted() -> None:
    center = Center()
    center.agent("a", at=0)
    center.agent("b", Membership("q"), at=1, state=AgentState.PAUSED)
    center.send(CallQueued("c1", "q"), at=2)
    commands = center.send(AgentStateChanged("a", AgentState.DND), at=3)
    assert commands == (CancelOffer("c1", "a"),)
    assert offered(center.send(AgentStateChanged("b", AgentState.READY), at=4)) == [("c1", ("b",))]
    assert isinstance(center.log[-1][1], OfferCall)
