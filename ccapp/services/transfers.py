"""Writes of in-call work with a third party: consultation, attended transfer, conference, pickup."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from ccapp import realtime
from ccapp.models import Agent, AgentState, Call, CallEvent, CallOutcome
from ccapp.services.agents import change_agent_state
from ccapp.services.calls import answer_call, finish_call, start_transferred_call

# A consulted agent or conference guest is ringing for, or talking on, a call that is not theirs.
PARTY_STATES = (AgentState.RINGING, AgentState.ON_CALL)


def _publish_update(call_id: int, kind: str, agent_ids: list[int], data: dict[str, Any]) -> None:
    groups = [realtime.agent_group(agent_id) for agent_id in dict.fromkeys(agent_ids) if agent_id]
    realtime.publish(groups, realtime.CallUpdated(call_id, kind, data))


@transaction.atomic
def note_party_step(
    *, call_id: int, kind: str, agent_ids: list[int], data: dict[str, Any], at: datetime | None = None
) -> CallEvent:
    """A step of a consultation, conference or pickup: in the timeline and on the involved agents' screens."""
    event = CallEvent.objects.create(call_id=call_id, kind=kind, data=data, **({"at": at} if at else {}))
    _publish_update(call_id, kind, agent_ids, data)
    return event


@transaction.atomic
def ring_party(*, call_id: int, agent_id: int) -> None:
    """A claimed colleague's phone rings for a consultation or conference: their ringing toast."""
    call = Call.objects.get(pk=call_id)
    realtime.publish(
        [realtime.agent_group(agent_id)],
        realtime.CallOffered(call.pk, agent_id, call.queue_id, call.caller or call.caller_raw),
    )


@transaction.atomic
def join_call(*, call_id: int, agent_id: int, at: datetime | None = None) -> Agent | None:
    """A consulted agent or conference guest answered: on this call (still its agent's), card on screen."""
    agent = Agent.objects.select_for_update().get(pk=agent_id)
    if agent.current_call_id != call_id or agent.state not in PARTY_STATES:
        return None
    call = Call.objects.get(pk=call_id)
    change_agent_state(agent, AgentState.ON_CALL, call=call, reason="joined", at=at)
    realtime.publish([realtime.agent_group(agent_id)], realtime.CallJoined(call_id, agent_id))
    return agent


@transaction.atomic
def release_party(*, call_id: int, agent_id: int, reason: str, at: datetime | None = None) -> Agent | None:
    """A consulted agent or guest is done (cancelled, declined, dropped, hung up): ready, not 'missed'."""
    agent = Agent.objects.select_for_update().get(pk=agent_id)
    if agent.current_call_id != call_id or agent.state not in PARTY_STATES:
        return None
    return change_agent_state(agent, AgentState.READY, reason=reason, at=at)


@transaction.atomic
def leave_call(*, call_id: int, agent_id: int, at: datetime | None = None) -> Agent | None:
    """The call's agent hung up while others talk on (conference): wrap-up if the queue has it, else ready."""
    agent = Agent.objects.select_for_update().get(pk=agent_id)
    if agent.current_call_id != call_id or agent.state != AgentState.ON_CALL:
        return None
    call = Call.objects.select_related("queue").get(pk=call_id)
    wrapup = call.queue.wrapup_seconds if call.queue_id else 0
    CallEvent.objects.create(call=call, kind="agent_left", data={"agent": agent_id})
    state = AgentState.WRAP_UP if wrapup else AgentState.READY
    return change_agent_state(agent, state, call=call if wrapup else None, reason="left_call", at=at)


@transaction.atomic
def complete_transfer(
    *,
    call_id: int,
    note: str = "",
    agent_id: int | None = None,
    queue_id: int | None = None,
    number: str = "",
    stasis_node: str = "",
) -> Call | None:
    """Attended transfer done: the first agent's call ends as transferred (wrap-up follows).

    To a consulted agent, the caller goes on as a new Call answered by that agent, with the note,
    customer and history on their screen exactly as after a blind transfer. To a number, the call
    simply ends as transferred (the caller stays bridged with the number, outside any agent's work).
    """
    first_agent = Call.objects.values_list("agent_id", flat=True).get(pk=call_id)
    note_party_step(
        call_id=call_id,
        kind="transfer_completed",
        agent_ids=[first_agent],
        data={"consult": None, "agent": agent_id, "number": number, "note": note},
    )
    new = None
    if agent_id is not None:
        new = start_transferred_call(parent_id=call_id, note=note, stasis_node=stasis_node, queue_id=queue_id)
        # The consulted agent moves to the new call before the old one releases its agents.
        answer_call(call_id=new.pk, agent_id=agent_id)
    finish_call(call_id=call_id, outcome=CallOutcome.TRANSFERRED)
    return new
