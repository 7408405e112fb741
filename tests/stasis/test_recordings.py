"""Call recordings copied from Asterisk (the simulator) into MEDIA_ROOT, and what happens when that fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ccapp import realtime
from ccapp.celery import app as celery_app
from ccapp.models import Call, CallEvent, FileState, Recording
from ccapp.tasks import fetch_recording, sweep_audio
from tests.services.factories import make_agent, make_queue, make_route
from tests.stasis.conftest import AsyncListener, kinds, requests_to, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path, sim):
    settings.MEDIA_ROOT = tmp_path
    settings.ARI_URL = sim.url
    settings.RECORDING_FETCH_RETRIES = 2
    return tmp_path


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def setup_queue():
    queue = make_queue("sales")
    agent = make_agent(queue)
    make_route("4400", queue=queue)
    return agent


async def talk(sim, seconds: float = 3) -> tuple:
    """A caller answered by the agent, recorded, talking for `seconds`, then hanging up."""
    call = await sim.dial("4400", caller="13800138000")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
    )
    await wait_until(lambda: Recording.objects.filter(call_id=row.pk).exists())
    await sim.clock.sleep(seconds)
    await sim.hangup(call)
    recording = await wait_until(
        lambda: Recording.objects.filter(call_id=row.pk, ended_at__isnull=False).first()
    )
    return row, recording


async def test_given_a_recorded_call_when_it_ends_then_its_audio_is_copied_with_size_and_duration(
    sim, worker, media, eager_celery
) -> None:
    await sync(setup_queue)()
    row, recording = await talk(sim, seconds=3)
    stored = await wait_until(
        lambda: Recording.objects.filter(pk=recording.pk, file_state=FileState.STORED).first()
    )
    data = (media / stored.file.name).read_bytes()
    assert data[:4] == b"RIFF" and stored.size_bytes == len(data) > 44
    assert stored.duration_seconds >= 2  # from the file's WAV header
    assert requests_to(sim, "GET", f"/recordings/stored/{recording.name}/file")
    assert not requests_to(sim, "DELETE", f"/recordings/stored/{recording.name}")  # kept by default
    assert "recording_stored" in await kinds(row.pk)


async def test_given_delete_after_copy_when_the_copy_is_checked_then_asterisks_copy_is_deleted(
    sim, worker, media, eager_celery, settings
) -> None:
    settings.RECORDINGS_DELETE_FROM_ASTERISK = True
    await sync(setup_queue)()
    _, recording = await talk(sim, seconds=2)
    await wait_until(lambda: Recording.objects.filter(pk=recording.pk, file_state=FileState.STORED).exists())
    await sim.wait_for(lambda: requests_to(sim, "DELETE", f"/recordings/stored/{recording.name}"))
    assert recording.name not in sim.world.stored


async def test_given_asterisk_lost_the_recording_when_copying_then_it_is_retried_and_marked_failed(
    sim, worker, media
) -> None:
    await sync(setup_queue)()
    row, recording = await talk(sim, seconds=1)
    sim.lose_recording(recording.name)
    outcome = await sync(lambda: fetch_recording.apply(args=[recording.pk]).get())()
    assert outcome == "failed:not_found"
    assert len(requests_to(sim, "GET", f"/recordings/stored/{recording.name}/file")) == 3  # 1 + 2 retries
    lost = await sync(lambda: Recording.objects.get(pk=recording.pk))()
    assert (lost.file_state, lost.fetch_error, lost.file.name) == (FileState.FAILED, "not_found", "")
    event = await sync(lambda: CallEvent.objects.get(call_id=row.pk, kind="recording_copy_failed"))()
    assert event.data == {"name": recording.name, "reason": "not_found"}


async def test_given_a_slow_asterisk_when_copying_then_the_fetch_times_out_and_is_marked_failed(
    sim, worker, media, settings
) -> None:
    settings.RECORDING_FETCH_TIMEOUT = 0.2
    await sync(setup_queue)()
    _, recording = await talk(sim, seconds=1)
    sim.slow_recording_files(2.0)
    outcome = await sync(lambda: fetch_recording.apply(args=[recording.pk]).get())()
    assert outcome == "failed:timeout"
    failed = await sync(lambda: Recording.objects.get(pk=recording.pk))()
    assert (failed.file_state, failed.fetch_error) == (FileState.FAILED, "timeout")
    sim.slow_recording_files(0)
    # A later attempt (e.g. from the admin) can still copy it: nothing was lost on our side.
    assert await sync(lambda: fetch_recording.apply(args=[recording.pk]).get())() == "stored"


async def test_given_a_recorded_call_when_the_agent_pauses_recording_then_the_screen_and_the_row_know(
    sim, worker, media
) -> None:
    agent = await sync(setup_queue)()
    call = await sim.dial("4400", caller="13800138000")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=call.channel_id, answered_at__isnull=False).first()
    )
    recording = await wait_until(lambda: Recording.objects.filter(call_id=row.pk).first())
    listener = await AsyncListener().join(realtime.agent_group(agent.pk))
    send = realtime.send_stasis_command
    await send(realtime.StasisCommand(command="record_pause", call_id=row.pk, agent_id=agent.pk))
    update = await listener.until("call_updated")
    assert update["kind"] == "recording_paused"
    await sim.clock.sleep(2)
    await send(realtime.StasisCommand(command="record_resume", call_id=row.pk, agent_id=agent.pk))
    assert (await listener.until("call_updated"))["kind"] == "recording_resumed"
    await sim.hangup(call)
    done = await wait_until(lambda: Recording.objects.filter(pk=recording.pk, ended_at__isnull=False).first())
    assert done.paused_seconds > 0  # wall-clock seconds (the simulator runs 20 times faster)
    timeline = await kinds(row.pk)
    assert timeline.index("recording_paused") < timeline.index("recording_resumed")


async def test_given_a_recording_whose_finish_was_missed_when_the_sweep_runs_then_it_is_copied(
    sim, worker, media
) -> None:
    await sync(setup_queue)()
    row, recording = await talk(sim, seconds=2)

    def missed_while_no_worker_listened():
        # As if RecordingFinished had come while the worker was down: the row never closed.
        Recording.objects.filter(pk=recording.pk).update(ended_at=None, state="recording")
        Call.objects.filter(pk=row.pk).update(ended_at=timezone.now() - dt.timedelta(minutes=11))

    await sync(missed_while_no_worker_listened)()
    celery_app.conf.task_always_eager = True
    try:
        swept = await sync(lambda: sweep_audio.apply().get())()
    finally:
        celery_app.conf.task_always_eager = False
    assert swept == {"recordings": 1, "voicemails": 0}
    copied = await sync(lambda: Recording.objects.get(pk=recording.pk))()
    assert (copied.file_state, copied.state) == (FileState.STORED, "done") and copied.ended_at is not None
    assert await sync(lambda: sweep_audio.apply().get())() == {"recordings": 0, "voicemails": 0}
