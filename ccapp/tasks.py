"""Celery tasks of the telephony core: thin, take ids, call services, idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ccapp.models import FileState, Recording, Voicemail

log = logging.getLogger(__name__)
RETRY_DELAY_CAP = 300  # seconds between copy attempts, at most
# Audio still on Asterisk this long after its recording ended is copied by the sweep (its own task
# is done by then: all its retries take under 3 minutes).
SWEEP_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


def _copy(task, kind: str, pk: int) -> str:
    """One attempt to copy audio from Asterisk; retried with a growing delay, then marked failed."""
    from ccapp import services
    from ccapp.audio.fetch import CopyFailed, copy_audio

    try:
        return copy_audio(kind, pk)
    except CopyFailed as exc:
        if task.request.retries < settings.RECORDING_FETCH_RETRIES:
            log.info("copy of %s %s failed (%s), retrying", kind, pk, exc)
            raise task.retry(countdown=min(RETRY_DELAY_CAP, 5 * 2**task.request.retries)) from exc
        log.warning("copy of %s %s failed for good: %s", kind, pk, exc)
        services.fail_audio(kind=kind, pk=pk, reason=exc.reason)
        return f"failed:{exc.reason}"


@shared_task(bind=True, acks_late=True, max_retries=None)
def fetch_recording(self, recording_id: int) -> str:
    """Copy a finished call recording from Asterisk into MEDIA_ROOT (idempotent)."""
    return _copy(self, "recording", recording_id)


@shared_task(acks_late=True)
def fetch_recordings(recording_ids: list[int]) -> int:
    """Queue the copy of each of these recordings (the stasis worker asks for them in batches)."""
    for pk in recording_ids:
        fetch_recording.delay(pk)
    return len(recording_ids)


@shared_task(bind=True, acks_late=True, max_retries=None)
def fetch_voicemail(self, voicemail_id: int) -> str:
    """Copy a voicemail's audio from Asterisk, then mail it to the mailbox owners (idempotent)."""
    outcome = _copy(self, "voicemail", voicemail_id)
    notify_voicemail.delay(voicemail_id)
    return outcome


@shared_task(acks_late=True)
def sweep_audio() -> dict[str, int]:
    """Copy the audio no task copied: a lost task, or a RecordingFinished missed during a worker restart."""
    cutoff = timezone.now() - SWEEP_AFTER
    finished = Q(ended_at__lt=cutoff) | Q(ended_at__isnull=True, call__ended_at__lt=cutoff)
    pending = Recording.objects.filter(finished, file_state=FileState.PENDING)
    recordings = list(pending.values_list("pk", flat=True)[:SWEEP_BATCH])
    waiting = Voicemail.objects.filter(file_state=FileState.PENDING, created_at__lt=cutoff)
    voicemails = list(waiting.values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in recordings:
        fetch_recording.delay(pk)
    for pk in voicemails:
        fetch_voicemail.delay(pk)
    return {"recordings": len(recordings), "voicemails": len(voicemails)}


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_voicemail(voicemail_id: int) -> str:
    """Mail a voicemail (audio attached) to its mailbox owners and ask for a callback (idempotent).

    A mail server outage raises OSError out of the service, which then recorded nothing: retried.
    """
    from ccapp import services

    return services.notify_voicemail(voicemail_id=voicemail_id)
