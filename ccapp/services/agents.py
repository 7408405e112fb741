"""Agent states and claiming agents for calls under row locks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from ccapp import realtime
from ccapp.errors import NotFound
from ccapp.models import Agent, AgentState, AgentStateChange, Call, CallEvent, PauseCode, Queue
from ccapp.services import rows

MISSED_CALL = "missed_call"
WRAPUP_AWAITS_DISPOSITION = "wrapup_awaits_disposition"  # the wrap-up time ended without one
IDLE_STATES = (AgentState.READY, AgentState.PAUSED, AgentState.WRAP_UP, AgentState.DND)
# States in which an agent is tied to a call (current_call is kept).
CALL_STATES = frozenset({AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP})
AWAITS_DISPOSITION_SQL = (
    f"SELECT 1 FROM {Call._meta.db_table} c JOIN {Queue._meta.db_table} q ON q.id = c.queue_id "
    "WHERE c.id = %s AND q.require_disposition AND c.disposition_id IS NULL"
)


def change_agent_state(
    agent: Agent,
    state: str,
    *,
    call: Call | None = None,
    call_id: int | None = None,
    pause_code: PauseCode | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> Agent:
    """Change a locked agent's state, log it and push it; the caller holds the transaction.

    The call is given as a `Call` or, when the caller has only its id, as `call_id`.
    """
    when = at or timezone.now()
    previous_state, previous_call = agent.state, agent.current_call_id
    if previous_state == AgentState.WRAP_UP and state != AgentState.WRAP_UP and previous_call:
        _close_wrapup(previous_call, when)
    agent.state = state
    agent.state_since = when
    agent.state_reason = reason
    agent.pause_code = pause_code if state == AgentState.PAUSED else None
    if call is not None:
        call_id = call.pk
    agent.current_call_id = call_id if state in CALL_STATES else None
    # Not save(): a state change is logged in AgentStateChange below; save() would also write a row
    # of the agent's configuration history (django-simple-history) for every state change.
    rows.save_fields(agent, "state", "state_since", "state_reason", "pause_code", "current_call")
    rows.add(AgentStateChange(agent=agent, state=state, pause_code=agent.pause_code, reason=reason, at=when))
    event = realtime.AgentStateChanged(agent.pk, state, reason, agent.current_call_id)
    realtime.publish([realtime.agent_group(agent.pk), realtime.WALLBOARD], event)
    return agent


def _close_wrapup(call_id: int, when: datetime) -> None:
    call = rows.locked(Call, call_id)
    if call.wrapup_ended_at is not None or call.ended_at is None:
        return
    call.wrapup_ended_at = when
    call.wrapup_seconds = max(0.0, (when - call.ended_at).total_seconds())
    rows.save_fields(call, "wrapup_ended_at", "wrapup_seconds")
    rows.add(CallEvent(call=call, kind="wrapup_ended", at=when, data={"seconds": call.wrapup_seconds}))


@transaction.atomic
def set_agent_state(
    *, agent_id: int, state: str, pause_code: str | None = None, reason: str = "", at: datetime | None = None
) -> Agent:
    """Set an agent's state (ready, paused with a code, dnd, logged out; ends wrap-up) and log it."""
    agent = Agent.objects.select_for_update().filter(pk=agent_id).first()
    if agent is None:
        raise NotFound("No such agent.", error_id="agent_not_found")
    code = PauseCode.objects.filter(code=pause_code).first() if pause_code else None
    if pause_code and code is None:
        raise NotFound(
            f"Unknown pause code {pause_code!r}.", field="pause_code", error_id="pause_code_not_found"
        )
    call = agent.current_call if state in CALL_STATES else None
    return change_agent_state(agent, state, call=call, pause_code=code, reason=reason, at=at)


@transaction.atomic
def claim_agent(
    *, call_id: int, agent_ids: Sequence[int], any_idle_state: bool = False, at: datetime | None = None
) -> Agent | None:
    """Lock the first still-ready agent among `agent_ids` (in that order) and mark it ringing.

    `any_idle_state` (click-to-call by the agent): paused, wrap-up or do-not-disturb agents too.

    `skip_locked` makes a second worker skip an agent another worker is claiming right now, so no
    agent is ever offered two calls.
    """
    return claim_ready_agent(call_id=call_id, agent_ids=agent_ids, any_idle_state=any_idle_state, at=at)


def claim_ready_agent(
    *, call_id: int, agent_ids: Sequence[int], any_idle_state: bool = False, at: datetime | None = None
) -> Agent | None:
    """`claim_agent` inside the caller's transaction."""
    if not agent_ids:
        return None
    states = IDLE_STATES if any_idle_state else (AgentState.READY,)
    if len(agent_ids) == 1:  # the ACD's usual claim: one agent, by primary key
        try:
            agent = rows.locked(Agent, agent_ids[0], skip_locked=True)
        except Agent.DoesNotExist:
            return None
        candidates = [agent] if agent.state in states else []
    else:
        candidates = Agent.objects.select_for_update(skip_locked=True).filter(
            pk__in=list(agent_ids), state__in=states
        )
    ready = {agent.pk: agent for agent in candidates}
    for agent_id in agent_ids:
        agent = ready.get(agent_id)
        if agent is not None:
            return change_agent_state(agent, AgentState.RINGING, call_id=call_id, reason="offer", at=at)
    return None


@transaction.atomic
def miss_offer(*, call_id: int, agent_id: int, reason: str, at: datetime | None = None) -> Agent:
    """An offer was not answered (timeout, busy, unreachable): the agent goes not-ready ("missed")."""
    agent = rows.locked(Agent, agent_id)
    rows.add(
        CallEvent(
            call_id=call_id,
            kind="offer_missed",
            at=at or timezone.now(),
            data={"agent": agent_id, "reason": reason},
        )
    )
    if agent.current_call_id == call_id and agent.state == AgentState.RINGING:
        change_agent_state(agent, AgentState.PAUSED, reason=MISSED_CALL, at=at)
    return agent


@transaction.atomic
def cancel_offer(*, call_id: int, agent_id: int, at: datetime | None = None) -> Agent:
    """A ring the system stopped (another agent won, the caller left): the agent is ready again."""
    agent = rows.locked(Agent, agent_id)
    if agent.current_call_id == call_id and agent.state == AgentState.RINGING:
        change_agent_state(agent, AgentState.READY, reason="offer_cancelled", at=at)
    return agent


@transaction.atomic
def end_wrapup(*, agent_id: int, call_id: int, at: datetime | None = None) -> Agent | None:
    """The queue's wrap-up time is over: ready again, unless the agent already moved on.

    When the queue needs a disposition that is not saved yet, the agent stays in wrap-up and saving
    it ends the wrap-up (`services.desk.save_wrapup`).
    """
    agent = rows.locked(Agent, agent_id)
    if agent.state != AgentState.WRAP_UP or agent.current_call_id != call_id:
        return None
    with connection.cursor() as cursor:  # raw: this runs after every answered call
        cursor.execute(AWAITS_DISPOSITION_SQL, [call_id])
        awaits_disposition = cursor.fetchone() is not None
    if awaits_disposition:
        rows.add(CallEvent(call_id=call_id, kind=WRAPUP_AWAITS_DISPOSITION, at=at or timezone.now()))
        return None
    return change_agent_state(agent, AgentState.READY, reason="wrapup_over", at=at)
