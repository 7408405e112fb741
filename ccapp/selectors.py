"""Reads of the telephony core: routing candidates, queue positions and waits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from ccapp.models import Agent, AgentState, Call, CallbackRequest, CallbackStatus, QueueMember

DEFAULT_HANDLE_SECONDS = 180.0
SEES_ALL_CALLBACKS = "ccapp.view_reports"  # supervisors and admins
OPEN_CALLBACK = (CallbackStatus.PENDING, CallbackStatus.IN_PROGRESS)
DESK_CALLBACKS_DONE_SINCE = timedelta(hours=24)  # the desk still shows the agent's results this long
DESK_CALLBACKS_LIMIT = 30


def logged_in_agents(queue_id: int) -> int:
    """How many members of a queue are logged in (in any state but logged out)."""
    return (
        QueueMember.objects.filter(queue_id=queue_id, logged_in=True)
        .exclude(agent__state=AgentState.LOGGED_OUT)
        .count()
    )


def waiting_calls(queue_id: int) -> list[int]:
    """Calls waiting in a queue, in the order they are served: priority, then time in line."""
    return list(
        Call.objects.filter(queue_id=queue_id, ended_at__isnull=True, answered_at__isnull=True)
        .exclude(queued_at__isnull=True)
        .order_by("-priority", "queued_at", "id")
        .values_list("id", flat=True)
    )


def waiting_line(queue_id: int) -> list[tuple[int, datetime, int]]:
    """The calls waiting in a queue as sortable keys, first in line first: (-priority, queued_at, id)."""
    rows = Call.objects.filter(
        queue_id=queue_id, ended_at__isnull=True, answered_at__isnull=True, queued_at__isnull=False
    ).values_list("priority", "queued_at", "id")
    return sorted((-priority, queued_at, pk) for priority, queued_at, pk in rows)


def estimated_wait_seconds(queue_id: int, position: int) -> float:
    """Estimated wait for a caller at `position`: recent average talk time spread over agents."""
    average = (
        Call.objects.filter(queue_id=queue_id, answered_at__isnull=False, ended_at__isnull=False)
        .order_by("-ended_at")[:50]
        .aggregate(avg=Avg("talk_seconds"))["avg"]
    )
    agents = max(1, logged_in_agents(queue_id))
    return (average or DEFAULT_HANDLE_SECONDS) * position / agents


def busy_agents_of_ended_calls() -> list[int]:
    """Agents marked ringing or on a call whose call has ended (to repair after a restart)."""
    return list(
        Agent.objects.filter(state__in=(AgentState.RINGING, AgentState.ON_CALL))
        .filter(Q(current_call__isnull=True) | Q(current_call__ended_at__isnull=False))
        .values_list("id", flat=True)
    )


def open_calls(stasis_node: str) -> list[Call]:
    """Calls this worker started that are not finished."""
    return list(Call.objects.filter(stasis_node=stasis_node, ended_at__isnull=True))


def _any_pending_callback() -> bool:
    # The Stasis worker asks on every dispatch pass, and there usually is none: one plain query
    # first (the full one below costs several times more to build than to run).
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(CallbackRequest._meta.db_table)
        cursor.execute(f"SELECT 1 FROM {table} WHERE status = %s LIMIT 1", [CallbackStatus.PENDING])
        return cursor.fetchone() is not None


def due_callbacks(now: datetime, limit: int = 200) -> list[CallbackRequest]:
    """Pending callbacks whose time has come (scheduled time and retry interval passed), by place in line."""
    if not _any_pending_callback():
        return []
    return list(
        CallbackRequest.objects.filter(status=CallbackStatus.PENDING, queue__active=True)
        .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("origin_call")
        .order_by("queued_since", "id")[:limit]
    )


def _workable(agent_id: int, now: datetime) -> Q:
    """Callbacks of the agent's queues that no colleague holds (never reserved, or reserved no longer)."""
    queues = QueueMember.objects.filter(agent_id=agent_id).values("queue_id")
    unreserved = Q(agent__isnull=True) | Q(reserved_until__isnull=True) | Q(reserved_until__lte=now)
    return Q(queue_id__in=queues) & unreserved


def visible_callbacks(user: Any, *, now: datetime | None = None) -> QuerySet[CallbackRequest]:
    """Callbacks a user may see and cancel: supervisors all; an agent theirs and their queues' free ones.

    "Theirs" are those reserved for them (the ones they scheduled on the desk); a callback that a
    colleague of the same queue promised stays that colleague's until its reservation ends.
    """
    callbacks = CallbackRequest.objects.all()
    if not user.is_authenticated:
        return callbacks.none()
    if user.has_perm(SEES_ALL_CALLBACKS):
        return callbacks
    agent_id = Agent.objects.filter(user=user).values_list("pk", flat=True).first()
    if agent_id is None or not user.has_perm("ccapp.handle_calls"):
        return callbacks.none()
    return callbacks.filter(Q(agent_id=agent_id) | _workable(agent_id, now or timezone.now()))


def desk_callbacks(agent_id: int, *, now: datetime | None = None) -> list[CallbackRequest]:
    """The desk's "my callbacks": open ones reserved for the agent or free in their queues (the next
    due first), then the agent's own finished in the last day (the latest first)."""
    now = now or timezone.now()
    rows = CallbackRequest.objects.select_related("queue")
    due = Coalesce("next_attempt_at", "scheduled_for", "queued_since")
    open_ = (
        rows.filter(status__in=OPEN_CALLBACK)
        .filter(Q(agent_id=agent_id) | _workable(agent_id, now))
        .order_by(due.asc(), "id")[:DESK_CALLBACKS_LIMIT]
    )
    last = Coalesce("last_attempt_at", "scheduled_for", "requested_at")
    done = (
        rows.filter(agent_id=agent_id)
        .exclude(status__in=OPEN_CALLBACK)
        .alias(last=last)
        .filter(last__gte=now - DESK_CALLBACKS_DONE_SINCE)
        .order_by("-last", "-id")[:10]
    )
    return [*open_, *done]
