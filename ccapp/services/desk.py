"""Writes the agent desktop and the wallboard need: desk states, queue log-in, wrap-up, transfers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ccapp import realtime
from ccapp.errors import Conflict, DomainError, NotFound
from ccapp.models import (
    Agent,
    AgentState,
    Call,
    CallbackRequest,
    CallEvent,
    DispositionCode,
    PauseCode,
    QueueMember,
)
from ccapp.services.agents import WRAPUP_AWAITS_DISPOSITION, change_agent_state
from ccapp.services.callbacks import request_callback

# States an agent may pick on the desktop; ringing, on call and wrap-up are the system's to set.
DESK_STATES = frozenset({AgentState.READY, AgentState.PAUSED, AgentState.DND, AgentState.LOGGED_OUT})
BUSY_STATES = frozenset({AgentState.RINGING, AgentState.ON_CALL})
FORCED_REASON = "supervisor"


def _locked_agent(agent_id: int) -> Agent:
    agent = Agent.objects.select_for_update().filter(pk=agent_id).first()
    if agent is None:
        raise NotFound(_("No such agent."), error_id="agent_not_found")
    return agent


def _missing_disposition(agent: Agent) -> bool:
    if agent.state != AgentState.WRAP_UP or not agent.current_call_id:
        return False
    call = Call.objects.select_related("queue").get(pk=agent.current_call_id)
    return bool(call.queue and call.queue.require_disposition and not call.disposition_id)


@transaction.atomic
def set_desk_state(
    *, agent_id: int, state: str, pause_code: str = "", forced_by: str = "", at: datetime | None = None
) -> Agent:
    """An agent (or a supervisor, `forced_by`) picks ready, pause with a code, DND or log out."""
    if state not in DESK_STATES:
        raise DomainError(_("This state cannot be chosen."), field="state", error_id="invalid_state")
    agent = _locked_agent(agent_id)
    # Nobody cuts a live call by changing a state: the call ends through the phone or "hang up".
    if agent.state in BUSY_STATES:
        raise Conflict(_("The agent is on a call; change the state after it."), error_id="agent_busy")
    if not forced_by and _missing_disposition(agent):
        raise Conflict(
            _("This queue needs a disposition before you go on."),
            field="disposition",
            error_id="disposition_required",
        )
    code = None
    if state == AgentState.PAUSED:
        code = PauseCode.objects.filter(code=pause_code, active=True).first() if pause_code else None
        if code is None:
            raise DomainError(_("Choose a pause reason."), field="pause_code", error_id="pause_code_required")
    reason = f"{FORCED_REASON}:{forced_by}" if forced_by else (code.code if code else "")
    return change_agent_state(agent, state, call=None, pause_code=code, reason=reason, at=at)


@transaction.atomic
def set_queue_login(*, agent_id: int, queue_id: int, logged_in: bool) -> QueueMember:
    """Log an agent in to (or out of) one of their queues."""
    member = QueueMember.objects.select_for_update().filter(agent_id=agent_id, queue_id=queue_id).first()
    if member is None:
        raise NotFound(_("You are not a member of this queue."), error_id="not_a_member")
    if member.logged_in != logged_in:
        member.logged_in = logged_in
        member.save(update_fields=["logged_in"])
    return member


def _agent_call(agent_id: int, call_id: int) -> Call:
    """A call this agent handles now or handled (wrap-up), locked; anything else is refused."""
    call = Call.objects.select_for_update(of=("self",)).select_related("queue").filter(pk=call_id).first()
    agent = Agent.objects.filter(pk=agent_id).values("current_call_id").first()
    if call is None or agent is None:
        raise NotFound(_("No such call."), error_id="call_not_found")
    took_part = CallEvent.objects.filter(
        call=call, kind__in=("answered", "transferred"), data__agent=agent_id
    ).exists()
    if agent["current_call_id"] != call_id and call.agent_id != agent_id and not took_part:
        raise Conflict(_("This is not your call."), error_id="not_your_call")
    return call


@transaction.atomic
def save_wrapup(
    *, agent_id: int, call_id: int, disposition: str = "", notes: str = "", at: datetime | None = None
) -> Call:
    """Store the wrap-up of a call: disposition code (checked against the queue) and notes."""
    call = _agent_call(agent_id, call_id)
    code = None
    if disposition:
        code = DispositionCode.objects.filter(code=disposition, active=True).first()
        allowed = code is not None and (
            not code.queues.exists() or (call.queue_id and code.queues.filter(pk=call.queue_id).exists())
        )
        if not allowed:
            raise DomainError(
                _("Unknown disposition for this queue."), field="disposition", error_id="invalid_disposition"
            )
    elif call.queue and call.queue.require_disposition:
        raise DomainError(
            _("This queue needs a disposition."), field="disposition", error_id="disposition_required"
        )
    call.disposition = code
    call.notes = notes.strip()[:4000]
    call.save(update_fields=["disposition", "notes"])
    CallEvent.objects.create(
        call=call,
        kind="wrapup_saved",
        at=at or timezone.now(),
        data={"agent": agent_id, "disposition": disposition},
    )
    update = realtime.CallUpdated(call.pk, "wrapup_saved", {"disposition": disposition, "notes": call.notes})
    realtime.publish([realtime.agent_group(agent_id)], update)
    _end_awaited_wrapup(agent_id, call, at)
    return call


def _end_awaited_wrapup(agent_id: int, call: Call, at: datetime | None) -> None:
    """The wrap-up was only waiting for this disposition (its time is over, or the queue has none)."""
    if call.queue is None or not call.queue.require_disposition or call.disposition_id is None:
        return
    agent = _locked_agent(agent_id)
    if agent.state != AgentState.WRAP_UP or agent.current_call_id != call.pk:
        return
    timer_over = not call.queue.wrapup_seconds or call.events.filter(kind=WRAPUP_AWAITS_DISPOSITION).exists()
    if timer_over:
        change_agent_state(agent, AgentState.READY, call=None, reason="wrapup_over", at=at)


@transaction.atomic
def schedule_callback(
    *, agent_id: int, call_id: int, scheduled_for: datetime, note: str = "", number: str = ""
) -> CallbackRequest:
    """The agent promises to call the customer back at a time; the callback is reserved for them."""
    call = _agent_call(agent_id, call_id)
    if call.queue_id is None:
        raise DomainError(_("This call has no queue."), error_id="callback_no_queue")
    return request_callback(
        queue_id=call.queue_id,
        number=number or call.caller,
        call_id=call.pk,
        scheduled_for=scheduled_for,
        agent_id=agent_id,
        note=note,
    )


@transaction.atomic
def create_call_ticket(
    *, agent_id: int, call_id: int, actor: Any, subject: str, description: str = ""
) -> Any:
    """A ticket for a call the agent handles; the same subject again (a double click) is refused."""
    from tickets.services import create_ticket_from_call

    call = _agent_call(agent_id, call_id)  # locked: two clicks at once are serialized here
    existing = call.tickets.filter(subject=subject).first()
    if existing is not None:
        raise Conflict(
            _("Ticket %(number)s already exists for this call.") % {"number": existing.number},
            field="subject",
            error_id="ticket_exists",
        )
    return create_ticket_from_call(call.pk, actor=actor, subject=subject, description=description)


@transaction.atomic
def record_call_update(
    *, call_id: int, kind: str, agent_ids: list[int], data: dict[str, Any] | None = None
) -> None:
    """Log a change during a call (hold, mute, recording paused...) and show it on the agents' screens."""
    data = data or {}
    CallEvent.objects.create(call_id=call_id, kind=kind, data=data)
    groups = [realtime.agent_group(agent_id) for agent_id in agent_ids] + [realtime.WALLBOARD]
    realtime.publish(groups, realtime.CallUpdated(call_id, kind, data))
