"""Writes of what a call leaves behind: recordings, voicemails, survey answers."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ccapp import notify, realtime
from ccapp.audio import copies
from ccapp.audio.access import audio_url
from ccapp.errors import DomainError
from ccapp.models import Call, CallbackRequest, CallEvent, CallOutcome, FileState, Recording, Voicemail
from ccapp.services import rows
from ccapp.services.callbacks import request_callback
from ccapp.services.customers import voicemail_to_timeline

log = logging.getLogger(__name__)
VOICEMAIL_NOTIFIED = "voicemail_notified"  # the call's event that says the owners were mailed


@transaction.atomic
def save_recording(*, call_id: int, name: str, legs: list[str], at: datetime | None = None) -> Recording:
    """Register a recording that just started on a call (idempotent by name); its audio stays on Asterisk."""
    return register_recording(call_id=call_id, name=name, legs=legs, at=at or timezone.now())


def register_recording(*, call_id: int, name: str, legs: list[str], at: datetime) -> Recording:
    """`save_recording` inside the caller's transaction (the worker registers it as the agent answers)."""
    found = rows.find(Recording, name=name)
    if found:
        return found[0]
    recording = rows.add(Recording(call_id=call_id, name=name, legs=legs, started_at=at))
    rows.add(CallEvent(call_id=call_id, kind="recording_started", at=at, data={"name": name}))
    return recording


@transaction.atomic
def recording_not_started(*, name: str, error: str) -> None:
    """Asterisk refused to start a registered recording: no audio will come, the timeline says why."""
    found = rows.find(Recording, name=name, lock=True)
    if not found or found[0].ended_at is not None:
        return
    recording = found[0]
    recording.ended_at = timezone.now()
    recording.state = "failed"
    recording.file_state, recording.fetch_error = FileState.FAILED, error[:255]
    rows.save_fields(recording, "ended_at", "state", "file_state", "fetch_error")
    data = {"name": name, "error": error}
    rows.add(CallEvent(call_id=recording.call_id, kind="recording_failed", at=recording.ended_at, data=data))


@transaction.atomic
def finish_recording(
    *, name: str, duration_seconds: float, state: str = "done", at: datetime | None = None
) -> Recording | None:
    """Close a recording when Asterisk reports it finished, and queue the copy of its audio."""
    found = rows.find(Recording, name=name, lock=True)
    recording = found[0] if found else None
    if recording is None or recording.ended_at is not None:
        return recording
    recording.ended_at = at or timezone.now()
    recording.duration_seconds = duration_seconds
    recording.state = state
    _close_pause(recording, recording.ended_at)
    fields = ["ended_at", "duration_seconds", "state", "paused_seconds", "paused_since"]
    if state == "failed":
        # RecordingFailed: Asterisk wrote no file, there is nothing to copy.
        recording.file_state, recording.fetch_error = FileState.FAILED, "recording failed on Asterisk"
        fields += ["file_state", "fetch_error"]
    rows.save_fields(recording, *fields)
    rows.add(
        CallEvent(
            call_id=recording.call_id,
            kind="recording_finished",
            at=recording.ended_at,
            data={"name": name, "duration": duration_seconds, "state": state},
        )
    )
    if state != "failed":
        transaction.on_commit(lambda: copies.request(recording.pk))
    return recording


def _close_pause(recording: Recording, until: datetime) -> None:
    """Add a pause still running at `until` to the recording's paused seconds."""
    if recording.paused_since is not None:
        recording.paused_seconds += max(0.0, (until - recording.paused_since).total_seconds())
        recording.paused_since = None


@transaction.atomic
def mark_recording_paused(
    *, name: str, paused: bool, agent_id: int | None = None, at: datetime | None = None
) -> bool:
    """Pause/resume a call recording (card numbers are not recorded): timeline, paused time, agent's screen.

    Returns False when nothing changed (no such recording, already in that state, or finished).
    """
    recording = Recording.objects.select_for_update().filter(name=name).first()
    if recording is None or recording.ended_at is not None or (recording.paused_since is not None) == paused:
        return False
    when = at or timezone.now()
    if paused:
        recording.paused_since = when
    else:
        _close_pause(recording, when)
    recording.save(update_fields=["paused_since", "paused_seconds"])
    kind = "recording_paused" if paused else "recording_resumed"
    data = {"name": name}
    CallEvent.objects.create(call_id=recording.call_id, kind=kind, at=when, data=data)
    if agent_id:
        realtime.publish(
            [realtime.agent_group(agent_id)], realtime.CallUpdated(recording.call_id, kind, data)
        )
    return True


@transaction.atomic
def save_voicemail(
    *,
    call_id: int,
    queue_id: int | None,
    recording_name: str,
    duration_seconds: float,
    at: datetime | None = None,
) -> Voicemail:
    """Store a voicemail, close the call as 'voicemail', then copy its audio and notify the owners."""
    call = Call.objects.select_for_update().get(pk=call_id)
    voicemail = Voicemail.objects.create(
        call=call,
        queue_id=queue_id,
        caller=call.caller or call.caller_raw,
        customer_id=call.customer_id,
        recording_name=recording_name,
        duration_seconds=duration_seconds,
        created_at=at or timezone.now(),
    )
    call.outcome = CallOutcome.VOICEMAIL
    call.save(update_fields=["outcome"])
    CallEvent.objects.create(
        call=call, kind="voicemail", at=voicemail.created_at, data={"voicemail": voicemail.pk}
    )
    voicemail_to_timeline(voicemail)
    from ccapp.tasks import fetch_voicemail

    # The owners' email carries the audio: it is sent once the copy is done (or has failed).
    transaction.on_commit(lambda: fetch_voicemail.delay(voicemail.pk))
    return voicemail


@transaction.atomic
def notify_voicemail(*, voicemail_id: int) -> str:
    """Mail a voicemail (its audio attached once copied) to its mailbox owners and ask for a callback, once.

    The mail leaves inside the transaction that records it (`voicemail_notified` on the call), so a
    mail server outage (OSError) undoes the callback and the record for the task to retry.
    """
    voicemail = (
        Voicemail.objects.select_for_update(of=("self",))
        .select_related("queue", "customer")
        .filter(pk=voicemail_id)
        .first()
    )
    if voicemail is None:
        return "missing"
    notified = CallEvent.objects.filter(call_id=voicemail.call_id, kind=VOICEMAIL_NOTIFIED)
    if voicemail.call_id and notified.exists():
        return "already_notified"
    callback = _voicemail_callback(voicemail)
    owners = voicemail.queue.mailbox_owners.filter(is_active=True) if voicemail.queue else None
    recipients = list(owners.exclude(email="").values_list("email", flat=True)) if owners is not None else []
    attachment = _voicemail_attachment(voicemail)
    listen = audio_url(voicemail)
    context = {
        "voicemail": voicemail,
        "caller": voicemail.caller,
        "mailbox": voicemail.queue.name if voicemail.queue else "",
        "seconds": round(voicemail.duration_seconds),
        "customer": voicemail.customer.name if voicemail.customer else "",
        "callback": callback,
        "attached": attachment is not None,
        "failed": voicemail.file_state == FileState.FAILED,
        "listen_url": notify.site_url() + listen if listen else "",
    }
    sent = notify.send_email_now(
        "ccapp/email/voicemail",
        recipients,
        settings.LANGUAGE_CODE,  # staff mail, as tickets send it
        context,
        attachments=[attachment] if attachment else [],
    )
    if voicemail.call_id:
        CallEvent.objects.create(
            call_id=voicemail.call_id, kind=VOICEMAIL_NOTIFIED, data={"to": len(recipients)}
        )
    return "sent" if sent else "no_recipients"


def _voicemail_callback(voicemail: Voicemail) -> CallbackRequest | None:
    """The voicemail's callback request, asked for now if it has none (and the caller has a number)."""
    existing = CallbackRequest.objects.filter(voicemail=voicemail).first()
    if existing is not None or not (voicemail.queue_id and voicemail.caller):
        return existing
    try:
        return request_callback(
            queue_id=voicemail.queue_id, number=voicemail.caller, voicemail_id=voicemail.pk
        )
    except DomainError as exc:  # an anonymous or malformed number: nobody to call back
        log.info("no callback for voicemail %s: %s", voicemail.pk, exc)
        return None


def _voicemail_attachment(voicemail: Voicemail) -> notify.Attachment | None:
    if voicemail.file_state != FileState.STORED or not voicemail.file.storage.exists(voicemail.file.name):
        return None
    with voicemail.file.open("rb") as audio:
        return notify.Attachment(voicemail.file.name.rsplit("/", 1)[-1], audio.read(), "audio/wav")


@transaction.atomic
def record_survey(*, call_id: int, csat: int | None, nps: int | None) -> Call:
    """Store the caller's post-call survey answers (CSAT 1-5, NPS 0-10); out-of-range answers are dropped."""
    call = Call.objects.select_for_update().get(pk=call_id)
    call.csat = csat if csat is not None and 1 <= csat <= 5 else call.csat
    call.nps = nps if nps is not None and 0 <= nps <= 10 else call.nps
    call.save(update_fields=["csat", "nps"])
    CallEvent.objects.create(call=call, kind="survey", data={"csat": call.csat, "nps": call.nps})
    return call


AUDIO_MODELS: dict[str, type[Recording] | type[Voicemail]] = {"recording": Recording, "voicemail": Voicemail}


class AudioCopyError(Exception):
    """The copy of a recording's audio could not be written or checked here."""


def _audio_event(row: Recording | Voicemail, kind: str, data: dict) -> None:
    if row.call_id:
        CallEvent.objects.create(call_id=row.call_id, kind=kind, data=data)


@transaction.atomic
def store_audio(
    *, kind: str, pk: int, data: bytes, duration_seconds: float | None = None
) -> Recording | Voicemail | None:
    """Keep a copy of a recording's or voicemail's audio under MEDIA_ROOT, checked by size (idempotent)."""
    row = AUDIO_MODELS[kind].objects.select_for_update().filter(pk=pk).first()
    if row is None or row.file_state == FileState.STORED:
        return row
    name = row.name if isinstance(row, Recording) else row.recording_name
    fmt = row.format if isinstance(row, Recording) else "wav"
    row.file.save(f"{name.replace('/', '_')}.{fmt}", ContentFile(data), save=False)
    if row.file.storage.size(row.file.name) != len(data):
        row.file.storage.delete(row.file.name)
        raise AudioCopyError(f"the copy of {name} does not have its {len(data)} bytes")
    row.size_bytes, row.file_state, row.fetch_error = len(data), FileState.STORED, ""
    fields = ["file", "size_bytes", "file_state", "fetch_error"]
    if isinstance(row, Recording) and row.ended_at is None:
        # Its RecordingFinished was missed (no worker listened): the copied file says it is done.
        row.ended_at, row.state = timezone.now(), "done"
        fields += ["ended_at", "state"]
    if duration_seconds is not None:
        row.duration_seconds = round(duration_seconds, 3)
        fields.append("duration_seconds")
    row.save(update_fields=fields)
    _audio_event(row, f"{kind}_stored", {"name": name, "bytes": len(data), "duration": row.duration_seconds})
    return row


@transaction.atomic
def fail_audio(*, kind: str, pk: int, reason: str) -> Recording | Voicemail | None:
    """Mark a recording's or voicemail's audio as lost after the last copy attempt, in the call's timeline."""
    row = AUDIO_MODELS[kind].objects.select_for_update().filter(pk=pk).first()
    if row is None or row.file_state == FileState.STORED:
        return row
    row.file_state, row.fetch_error = FileState.FAILED, reason[:255]
    row.save(update_fields=["file_state", "fetch_error"])
    name = row.name if isinstance(row, Recording) else row.recording_name
    _audio_event(row, f"{kind}_copy_failed", {"name": name, "reason": reason})
    return row
