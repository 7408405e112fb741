"""Writes of what a call leaves behind: recordings, voicemails, survey answers."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ccapp.models import Call, CallEvent, CallOutcome, Recording, Voicemail


@transaction.atomic
def save_recording(
    *, call_id: int, name: str, legs: list[str], file_name: str = "", at: datetime | None = None
) -> Recording:
    """Register a recording that just started on a call (idempotent by name)."""
    recording, created = Recording.objects.get_or_create(
        name=name,
        defaults={"call_id": call_id, "legs": legs, "file": file_name, "started_at": at or timezone.now()},
    )
    if created:
        CallEvent.objects.create(
            call_id=call_id, kind="recording_started", at=recording.started_at, data={"name": name}
        )
    return recording


@transaction.atomic
def finish_recording(
    *, name: str, duration_seconds: float, state: str = "done", at: datetime | None = None
) -> Recording | None:
    """Close a recording with its duration when Asterisk reports it finished."""
    recording = Recording.objects.select_for_update().filter(name=name).first()
    if recording is None or recording.ended_at is not None:
        return recording
    recording.ended_at = at or timezone.now()
    recording.duration_seconds = duration_seconds
    recording.state = state
    recording.save(update_fields=["ended_at", "duration_seconds", "state"])
    CallEvent.objects.create(
        call_id=recording.call_id,
        kind="recording_finished",
        at=recording.ended_at,
        data={"name": name, "duration": duration_seconds, "state": state},
    )
    return recording


@transaction.atomic
def mark_recording_paused(*, name: str, paused: bool, at: datetime | None = None) -> None:
    """Mark a pause/resume of a call recording in the timeline (card numbers are not recorded)."""
    recording = Recording.objects.filter(name=name).first()
    if recording is not None:
        kind = "recording_paused" if paused else "recording_resumed"
        CallEvent.objects.create(
            call_id=recording.call_id, kind=kind, at=at or timezone.now(), data={"name": name}
        )


@transaction.atomic
def save_voicemail(
    *, call_id: int, queue_id: int | None, file_name: str, duration_seconds: float, at: datetime | None = None
) -> Voicemail:
    """Store a voicemail, close the call as 'voicemail' and queue the owners' notification."""
    call = Call.objects.select_for_update().get(pk=call_id)
    voicemail = Voicemail.objects.create(
        call=call,
        queue_id=queue_id,
        caller=call.caller or call.caller_raw,
        customer_id=call.customer_id,
        file=file_name,
        duration_seconds=duration_seconds,
        created_at=at or timezone.now(),
    )
    call.outcome = CallOutcome.VOICEMAIL
    call.save(update_fields=["outcome"])
    CallEvent.objects.create(
        call=call, kind="voicemail", at=voicemail.created_at, data={"voicemail": voicemail.pk}
    )
    from ccapp.tasks import notify_voicemail

    transaction.on_commit(lambda: notify_voicemail.delay(voicemail.pk))
    return voicemail


@transaction.atomic
def record_survey(*, call_id: int, csat: int | None, nps: int | None) -> Call:
    """Store the caller's post-call survey answers (CSAT 1-5, NPS 0-10); out-of-range answers are dropped."""
    call = Call.objects.select_for_update().get(pk=call_id)
    call.csat = csat if csat is not None and 1 <= csat <= 5 else call.csat
    call.nps = nps if nps is not None and 0 <= nps <= 10 else call.nps
    call.save(update_fields=["csat", "nps"])
    CallEvent.objects.create(call=call, kind="survey", data={"csat": call.csat, "nps": call.nps})
    return call
