"""Recordings, voicemail, callbacks and surveys on real PostgreSQL."""

from __future__ import annotations

import pytest
from django.core import mail

from ccapp import services
from ccapp.models import CallbackRequest, CallOutcome, FileState, Recording
from tests.services.factories import make_agent, make_queue

pytestmark = pytest.mark.django_db


def test_it_registers_and_closes_a_recording_once() -> None:
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1")
    services.save_recording(call_id=call.pk, name="rec-a", legs=["a", "b"])
    services.save_recording(call_id=call.pk, name="rec-a", legs=["a", "b"])
    services.finish_recording(name="rec-a", duration_seconds=42)
    services.finish_recording(name="rec-a", duration_seconds=99)
    recording = Recording.objects.get()
    assert (recording.duration_seconds, recording.legs, recording.state) == (42, ["a", "b"], "done")
    assert list(call.events.values_list("kind", flat=True)).count("recording_finished") == 1


def test_it_saves_a_voicemail_mails_the_owners_and_asks_for_a_callback(
    django_capture_on_commit_callbacks, settings
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.ARI_URL, settings.RECORDING_FETCH_RETRIES = "http://127.0.0.1:9", 0  # nothing listens there
    from ccapp.celery import app

    app.conf.task_always_eager = True
    queue = make_queue()
    owner = make_agent().user
    queue.mailbox_owners.add(owner)
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1")
    services.enqueue_call(call_id=call.pk, queue_id=queue.pk)
    with django_capture_on_commit_callbacks(execute=True):
        voicemail = services.save_voicemail(
            call_id=call.pk, queue_id=queue.pk, recording_name="vm-x", duration_seconds=12
        )
    app.conf.task_always_eager = False
    # Asterisk could not be reached: the owners are mailed all the same (in the site's Chinese),
    # told the audio is missing.
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert "无法从电话系统复制录音。" in mail.outbox[0].body and not mail.outbox[0].attachments
    voicemail.refresh_from_db()
    assert (voicemail.file_state, voicemail.fetch_error) == (FileState.FAILED, "unreachable")
    callback = CallbackRequest.objects.get()
    assert (callback.voicemail_id, callback.number, callback.queue_id) == (
        voicemail.pk,
        "+8613800138000",
        queue.pk,
    )
    call.refresh_from_db()
    assert call.outcome == CallOutcome.VOICEMAIL
    assert services.finish_call(call_id=call.pk).outcome == CallOutcome.VOICEMAIL


def test_a_callback_keeps_the_callers_place_in_line() -> None:
    queue = make_queue()
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1")
    services.enqueue_call(call_id=call.pk, queue_id=queue.pk)
    call.refresh_from_db()
    callback = services.request_callback(queue_id=queue.pk, number=call.caller, call_id=call.pk)
    assert callback.queued_since == call.queued_at
    assert services.request_callback(queue_id=queue.pk, number=call.caller, call_id=call.pk).pk == callback.pk
    assert services.finish_call(call_id=call.pk).outcome == CallOutcome.CALLBACK


def test_it_stores_survey_answers_and_drops_out_of_range_ones() -> None:
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1")
    services.record_survey(call_id=call.pk, csat=5, nps=11)
    call.refresh_from_db()
    assert (call.csat, call.nps) == (5, None)


def test_a_known_customers_voicemail_goes_on_the_crm_timeline() -> None:
    from crm.models import Customer
    from crm.selectors import timeline

    customer = Customer.objects.create(name="Known Caller")
    customer.phones.create(number="+8613800138000", raw="13800138000")
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1")
    voicemail = services.save_voicemail(
        call_id=call.pk, queue_id=None, recording_name="vm-y", duration_seconds=9
    )
    services.finish_call(call_id=call.pk)
    entries = {e.kind: e for e in timeline(customer)}
    assert set(entries) == {"voicemail", "call"}
    assert entries["voicemail"].link_id == str(voicemail.pk)
    assert entries["call"].data["outcome"] == CallOutcome.VOICEMAIL
