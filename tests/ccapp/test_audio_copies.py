"""Recording copies are asked of Celery in batches, not one message per recording."""

from __future__ import annotations

import threading

import pytest

from ccapp import services, tasks
from ccapp.audio import copies
from ccapp.models import Recording


@pytest.fixture
def sent(monkeypatch) -> list[list[int]]:
    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.fetch_recordings, "delay", batches.append)
    yield batches
    copies.flush()


@pytest.mark.django_db
def test_given_recordings_finished_together_then_one_task_asks_for_all_their_copies(
    sent, django_capture_on_commit_callbacks
) -> None:
    call = services.start_call(channel_id="c", caller_raw="13800138000", dnis="1")
    for name in ("rec-1", "rec-2", "rec-failed"):
        services.save_recording(call_id=call.pk, name=name, legs=[])
    with django_capture_on_commit_callbacks(execute=True):
        services.finish_recording(name="rec-1", duration_seconds=3)
        services.finish_recording(name="rec-2", duration_seconds=4)
        services.finish_recording(name="rec-failed", duration_seconds=0, state="failed")
    wanted = sorted(Recording.objects.filter(name__in=["rec-1", "rec-2"]).values_list("pk", flat=True))
    assert sorted(copies.flush()) == wanted  # the failed one has nothing to copy
    assert [sorted(batch) for batch in sent] == [wanted]
    assert copies.flush() == [] and len(sent) == 1  # nothing is asked for twice


def test_given_no_flush_then_the_timer_sends_the_batch(sent, monkeypatch) -> None:
    monkeypatch.setattr(copies, "BATCH_SECONDS", 0.05)
    arrived = threading.Event()
    monkeypatch.setattr(tasks.fetch_recordings, "delay", lambda ids: (sent.append(ids), arrived.set()))
    copies.request(7)
    copies.request(8)
    assert arrived.wait(5)
    assert sent == [[7, 8]]


def test_the_batch_task_queues_each_copy_on_its_own(monkeypatch) -> None:
    queued: list[int] = []
    monkeypatch.setattr(tasks.fetch_recording, "delay", queued.append)
    assert tasks.fetch_recordings.apply(args=[[4, 5]]).get() == 2
    assert queued == [4, 5]
