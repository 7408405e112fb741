"""Celery tasks of the telephony core: thin, take ids, call services, idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ccapp.models import CallbackRequest, CallEvent, FileState, Recording, Voicemail

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
    """Email a voicemail (audio attached) to its queue's mailbox owners and ask for a callback."""
    from ccapp.services import request_callback

    voicemail = Voicemail.objects.select_related("queue", "call").filter(pk=voicemail_id).first()
    if voicemail is None:
        return "missing"
    if (
        voicemail.call_id
        and CallEvent.objects.filter(call_id=voicemail.call_id, kind="voicemail_notified").exists()
    ):
        return "already_notified"
    recipients = (
        list(voicemail.queue.mailbox_owners.exclude(email="").values_list("email", flat=True))
        if voicemail.queue
        else []
    )
    if recipients:
        message = EmailMessage(
            subject=f"Voicemail from {voicemail.caller or 'unknown caller'}",
            body=(
                f"{voicemail.caller} left a {voicemail.duration_seconds:.0f}s voicemail"
                f" at {voicemail.created_at:%Y-%m-%d %H:%M}."
            ),
            from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
            to=recipients,
        )
        if voicemail.file_state == FileState.STORED and voicemail.file.storage.exists(voicemail.file.name):
            with voicemail.file.open("rb") as audio:
                message.attach(voicemail.file.name.rsplit("/", 1)[-1], audio.read(), "audio/wav")
        elif voicemail.file_state == FileState.FAILED:
            message.body += "\nThe audio could not be copied from the phone system."
        message.send()
    with transaction.atomic():
        if (
            voicemail.queue_id
            and voicemail.caller
            and not CallbackRequest.objects.filter(voicemail=voicemail).exists()
        ):
            request_callback(queue_id=voicemail.queue_id, number=voicemail.caller, voicemail_id=voicemail.pk)
        if voicemail.call_id:
            CallEvent.objects.create(
                call_id=voicemail.call_id, kind="voicemail_notified", data={"to": len(recipients)}
            )
    return "sent"
