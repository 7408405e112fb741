"""``handle(state, event, *, now) -> (state, commands)``: the ACD state machine.

Invariant kept after every event: no ready agent is eligible for a waiting call of one of their
queues (the engine is work-conserving). So when one thing changes (a call arrives, an agent frees
up) only that call or that agent has to be routed, never the whole center.
"""

from __future__ import annotations

import math
import random

from ccapp.acd.estimate import estimated_wait
from ccapp.acd.routing import (
    effective_priority,
    language_relaxed,
    pick_agents,
    pick_call,
    queue_order,
    relax_delta,
)
from ccapp.acd.state import AcdState, Agent, Call, evolve, normalize_skills
from ccapp.acd.types import (
    AgentState,
    AgentStateChanged,
    AnnounceWait,
    CallAbandoned,
    CallEnded,
    CallQueued,
    CancelOffer,
    Command,
    DailyReset,
    Input,
    OfferAnswered,
    OfferCall,
    OfferRefused,
    OfferTimedOut,
    OverflowCall,
    SetAgentState,
    Strategy,
    Tick,
)
from ccapp.acd.work import Work

# Weight of the newest handle time in the moving average (about the last 20 calls matter).
EWMA_ALPHA = 0.1


def handle(
    state: AcdState, event: Input, *, now: float, rng: random.Random | None = None
) -> tuple[AcdState, tuple[Command, ...]]:
    """Apply one input at time ``now``; return the next state and the commands to carry out, in order."""
    w = Work(state, now, rng)
    match event:
        case CallQueued():
            _call_queued(w, event)
        case CallAbandoned():
            _call_gone(w, event.call_id, abandoned=True)
        case AgentStateChanged():
            _agent_state_changed(w, event)
        case OfferAnswered():
            _offer_answered(w, event)
        case OfferRefused() | OfferTimedOut():
            _offer_failed(w, event.call_id, event.agent_id)
        case CallEnded():
            _call_gone(w, event.call_id, abandoned=False)
        case Tick():
            _tick(w)
        case DailyReset():
            for agent in list(w.agents.values()):
                w.put_agent(evolve(agent, calls_today=0, talk_seconds_today=0.0))
        case _:
            raise TypeError(f"not an ACD input: {event!r}")
    return w.freeze(), tuple(w.commands)


# ---- calls --------------------------------------------------------------------------------------


def _call_queued(w: Work, e: CallQueued) -> None:
    if e.call_id in w.calls:
        return  # a repeated event: the call is already known
    if e.queue_id not in w.queues:
        w.commands.append(OverflowCall(e.call_id, e.queue_id, None, "unknown_queue"))
        return
    call = Call(
        call_id=e.call_id,
        queue_id=e.queue_id,
        priority=e.priority,
        skills=normalize_skills(e.skills),
        vip=e.vip,
        language=e.language,
        arrived_at=w.now if e.arrived_at is None else e.arrived_at,
        seq=w.next_seq(),
    )
    if w.logged_in[call.queue_id] == 0:
        _overflow(w, call, "no_agents", waiting=False)
        return
    if _route_call(w, call):
        return
    config = w.queues[call.queue_id]
    if config.announce_every_seconds:
        call = evolve(call, announced_at=w.now)
    w.enqueue(call)
    if config.announce_every_seconds:
        position = 1 + sum(
            1 for c in queue_order(w, call.queue_id) if c.call_id != call.call_id and _ahead(c, call)
        )
        _announce(w, call, position)


def _ahead(other: Call, call: Call) -> bool:
    # Only used for the first announcement, where the new call is the youngest of its priority.
    return (other.vip, other.priority) >= (call.vip, call.priority)


def _route_call(w: Work, call: Call) -> bool:
    """Offer a call that is not in a lane to the best ready agent(s); False if there is none."""
    agent_ids = pick_agents(w, call)
    if not agent_ids:
        return False
    _offer(w, call, agent_ids)
    return True


def _offer(w: Work, call: Call, agent_ids: tuple[str, ...]) -> None:
    for agent_id in agent_ids:
        w.put_agent(evolve(w.agents[agent_id], state=AgentState.RINGING, call_id=call.call_id))
    w.put_call(evolve(call, offered_to=frozenset(agent_ids)))
    config = w.queues[call.queue_id]
    if config.strategy == Strategy.ROUND_ROBIN:
        m = w.agents[agent_ids[0]].membership(call.queue_id)
        w.set_rr_last(call.queue_id, m.order if m else 0)
    w.commands.append(OfferCall(call.call_id, call.queue_id, agent_ids))


def _offer_answered(w: Work, e: OfferAnswered) -> None:
    call: Call | None = w.calls.get(e.call_id)
    if call is None or e.agent_id not in call.offered_to:
        return
    others = sorted(call.offered_to - {e.agent_id})
    w.put_call(evolve(call, offered_to=frozenset(), agent_id=e.agent_id, answered_at=w.now))
    w.put_agent(evolve(w.agents[e.agent_id], state=AgentState.ON_CALL, call_id=call.call_id))
    _release_legs(w, call.call_id, others)


def _release_legs(w: Work, call_id: str, agent_ids: list[str]) -> None:
    """Cancel ringing legs; their agents go back to ready keeping their idle time, then get routed."""
    freed = []
    for agent_id in agent_ids:
        w.commands.append(CancelOffer(call_id, agent_id))
        agent = w.agents[agent_id]
        if agent.call_id == call_id and agent.state == AgentState.RINGING:
            freed.append(evolve(agent, state=AgentState.READY, call_id=None))
            w.put_agent(freed[-1])
    for agent in sorted(freed, key=lambda a: (a.idle_since, a.agent_id)):
        _route_agent(w, agent.agent_id)


def _offer_failed(w: Work, call_id: str, agent_id: str) -> None:
    call: Call | None = w.calls.get(call_id)
    if call is None or agent_id not in call.offered_to:
        return
    agent = w.agents[agent_id]
    # No answer: the agent is probably away from the phone, so stop offering them calls.
    w.put_agent(evolve(agent, state=AgentState.PAUSED, call_id=None))
    w.commands.append(SetAgentState(agent_id, AgentState.PAUSED, "no_answer"))
    remaining = call.offered_to - {agent_id}
    call = evolve(call, offered_to=remaining)
    w.put_call(call)
    if not remaining:
        _requeue(w, call)


def _requeue(w: Work, call: Call) -> None:
    """Put an offered call back at its place (its arrival time is kept) or offer it again."""
    if w.logged_in[call.queue_id] == 0:
        _overflow(w, call, "no_agents", waiting=False)
    elif not _route_call(w, call):
        w.enqueue(call)


def _call_gone(w: Work, call_id: str, *, abandoned: bool) -> None:
    """The caller hung up: waiting, ringing or talking."""
    call: Call | None = w.calls.get(call_id)
    if call is None:
        return
    w.drop_call(call_id)
    if call.agent_id is not None:
        _finish_connected(w, call)
        return
    if call.offered_to:
        _release_legs(w, call_id, sorted(call.offered_to))
    else:
        w.dequeue(call)


def _finish_connected(w: Work, call: Call) -> None:
    config = w.queues[call.queue_id]
    answered = w.now if call.answered_at is None else call.answered_at
    talk = max(0.0, w.now - answered)
    old = w.handle_ewma[call.queue_id]
    w.set_handle_ewma(call.queue_id, old + EWMA_ALPHA * (talk + config.wrapup_seconds - old))
    agent: Agent | None = w.agents.get(call.agent_id or "")
    if agent is None or agent.call_id != call.call_id:
        return  # the agent's state moved on meanwhile (e.g. logged out mid-call)
    agent = evolve(
        agent,
        call_id=None,
        calls_today=agent.calls_today + 1,
        talk_seconds_today=agent.talk_seconds_today + talk,
    )
    if config.wrapup_seconds > 0:
        w.put_agent(evolve(agent, state=AgentState.WRAP_UP))
        w.set_wrapup(agent.agent_id, w.now + config.wrapup_seconds)
        w.commands.append(SetAgentState(agent.agent_id, AgentState.WRAP_UP, "call_ended"))
    else:
        w.put_agent(evolve(agent, state=AgentState.READY, idle_since=w.now))
        w.commands.append(SetAgentState(agent.agent_id, AgentState.READY, "call_ended"))
        _route_agent(w, agent.agent_id)


def _overflow(w: Work, call: Call, reason: str, *, waiting: bool) -> None:
    if waiting:
        w.dequeue(call)
    w.drop_call(call.call_id)
    target = w.queues[call.queue_id].overflow_target
    w.commands.append(OverflowCall(call.call_id, call.queue_id, target, reason))


def _announce(w: Work, call: Call, position: int) -> None:
    ewt = estimated_wait(w, call.queue_id, position)
    w.commands.append(
        AnnounceWait(call.call_id, call.queue_id, position, ewt if math.isfinite(ewt) else -1.0)
    )


# ---- agents -------------------------------------------------------------------------------------


def _route_agent(w: Work, agent_id: str) -> None:
    """Give a ready agent the best waiting call of their queues, if there is one they may take."""
    # A ring-all call rings the best tier of ready agents, which may leave this agent out (another
    # agent freed by the same event has a lower penalty); then this agent looks at the next call.
    # Every pass either rings this agent or takes a call out of the lanes, so the loop ends.
    while w.agents[agent_id].state == AgentState.READY:
        call = pick_call(w, w.agents[agent_id])
        if call is None:
            return
        w.dequeue(call)
        agent = w.agents[agent_id]
        speaks = call.language is None or call.language in agent.languages
        if not speaks or w.queues[call.queue_id].strategy == Strategy.RING_ALL:
            # Ring-all rings the whole tier; a call past its language wait goes to a ready speaker
            # first (when none is ready, the queue's strategy picks among the others).
            _offer(w, call, pick_agents(w, call) or (agent_id,))
        else:
            _offer(w, call, (agent_id,))


def _agent_state_changed(w: Work, e: AgentStateChanged) -> None:
    old: Agent = w.agents.get(e.agent_id) or Agent(agent_id=e.agent_id)
    new = old
    if e.memberships is not None:
        new = evolve(new, memberships=e.memberships)
    if e.skills is not None:
        new = evolve(new, skills=dict(e.skills))
    if e.languages is not None:
        new = evolve(new, languages=e.languages)
    ringing_for = old.call_id if old.state == AgentState.RINGING else None
    if ringing_for is not None and e.state != AgentState.RINGING:
        # The agent did something else while their phone rang: withdraw the offer.
        new = evolve(new, call_id=None)
    if e.state not in (AgentState.RINGING, AgentState.ON_CALL):
        # Off the phone: a connected call that ends later no longer moves this agent to wrap-up.
        new = evolve(new, call_id=None)
    if e.state == AgentState.READY and old.state != AgentState.READY:
        new = evolve(new, idle_since=w.now)
    new = evolve(new, state=e.state)
    w.put_agent(new)
    if ringing_for is not None and e.state != AgentState.RINGING:
        _withdraw_leg(w, ringing_for, e.agent_id)
    for m in old.memberships:
        if m.queue_id in w.queues and w.logged_in[m.queue_id] == 0:
            for call in queue_order(w, m.queue_id):
                _overflow(w, call, "no_agents", waiting=True)
    _route_agent(w, e.agent_id)


def _withdraw_leg(w: Work, call_id: str, agent_id: str) -> None:
    call: Call | None = w.calls.get(call_id)
    if call is None or agent_id not in call.offered_to:
        return
    w.commands.append(CancelOffer(call_id, agent_id))
    call = evolve(call, offered_to=call.offered_to - {agent_id})
    w.put_call(call)
    if not call.offered_to:
        _requeue(w, call)


# ---- time ---------------------------------------------------------------------------------------


def _tick(w: Work) -> None:
    now = w.now
    for agent_id, until in sorted(w.wrapups.items(), key=lambda kv: (kv[1], kv[0])):
        if until > now:
            break
        agent = w.agents[agent_id]
        w.put_agent(evolve(agent, state=AgentState.READY, idle_since=until))
        w.commands.append(SetAgentState(agent_id, AgentState.READY, "wrapup_done"))
        _route_agent(w, agent_id)
    for queue_id, config in w.queues.items():
        if not w.lanes.get(queue_id):
            continue
        if config.max_wait_seconds is not None:
            _overflow_expired(w, queue_id, config.max_wait_seconds)
        if (config.relaxation or config.language_wait_seconds is not None) and w.ready.get(queue_id):
            _route_relaxed(w, queue_id)
        if config.announce_every_seconds:
            _announce_due(w, queue_id, config.announce_every_seconds)


def _overflow_expired(w: Work, queue_id: str, max_wait: float) -> None:
    # Lane heads are the oldest calls, so only heads need a look.
    for key in list(w.lanes.get(queue_id, {})):
        while (entries := w.lanes[queue_id].get(key)) and w.now - entries[0][0] >= max_wait:
            _overflow(w, w.calls[entries[0][2]], "max_wait", waiting=True)


def _route_relaxed(w: Work, queue_id: str) -> None:
    """Skill and language requirements widened with time: offer lane heads that ready agents may now take."""
    config = w.queues[queue_id]
    progress = True
    while progress and w.ready.get(queue_id) and w.lanes.get(queue_id):
        progress = False
        # Only lane heads: a head is its lane's most relaxed call, so if it finds nobody, nor will the rest.
        heads = sorted(
            (-effective_priority(config, key[0], key[1], lane[0][0], w.now), *lane[0])
            for key, lane in w.lanes[queue_id].items()
        )
        for *_, call_id in heads:
            call = w.calls[call_id]
            waited = w.now - call.arrived_at
            if relax_delta(config, waited) == 0 and not (
                call.language is not None and language_relaxed(config, waited)
            ):
                continue
            agent_ids = pick_agents(w, call)
            if agent_ids:
                w.dequeue(call)
                _offer(w, call, agent_ids)
                progress = True
                break


def _announce_due(w: Work, queue_id: str, every: float) -> None:
    for position, call in enumerate(queue_order(w, queue_id), start=1):
        if call.announced_at is None or w.now - call.announced_at >= every:
            call = evolve(call, announced_at=w.now)
            w.put_call(call)
            _announce(w, call, position)
