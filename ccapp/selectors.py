"""Reads of the telephony core: routing candidates, queue positions and waits."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Avg, Q

from ccapp.models import Agent, AgentState, Call, CallbackRequest, CallbackStatus, QueueMember

DEFAULT_HANDLE_SECONDS = 180.0


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


def queue_position(call_id: int) -> int:
    """1-based place of a waiting call in its queue (0 when it is not waiting)."""
    call = Call.objects.filter(pk=call_id).values("queue_id", "priority", "queued_at").first()
    if not call or not call["queue_id"] or not call["queued_at"]:
        return 0
    ahead = (
        Call.objects.filter(queue_id=call["queue_id"], ended_at__isnull=True, answered_at__isnull=True)
        .filter(
            Q(priority__gt=call["priority"])
            | Q(priority=call["priority"], queued_at__lt=call["queued_at"])
            | Q(priority=call["priority"], queued_at=call["queued_at"], id__lt=call_id)
        )
        .count()
    )
    return ahead + 1


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
