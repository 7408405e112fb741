"""The desk's "my callbacks and voicemails" panel and its cancel button (sync, run in a thread)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from ccapp import selectors
from ccapp.audio.access import audio_url
from ccapp.models import Agent, CallbackRequest, CallbackResult, CallbackStatus, Voicemail
from ccapp.services import cancel_callback as cancel_callback_service


def _local(at: datetime | None) -> str | None:
    """Local wall-clock time (the page shows its first 16 characters)."""
    return timezone.localtime(at).isoformat() if at else None


def callback_row(callback: CallbackRequest, agent_id: int) -> dict[str, Any]:
    """One callback as the panel shows it: status and result in the page's language, when, attempts."""
    return {
        "id": callback.pk,
        "number": callback.number,
        "queue": callback.queue.name,
        "status": callback.status,
        "status_label": str(CallbackStatus(callback.status).label),
        "result": callback.result,
        "result_label": str(CallbackResult(callback.result).label) if callback.result else "",
        "when": _local(callback.scheduled_for),
        "next_attempt_at": _local(callback.next_attempt_at),
        "attempts": callback.attempts,
        "max_attempts": callback.max_attempts,
        "note": callback.note,
        "mine": callback.agent_id == agent_id,
        "cancellable": callback.status == CallbackStatus.PENDING,
    }


def my_work(agent_id: int) -> dict[str, Any]:
    """The agent's callbacks (theirs and their queues' free ones) and their queues' unhandled voicemails."""
    queue_ids = list(Agent.objects.get(pk=agent_id).memberships.values_list("queue_id", flat=True))
    voicemails = Voicemail.objects.filter(handled_at__isnull=True, queue_id__in=queue_ids)[:20]
    return {
        "callbacks": [callback_row(c, agent_id) for c in selectors.desk_callbacks(agent_id)],
        "voicemails": [
            {
                "id": v.pk,
                "caller": v.caller,
                "at": _local(v.created_at),
                "seconds": round(v.duration_seconds),
                "audio": audio_url(v),
            }
            for v in voicemails
        ],
    }


def cancel_callback(agent_id: int, user: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """Cancel a callback from the panel; the service checks that this user may."""
    callback = cancel_callback_service(callback_id=fields["callback_id"], user=user)
    return {"callback": callback_row(callback, agent_id)}
