"""Voicemail, overflow, callbacks and the post-call survey against the simulator."""

from __future__ import annotations

import pytest
from django.core import mail

from ccapp.celery import app as celery_app
from ccapp.models import AgentState, Call, CallbackRequest, CallOutcome, FileState, Voicemail
from ccapp.models.queues import OverflowAction
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import call_of, kinds, requests_to, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


async def test_given_no_agent_logged_in_when_a_caller_arrives_then_voicemail_is_mailed_and_called_back(
    sim, worker, eager_celery, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT, settings.ARI_URL = tmp_path, sim.url

    def setup():
        queue = make_queue("after-hours", overflow_action=OverflowAction.VOICEMAIL)
        owner = make_agent(queue, state=AgentState.LOGGED_OUT).user
        queue.mailbox_owners.add(owner)
        make_route("4100", queue=queue)
        return owner

    owner = await sync(setup)()
    call = await sim.dial("4100", caller="13800138000")
    await sim.wait_for_event("RecordingStarted")
    await sim.clock.sleep(4)
    await sim.press(call, "#")
    voicemail = await wait_until(lambda: Voicemail.objects.filter(call__channel_id=call.channel_id).first())
    assert voicemail.duration_seconds >= 3
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, ended_at__isnull=False).first()
    )
    assert row.outcome == CallOutcome.VOICEMAIL
    timeline = await kinds(row.pk)
    assert timeline[:4] == ["started", "no_agents", "overflow", "voicemail_started"]
    record = requests_to(sim, "POST", f"/channels/{call.channel_id}/record")[0]
    assert (record.query["terminateOn"], record.query["beep"]) == ("#", "true")
    await wait_until(lambda: CallbackRequest.objects.filter(voicemail_id=voicemail.pk).exists())
    assert [m.to for m in mail.outbox] == [[owner.email]]
    # The audio was copied from Asterisk first, then mailed.
    voicemail = await sync(lambda: Voicemail.objects.get(pk=voicemail.pk))()
    assert (voicemail.file_state, voicemail.recording_name) == (FileState.STORED, record.query["name"])
    ((_name, audio, mimetype),) = mail.outbox[0].attachments
    assert (len(audio), mimetype) == (voicemail.size_bytes, "audio/wav") and audio[:4] == b"RIFF"


async def test_given_a_caller_waiting_too_long_when_max_wait_passes_then_the_call_overflows_to_another_queue(
    sim, worker
) -> None:
    def setup():
        backup = make_queue("backup")
        backup_agent = make_agent(backup)
        main = make_queue(
            "main", max_wait_seconds=5, overflow_action=OverflowAction.QUEUE, overflow_queue=backup
        )
        make_agent(main, state=AgentState.PAUSED)
        make_route("4101", queue=main)
        return backup, backup_agent

    backup, backup_agent = await sync(setup)()
    call = await sim.dial("4101")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first(), timeout=10
    )
    assert (row.queue_id, row.agent_id) == (backup.pk, backup_agent.pk)
    assert "overflow" in await kinds(row.pk)
    await sim.hangup(call)


async def test_given_a_waiting_caller_when_offered_options_and_pressing_1_then_a_callback_keeps_the_place(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("sales", offer_after_seconds=2)
        make_agent(queue, state=AgentState.PAUSED)
        make_route("4102", queue=queue)
        return queue

    queue = await sync(setup)()
    call = await sim.dial("4102", caller="13800138000")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, queued_at__isnull=False).first()
    )
    await wait_until(lambda: row.events.filter(kind="options_offered").exists())
    await sim.press(call, "1")
    callback = await wait_until(lambda: CallbackRequest.objects.filter(origin_call_id=row.pk).first())
    assert (callback.queued_since, callback.number, callback.queue_id) == (
        row.queued_at,
        "+8613800138000",
        queue.pk,
    )
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.CALLBACK


async def test_given_a_survey_queue_when_the_agent_hangs_up_first_then_the_caller_rates_the_call(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("care", survey_enabled=True, record_calls=False)
        agent = make_agent(queue)
        make_route("4103", queue=queue)
        return agent

    agent = await sync(setup)()
    call = await sim.dial("4103")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
    )
    await sim.clock.sleep(3)
    await sim.hangup(sim.channel_of(agent.endpoint).id)
    await wait_until(lambda: row.events.filter(kind="survey_started").exists())
    await sim.press(call, "4")
    await sim.press(call, "9#")
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first(), timeout=10)
    assert (row.csat, row.nps, row.outcome) == (4, 9, CallOutcome.ANSWERED)
    assert "agent_hung_up" in await kinds(row.pk)


async def test_given_a_missing_endpoint_when_offered_then_the_agent_is_not_ready_and_the_caller_waits(
    sim, worker
) -> None:
    def setup():
        queue = make_queue("sales")
        agent = make_agent(queue)
        make_route("4104", queue=queue)
        return agent

    agent = await sync(setup)()
    sim.agent(agent.endpoint).not_configured()
    call = await sim.dial("4104")
    row = await wait_until(lambda: Call.objects.filter(channel_id=call.channel_id).first())
    await wait_until(lambda: row.events.filter(kind="offer_missed", data__reason="unreachable").exists())
    missed = await sync(lambda: type(agent).objects.get(pk=agent.pk))()
    assert (missed.state, missed.current_call_id) == (AgentState.PAUSED, None)
    assert (await call_of(call.channel_id)).ended_at is None
    await sim.hangup(call)
    await wait_until(lambda: Call.objects.filter(pk=row.pk, outcome=CallOutcome.ABANDONED_QUEUE).exists())
