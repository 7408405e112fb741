"""Callbacks: requests (now or at a time), attempts claimed under row locks, results, retries, cancel."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ccapp import realtime
from ccapp.errors import Conflict, DomainError, NotFound, PermissionDenied
from ccapp.hours import NeverOpen, calendar_for
from ccapp.models import (
    Agent,
    AgentState,
    Call,
    CallbackRequest,
    CallbackResult,
    CallbackStatus,
    CallDirection,
    CallEvent,
    CallOutcome,
    Queue,
    Voicemail,
)
from ccapp.phones import normalize
from ccapp.services.agents import change_agent_state
from ccapp.services.customers import find_customer

# A callback the agent promised stays theirs this long after its time, then any agent may take it.
RESERVE_MINUTES = 15
# Results after which the customer is dialled again (until the queue's attempts are used up).
RETRY_RESULTS = frozenset({CallbackResult.NO_ANSWER, CallbackResult.BUSY, CallbackResult.FAILED})
CALLBACK_COMMAND = "callback_cancel"


@dataclass(frozen=True)
class CallbackClaim:
    """A callback attempt the worker has claimed an agent for: ring the agent on `channel_id`."""

    callback_id: int
    call_id: int
    agent_id: int
    channel_id: str
    number: str
    queue_id: int


def _valid_number(raw: str) -> str:
    number = normalize(raw or "")
    if not raw:
        raise DomainError(_("The caller's number is unknown."), field="number", error_id="callback_no_number")
    if not number.valid:
        raise DomainError(
            _("This is not a valid phone number."), field="number", error_id="callback_invalid_number"
        )
    return number.e164


def _next_opening(call: Call | None, now: datetime) -> datetime | None:
    """When the caller's route opens again, if it is closed now (a callback from a night voicemail)."""
    route = call.route if call and call.route_id else None
    if route is None or not route.business_hours_id:
        return None
    calendar = calendar_for(route.business_hours)
    if calendar.is_open(now):
        return None
    try:
        return calendar.add_business_seconds(now, 1) - dt.timedelta(seconds=1)
    except NeverOpen:
        return None


@transaction.atomic
def request_callback(
    *,
    queue_id: int,
    number: str,
    call_id: int | None = None,
    voicemail_id: int | None = None,
    scheduled_for: datetime | None = None,
    agent_id: int | None = None,
    note: str = "",
) -> CallbackRequest:
    """Ask for a callback, now (keeping the caller's place in line) or at a time; idempotent per call.

    A callback with an agent (promised on the desk) is reserved for that agent until
    `RESERVE_MINUTES` after its time. A voicemail left while the route is closed is called back
    when it opens.
    """
    e164 = _valid_number(number)
    now = timezone.now()
    if scheduled_for is not None and scheduled_for <= now:
        raise DomainError(_("Pick a time in the future."), field="when", error_id="callback_in_past")
    queue = Queue.objects.filter(pk=queue_id).first()
    if queue is None:
        raise NotFound(_("No such queue."), field="queue", error_id="queue_not_found")
    if call_id is None and voicemail_id is not None:
        call_id = Voicemail.objects.filter(pk=voicemail_id).values_list("call_id", flat=True).first()
    call = Call.objects.select_for_update(of=("self",)).filter(pk=call_id).first() if call_id else None
    if call is not None and scheduled_for is None and agent_id is None:
        existing = CallbackRequest.objects.filter(origin_call=call, voicemail_id=voicemail_id).first()
        if existing is not None:
            return existing
    if scheduled_for is None and voicemail_id is not None:
        scheduled_for = _next_opening(call, now)
    queued_since = scheduled_for or (call.queued_at if call and call.queued_at and not agent_id else now)
    callback = CallbackRequest.objects.create(
        customer_id=call.customer_id if call else find_customer(e164).customer_id,
        number=e164,
        queue=queue,
        origin_call=call,
        voicemail_id=voicemail_id,
        requested_at=now,
        queued_since=queued_since,
        scheduled_for=scheduled_for,
        max_attempts=queue.callback_attempts,
        agent_id=agent_id,
        reserved_until=(scheduled_for or now) + dt.timedelta(minutes=RESERVE_MINUTES) if agent_id else None,
        note=note.strip()[:2000],
    )
    if call is not None and voicemail_id is None and agent_id is None:
        call.outcome = CallOutcome.CALLBACK
        call.save(update_fields=["outcome"])
    if call is not None:
        data = {
            "callback": callback.pk,
            "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
        }
        CallEvent.objects.create(call=call, kind="callback_requested", at=now, data=data)
    if callback.customer_id:
        _timeline(callback, _("Callback requested"))
    return callback


@transaction.atomic
def start_callback_attempt(
    *, callback_id: int, agent_id: int, stasis_node: str = "", at: datetime | None = None
) -> tuple[CallbackClaim | None, str]:
    """Claim a due callback and a ready agent together (row locks, skip locked): (claim, '') or (None, why).

    `why` is `callback` when the callback is gone (taken by another worker, cancelled) and `agent`
    when the agent is no longer ready; nothing is written then.
    """
    now = at or timezone.now()
    callback = (
        CallbackRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=callback_id, status=CallbackStatus.PENDING)
        .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("origin_call", "queue")
        .first()
    )
    if callback is None:
        return None, "callback"
    agent = (
        Agent.objects.select_for_update(skip_locked=True).filter(pk=agent_id, state=AgentState.READY).first()
    )
    if agent is None:
        return None, "agent"
    origin = callback.origin_call
    channel_id = f"cb-{callback.pk}-{uuid.uuid4().hex[:8]}"
    call = Call.objects.create(
        channel_id=channel_id,
        direction=CallDirection.CALLBACK,
        caller_raw=callback.number,
        caller=callback.number,
        dnis=callback.number,
        customer_id=callback.customer_id,
        queue_id=callback.queue_id,
        priority=origin.priority if origin else 0,
        vip=origin.vip if origin else False,
        language=origin.language if origin else callback.queue.language,
        arrived_at=now,
        offered_at=now,
        stasis_node=stasis_node,
        parent=origin,
    )
    callback.status, callback.last_call = CallbackStatus.IN_PROGRESS, call
    callback.save(update_fields=["status", "last_call"])
    change_agent_state(agent, AgentState.RINGING, call=call, reason="callback", at=now)
    CallEvent.objects.create(call=call, kind="started", at=now, data={"callback": callback.pk})
    CallEvent.objects.create(
        call=call, kind="offered", at=now, data={"agent": agent.pk, "callback": callback.pk}
    )
    realtime.publish(
        [realtime.agent_group(agent.pk)], realtime.CallOffered(call.pk, agent.pk, call.queue_id, call.caller)
    )
    claim = CallbackClaim(callback.pk, call.pk, agent.pk, channel_id, callback.number, callback.queue_id)
    return claim, ""


@transaction.atomic
def dial_callback_customer(*, callback_id: int, call_id: int, at: datetime | None = None) -> CallbackRequest:
    """The agent took the callback: count an attempt at the customer's number."""
    callback = CallbackRequest.objects.select_for_update().get(pk=callback_id)
    callback.attempts += 1
    callback.last_attempt_at = at or timezone.now()
    callback.save(update_fields=["attempts", "last_attempt_at"])
    data = {"callback": callback.pk, "attempt": callback.attempts, "number": callback.number}
    CallEvent.objects.create(call_id=call_id, kind="callback_dialing", at=callback.last_attempt_at, data=data)
    return callback


@transaction.atomic
def finish_callback_attempt(
    *,
    callback_id: int,
    call_id: int,
    result: str,
    agent_id: int | None = None,
    reason: str = "",
    final: bool = False,
    at: datetime | None = None,
) -> CallbackRequest:
    """Store an attempt's result: reached, or a retry after the queue's interval, or failed for good.

    `result` is a `CallbackResult`, or `agent_missed` (the agent did not take it: offered again at
    once, no attempt counted). `final` fails it without retry (a number the rules forbid). A
    callback cancelled meanwhile stays cancelled.
    """
    now = at or timezone.now()
    callback = (
        CallbackRequest.objects.select_for_update(of=("self",)).select_related("queue").get(pk=callback_id)
    )
    if callback.status == CallbackStatus.CANCELLED:
        result = CallbackResult.CANCELLED
    elif result == "agent_missed":
        callback.status = CallbackStatus.PENDING
    elif result == CallbackResult.REACHED:
        callback.status, callback.result = CallbackStatus.COMPLETED, result
    elif result in RETRY_RESULTS and not final and callback.attempts < callback.max_attempts:
        callback.status, callback.result = CallbackStatus.PENDING, result
        callback.next_attempt_at = now + dt.timedelta(seconds=callback.queue.callback_retry_seconds)
    else:
        callback.status, callback.result = CallbackStatus.FAILED, CallbackResult(result)
    callback.save(update_fields=["status", "result", "next_attempt_at"])
    data: dict[str, Any] = {
        "callback": callback.pk,
        "result": result,
        "status": callback.status,
        "attempts": callback.attempts,
        "next_attempt_at": callback.next_attempt_at.isoformat() if callback.next_attempt_at else None,
    }
    if reason:
        data["reason"] = reason
    CallEvent.objects.create(call_id=call_id, kind="callback_result", at=now, data=data)
    if callback.customer_id and result != "agent_missed":
        _timeline(callback, str(CallbackResult(result).label), data)
    _push(callback, call_id, data, agent_id)
    return callback


@transaction.atomic
def cancel_callback(
    *, callback_id: int, user: Any | None, by: str = "", at: datetime | None = None
) -> CallbackRequest:
    """Cancel a pending or ringing callback; a ringing one is hung up by the worker that holds it.

    `user` (None for the system) must hold `change_callbackrequest` and see the callback: a
    supervisor any, an agent theirs and their queues' free ones (`selectors.visible_callbacks`).
    """
    callback = CallbackRequest.objects.select_for_update().filter(pk=callback_id).first()
    if callback is None:
        raise NotFound(_("No such callback."), error_id="callback_not_found")
    if user is not None:
        _may_cancel(user, callback)
        by = by or user.get_username()
    if callback.status not in (CallbackStatus.PENDING, CallbackStatus.IN_PROGRESS):
        raise Conflict(_("This callback is already finished."), error_id="callback_closed")
    ringing = callback.status == CallbackStatus.IN_PROGRESS
    callback.status, callback.result = CallbackStatus.CANCELLED, CallbackResult.CANCELLED
    callback.save(update_fields=["status", "result"])
    data = {"callback": callback.pk, "by": by, "while_ringing": ringing}
    if callback.last_call_id:
        CallEvent.objects.create(
            call_id=callback.last_call_id, kind="callback_cancelled", at=at or timezone.now(), data=data
        )
    if callback.customer_id:
        _timeline(callback, str(CallbackResult.CANCELLED.label), data)
    # The agent of a ringing attempt hears it too (a callback never tried has no attempt agent).
    attempt_agent = (
        Agent.objects.filter(current_call_id=callback.last_call_id).values_list("pk", flat=True).first()
        if callback.last_call_id
        else None
    )
    _push(callback, callback.last_call_id or 0, {**data, "status": callback.status}, attempt_agent)
    if ringing and callback.last_call_id:
        command = realtime.StasisCommand(command=CALLBACK_COMMAND, call_id=callback.last_call_id, args={})
        realtime.send_stasis_command_on_commit(command)
    return callback


def _may_cancel(user: Any, callback: CallbackRequest) -> None:
    from ccapp.selectors import visible_callbacks

    if not user.has_perm("ccapp.change_callbackrequest"):
        raise PermissionDenied(_("You may not cancel callbacks."), error_id="forbidden")
    if not visible_callbacks(user).filter(pk=callback.pk).exists():
        raise PermissionDenied(
            _("This callback belongs to a colleague or another queue."), error_id="callback_not_yours"
        )


@transaction.atomic
def recover_callbacks() -> int:
    """Callbacks left in progress by a worker that stopped (their attempt's call ended): pending again."""
    stuck = CallbackRequest.objects.select_for_update(skip_locked=True).filter(
        status=CallbackStatus.IN_PROGRESS, last_call__ended_at__isnull=False
    )
    count = 0
    for callback in stuck:
        callback.status = CallbackStatus.PENDING
        callback.save(update_fields=["status"])
        CallEvent.objects.create(
            call_id=callback.last_call_id, kind="callback_recovered", data={"callback": callback.pk}
        )
        count += 1
    return count


def _timeline(callback: CallbackRequest, summary: str, data: dict[str, Any] | None = None) -> None:
    from crm.services import record_interaction

    record_interaction(
        customer=callback.customer_id,
        kind="callback",
        summary=f"{summary} {callback.number}",
        link=callback,
        data={"status": callback.status, "attempts": callback.attempts, **(data or {})},
    )


def _push(callback: CallbackRequest, call_id: int, data: dict[str, Any], agent_id: int | None = None) -> None:
    """The result to the callback's owner and the attempt's agent ("my callbacks"), and the wallboard."""
    agents = sorted({a for a in (callback.agent_id, agent_id) if a})
    groups = [realtime.agent_group(a) for a in agents] + [realtime.WALLBOARD]
    realtime.publish(groups, realtime.CallUpdated(call_id, "callback_result", data))
