"""Hypothesis: invariants of the engine over random event sequences, in every strategy."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccapp.acd import (
    AcdState,
    Agent,
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallEnded,
    CallQueued,
    CancelOffer,
    Command,
    Input,
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
    handle,
    initial_state,
)

QUEUES = ("q1", "q2", "q3")
AGENTS = tuple(f"a{i}" for i in range(6))
SKILLS = ("x", "y")
MAX_WAIT = 300.0
SERVING = {AgentState.READY, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP}


def relax_delta(config: QueueConfig, waited: float) -> int:
    """Written again here (not imported) so a bug in the engine's version cannot hide."""
    return max([s.level_delta for s in config.relaxation if waited >= s.after_seconds], default=0)


def needed_language(config: QueueConfig, language: str | None, waited: float) -> str | None:
    """The language an agent must speak: none once the call has waited the queue's language wait."""
    wait = config.language_wait_seconds
    return None if wait is not None and waited >= wait else language


def is_eligible(agent: Agent, skills: tuple[SkillReq, ...], language: str | None, delta: int) -> bool:
    if language is not None and language not in agent.languages:
        return False
    return all(agent.skills.get(r.skill, 0) >= r.min_level - delta for r in skills)


agent_profiles = st.tuples(
    st.lists(st.sampled_from(QUEUES), min_size=1, max_size=3, unique=True),
    st.lists(st.integers(0, 2), min_size=3, max_size=3),
    st.lists(st.integers(0, 10), min_size=2, max_size=2),
    st.sets(st.sampled_from(("en", "fr")), max_size=2),
)


def make_state(strategy: Strategy, relax: bool, aging: float, language_wait: float | None) -> AcdState:
    steps = (RelaxStep(40, 3), RelaxStep(120, 10)) if relax else ()
    configs = [
        QueueConfig(
            q,
            strategy=strategy,
            wrapup_seconds=(0.0, 5.0, 20.0)[i],
            max_wait_seconds=MAX_WAIT,
            relaxation=steps,
            aging_per_second=aging,
            language_wait_seconds=language_wait,
            announce_every_seconds=60.0 if i == 0 else None,
        )
        for i, q in enumerate(QUEUES)
    ]
    return initial_state(configs, seed=3)


def check_offers(
    before: AcdState, event: Input, commands: tuple[Command, ...], after: AcdState, now: float
) -> None:
    """Each offer goes to an agent who is free at that moment, may take the call, and holds no other offer.

    An agent who does not speak the call's language is offered it only when no free speaker may take it.
    """
    free = {a.agent_id for a in before.agents.values() if a.state == AgentState.READY}
    if isinstance(event, AgentStateChanged):
        if event.state == AgentState.READY:
            free.add(event.agent_id)
        else:
            free.discard(event.agent_id)
    # Agents freed inside the same event (ended call, cancelled leg, wrap-up done) are announced by
    # the engine's own commands, which come before any offer to them.
    for cmd in commands:
        withdrawn = isinstance(event, AgentStateChanged) and event.state != AgentState.READY
        cancelled = isinstance(cmd, CancelOffer) and not (withdrawn and cmd.agent_id == event.agent_id)
        if cancelled or (isinstance(cmd, SetAgentState) and cmd.state == AgentState.READY):
            free.add(cmd.agent_id)
        elif isinstance(cmd, OfferCall):
            call = after.calls.get(cmd.call_id) or before.calls.get(cmd.call_id)
            assert call is not None
            config = after.queues[cmd.queue_id]
            delta = relax_delta(config, now - call.arrived_at)
            language = needed_language(config, call.language, now - call.arrived_at)
            for agent_id in cmd.agent_ids:
                assert agent_id in free, f"{agent_id} offered {cmd.call_id} while not ready"
                free.discard(agent_id)
                agent = after.agents[agent_id]
                assert agent.membership(cmd.queue_id) is not None
                assert is_eligible(agent, call.skills, language, delta)
            if call.language is not None:
                speakers = {a for a in cmd.agent_ids if call.language in after.agents[a].languages}
                if speakers != set(cmd.agent_ids):
                    assert not speakers, f"{cmd.call_id} rings speakers and others together"
                    for other in free:
                        agent = after.agents[other]
                        if agent.membership(cmd.queue_id) is not None:
                            assert not is_eligible(agent, call.skills, call.language, delta), (
                                f"{cmd.call_id} offered to a non-speaker while {other} speaks its language"
                            )


def check_lanes_fcfs(before: AcdState, commands: tuple[Command, ...]) -> None:
    """Within one lane (queue, priority, VIP, needs) the oldest waiting call is offered first."""
    taken: set[str] = set()
    for cmd in commands:
        if not isinstance(cmd, OfferCall):
            continue
        call = before.calls.get(cmd.call_id)
        if call is None or not call.waiting:
            continue  # a new arrival or a requeued call: it was not in a lane before
        for arrived_at, seq, other in before.lanes[call.queue_id][call.lane]:
            if other == call.call_id:
                break
            assert other in taken, f"{cmd.call_id} offered before older {other} of its lane"
            assert (arrived_at, seq) < call.entry
        taken.add(cmd.call_id)


def check_indexes(state: AcdState, now: float, after_tick: bool) -> None:
    """The indexes equal what the records say, and no ready agent is left beside a call they may take."""
    for q in QUEUES:
        ready = {
            (m.penalty, a.agent_id)
            for a in state.agents.values()
            if a.state == AgentState.READY
            for m in a.memberships
            if m.queue_id == q
        }
        assert ready == {(p, a) for p, tier in state.ready[q].items() for a in tier}
        for tier in state.ready[q].values():
            assert list(tier.values()) == sorted(tier.values())
        waiting = {c.call_id for c in state.calls.values() if c.queue_id == q and c.waiting}
        assert waiting == {e[2] for lane in state.lanes[q].values() for e in lane}
        logged = sum(1 for a in state.agents.values() if a.state != AgentState.LOGGED_OUT and a.membership(q))
        assert state.logged_in[q] == logged
        serving = sum(1 for a in state.agents.values() if a.state in SERVING and a.membership(q))
        assert state.serving[q] == serving
    holders = Counter(a for c in state.calls.values() for a in c.offered_to)
    assert all(n == 1 for n in holders.values()), "an agent rings for two calls"
    for c in state.calls.values():
        for a in c.offered_to:
            assert state.agents[a].state == AgentState.RINGING and state.agents[a].call_id == c.call_id
    for agent in state.agents.values():
        if agent.state != AgentState.READY:
            continue
        for m in agent.memberships:
            for (_vip, _prio, skills, language), lane in state.lanes[m.queue_id].items():
                arrived = lane[0][0]
                config = state.queues[m.queue_id]
                if after_tick:
                    delta = relax_delta(config, now - arrived)
                    language = needed_language(config, language, now - arrived)
                else:
                    delta = 0
                assert not is_eligible(agent, skills, language, delta), "work left undone"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    strategy=st.sampled_from(list(Strategy)),
    relax=st.booleans(),
    aging=st.sampled_from((0.0, 0.05)),
    language_wait=st.sampled_from((None, 0.0, 10.0, 50.0)),
    profiles=st.lists(agent_profiles, min_size=6, max_size=6),
    data=st.data(),
)
def test_invariants_over_random_event_sequences(
    strategy: Strategy,
    relax: bool,
    aging: float,
    language_wait: float | None,
    profiles: list,
    data: st.DataObject,
) -> None:
    state = make_state(strategy, relax, aging, language_wait)
    rng = random.Random(data.draw(st.integers(0, 1000)))
    now = 0.0
    queued: set[str] = set()
    resolved: set[str] = set()

    def step(event: Input) -> tuple[Command, ...]:
        nonlocal state
        before = state
        state, commands = handle(state, event, now=now, rng=rng)
        check_offers(before, event, commands, state, now)
        check_lanes_fcfs(before, commands)
        check_indexes(state, now, after_tick=isinstance(event, Tick))
        for cmd in commands:
            if isinstance(cmd, OfferCall | OverflowCall):
                resolved.add(cmd.call_id)
        return commands

    for agent_id, (queues, penalties, levels, langs) in zip(AGENTS, profiles, strict=True):
        members = tuple(Membership(q, penalty=penalties[i], order=i) for i, q in enumerate(queues))
        skills = tuple((s, lv) for s, lv in zip(SKILLS, levels, strict=True) if lv)
        step(AgentStateChanged(agent_id, AgentState.READY, members, skills, frozenset(langs)))

    for n in range(data.draw(st.integers(5, 60))):
        now += data.draw(st.sampled_from((0.0, 1.0, 7.0, 45.0)))
        kind = data.draw(st.sampled_from(("call", "call", "agent", "respond", "end", "abandon", "tick")))
        if kind == "call":
            call_id = f"c{n}"
            queued.add(call_id)
            needs = data.draw(st.lists(st.tuples(st.sampled_from(SKILLS), st.integers(1, 8)), max_size=2))
            step(
                CallQueued(
                    call_id,
                    data.draw(st.sampled_from(QUEUES)),
                    priority=data.draw(st.sampled_from((0, 0, 3))),
                    skills=tuple(SkillReq(s, lv) for s, lv in needs),
                    vip=data.draw(st.booleans()),
                    language=data.draw(st.sampled_from((None, None, "en", "fr"))),
                )
            )
        elif kind == "agent":
            new = data.draw(st.sampled_from(list(AgentState)))
            step(AgentStateChanged(data.draw(st.sampled_from(AGENTS)), new))
        elif kind == "respond":
            legs = sorted((c.call_id, a) for c in state.calls.values() for a in c.offered_to)
            if legs:
                call_id, agent_id = data.draw(st.sampled_from(legs))
                reply = data.draw(
                    st.sampled_from((OfferAnswered, OfferAnswered, OfferRefused, OfferTimedOut))
                )
                step(reply(call_id, agent_id))
        elif kind == "end":
            talking = sorted(c.call_id for c in state.calls.values() if c.agent_id)
            if talking:
                step(CallEnded(data.draw(st.sampled_from(talking))))
        elif kind == "abandon":
            waiting = sorted(c.call_id for c in state.calls.values() if not c.agent_id)
            if waiting:
                call_id = data.draw(st.sampled_from(waiting))
                resolved.add(call_id)
                step(CallAbandoned(call_id))
        else:
            step(Tick())

    # Every call queued is offered, abandoned or overflowed once its maximum wait has passed.
    now += MAX_WAIT + 1
    step(Tick())
    assert queued <= resolved
    assert not any(c.waiting for c in state.calls.values())
