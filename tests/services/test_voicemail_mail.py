"""The voicemail email to the mailbox owners: language, audio, the lost-audio notice, once only."""

from __future__ import annotations

import pytest
from django.core import mail

from ccapp import services
from ccapp.models import CallbackRequest, CallEvent, Voicemail
from ccapp.services.media import VOICEMAIL_NOTIFIED
from ccapp.tasks import notify_voicemail
from tests.services.factories import make_agent, make_queue
from tests.services.outbox import OUTAGES

pytestmark = pytest.mark.django_db
AUDIO = b"RIFF" + b"\x00" * 60


@pytest.fixture
def voicemail(settings, tmp_path) -> Voicemail:
    settings.MEDIA_ROOT = tmp_path
    queue = make_queue("sales")
    queue.mailbox_owners.add(make_agent(queue).user)
    call = services.start_call(channel_id="vm", caller_raw="13800138000", dnis="1")
    services.enqueue_call(call_id=call.pk, queue_id=queue.pk)
    # Its on-commit copy task never runs here: the tests store or fail the audio themselves.
    return services.save_voicemail(
        call_id=call.pk, queue_id=queue.pk, recording_name="vm-1", duration_seconds=12.4
    )


def notified(voicemail: Voicemail) -> int:
    return CallEvent.objects.filter(call_id=voicemail.call_id, kind=VOICEMAIL_NOTIFIED).count()


def test_it_mails_the_owners_in_chinese_with_the_audio_attached(voicemail) -> None:
    services.store_audio(kind="voicemail", pk=voicemail.pk, data=AUDIO)
    assert services.notify_voicemail(voicemail_id=voicemail.pk) == "sent"
    (message,) = mail.outbox
    assert message.to == [voicemail.queue.mailbox_owners.get().email]
    assert message.subject == "来自 +8613800138000 的语音留言（Sales）"
    assert "+8613800138000 于 " in message.body and "留下了 12 秒的语音留言。" in message.body
    assert "留言录音见附件。" in message.body and f"/audio/voicemails/{voicemail.pk}/" in message.body
    assert "无法从电话系统复制录音" not in message.body
    ((name, content, mimetype),) = message.attachments
    assert (name, content, mimetype) == ("vm-1.wav", AUDIO, "audio/wav")


def test_it_mails_in_english_when_the_site_speaks_english(voicemail, settings) -> None:
    settings.LANGUAGE_CODE = "en"
    services.store_audio(kind="voicemail", pk=voicemail.pk, data=AUDIO)
    services.notify_voicemail(voicemail_id=voicemail.pk)
    (message,) = mail.outbox
    assert message.subject == "Voicemail from +8613800138000 in Sales"
    assert "+8613800138000 left a voicemail of 12 seconds at " in message.body
    assert "A callback to +8613800138000 is waiting in the queue." in message.body
    assert "The message is attached." in message.body and len(message.attachments) == 1


def test_it_says_the_audio_is_lost_when_the_copy_failed(voicemail, settings) -> None:
    services.fail_audio(kind="voicemail", pk=voicemail.pk, reason="unreachable")
    services.notify_voicemail(voicemail_id=voicemail.pk)
    settings.LANGUAGE_CODE = "en"
    voicemail.call.events.filter(kind=VOICEMAIL_NOTIFIED).delete()  # mail it again, in English
    services.notify_voicemail(voicemail_id=voicemail.pk)
    chinese, english = mail.outbox
    assert "无法从电话系统复制录音。" in chinese.body and "附件" not in chinese.body
    assert "The audio could not be copied from the phone system." in english.body
    assert chinese.attachments == [] and english.attachments == []


def test_it_mails_once_and_asks_for_one_callback(voicemail) -> None:
    assert services.notify_voicemail(voicemail_id=voicemail.pk) == "sent"
    assert services.notify_voicemail(voicemail_id=voicemail.pk) == "already_notified"
    assert notify_voicemail.apply(args=[voicemail.pk]).get() == "already_notified"
    assert len(mail.outbox) == 1 and notified(voicemail) == 1
    callback = CallbackRequest.objects.get()
    assert (callback.voicemail_id, callback.number) == (voicemail.pk, "+8613800138000")
    assert "回呼 +8613800138000 的请求已在队列中等待。" in mail.outbox[0].body


def test_a_mail_server_outage_records_nothing_and_the_task_retries(voicemail, settings) -> None:
    settings.EMAIL_BACKEND = "tests.services.outbox.FlakyBackend"
    OUTAGES["left"] = 1
    with pytest.raises(OSError):
        services.notify_voicemail(voicemail_id=voicemail.pk)
    assert (len(mail.outbox), notified(voicemail), CallbackRequest.objects.count()) == (0, 0, 0)
    OUTAGES["left"] = 2
    result = notify_voicemail.apply(args=[voicemail.pk])
    assert (result.get(), OUTAGES["left"], len(mail.outbox)) == ("sent", 0, 1)
    assert (notified(voicemail), CallbackRequest.objects.count()) == (1, 1)


def test_an_anonymous_callers_voicemail_is_mailed_without_a_callback(voicemail) -> None:
    Voicemail.objects.filter(pk=voicemail.pk).update(caller="anonymous")
    assert services.notify_voicemail(voicemail_id=voicemail.pk) == "sent"
    assert "来自 anonymous 的语音留言" in mail.outbox[0].subject
    assert not CallbackRequest.objects.exists() and notified(voicemail) == 1


def test_a_mailbox_without_owners_still_gets_its_callback(voicemail) -> None:
    voicemail.queue.mailbox_owners.clear()
    assert services.notify_voicemail(voicemail_id=voicemail.pk) == "no_recipients"
    assert mail.outbox == [] and CallbackRequest.objects.count() == 1 and notified(voicemail) == 1
