"""Callback requests, results, retries and cancelling on real PostgreSQL; the callbacks API."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from ccapp import services
from ccapp.errors import Conflict, DomainError
from ccapp.models import BusinessHours, CallbackRequest, CallbackResult, CallbackStatus, OpeningHours
from ccapp.roles import ensure_roles
from tests.factories import PASSWORD, make_user
from tests.services.factories import make_agent, make_queue, make_route

pytestmark = pytest.mark.django_db

NUMBER = "+8613900139000"


def test_it_refuses_a_time_in_the_past_and_a_number_that_is_not_one() -> None:
    queue = make_queue()
    past = timezone.now() - dt.timedelta(minutes=1)
    with pytest.raises(DomainError) as error:
        services.request_callback(queue_id=queue.pk, number=NUMBER, scheduled_for=past)
    assert error.value.error_id == "callback_in_past"
    with pytest.raises(DomainError) as error:
        services.request_callback(queue_id=queue.pk, number="12")
    assert error.value.error_id == "callback_invalid_number"
    assert not CallbackRequest.objects.exists()


def test_it_takes_the_queues_attempts_and_reserves_a_promised_callback_for_its_agent() -> None:
    queue = make_queue(callback_attempts=5)
    agent = make_agent(queue)
    when = timezone.now() + dt.timedelta(hours=2)
    callback = services.request_callback(
        queue_id=queue.pk, number="139 0013 9000", scheduled_for=when, agent_id=agent.pk
    )
    assert (callback.number, callback.max_attempts, callback.queued_since) == (NUMBER, 5, when)
    assert callback.reserved_until == when + dt.timedelta(minutes=15)


def test_a_voicemail_left_while_closed_is_called_back_when_the_route_opens() -> None:
    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    opens_on = (timezone.now().astimezone(tz).date() + dt.timedelta(days=2)).weekday()
    hours = BusinessHours.objects.create(name="office")
    OpeningHours.objects.create(calendar=hours, weekday=opens_on, opens=dt.time(9), closes=dt.time(17))
    queue = make_queue()
    make_route("4300", queue=queue, business_hours=hours)
    call = services.start_call(channel_id="night", caller_raw="13900139000", dnis="4300")
    voicemail = services.save_voicemail(
        call_id=call.pk, queue_id=queue.pk, recording_name="v", duration_seconds=3
    )
    callback = services.request_callback(queue_id=queue.pk, number=call.caller, voicemail_id=voicemail.pk)
    local = callback.scheduled_for.astimezone(tz)
    assert (local.weekday(), local.hour, local.minute) == (opens_on, 9, 0)
    assert callback.origin_call_id == call.pk


def test_a_no_answer_is_retried_after_the_interval_and_fails_after_the_last_attempt() -> None:
    queue = make_queue(callback_attempts=2, callback_retry_seconds=300)
    callback = services.request_callback(queue_id=queue.pk, number=NUMBER)
    call_ids = []
    for _ in range(2):
        agent = make_agent(queue)
        claim, why = services.start_callback_attempt(callback_id=callback.pk, agent_id=agent.pk)
        assert why == ""
        call_ids.append(claim.call_id)
        services.dial_callback_customer(callback_id=callback.pk, call_id=claim.call_id)
        done = services.finish_callback_attempt(
            callback_id=callback.pk, call_id=claim.call_id, result=CallbackResult.NO_ANSWER
        )
        if len(call_ids) == 1:
            assert done.status == CallbackStatus.PENDING
            assert done.next_attempt_at - done.last_attempt_at >= dt.timedelta(seconds=299)
            # not due before the interval, even for a worker working from an older snapshot
            early = services.start_callback_attempt(callback_id=callback.pk, agent_id=make_agent(queue).pk)
            assert early == (None, "callback")
            CallbackRequest.objects.filter(pk=callback.pk).update(next_attempt_at=timezone.now())
    done.refresh_from_db()
    assert (done.status, done.result, done.attempts) == (CallbackStatus.FAILED, CallbackResult.NO_ANSWER, 2)


def test_an_attempt_claims_the_callback_and_the_agent_once() -> None:
    queue = make_queue()
    first, second = make_agent(queue), make_agent(queue)
    callback = services.request_callback(queue_id=queue.pk, number=NUMBER)
    claim, _ = services.start_callback_attempt(callback_id=callback.pk, agent_id=first.pk)
    assert claim is not None
    assert services.start_callback_attempt(callback_id=callback.pk, agent_id=second.pk) == (None, "callback")
    other = services.request_callback(queue_id=queue.pk, number="+8613900139001")
    assert services.start_callback_attempt(callback_id=other.pk, agent_id=first.pk) == (None, "agent")
    assert CallbackRequest.objects.get(pk=other.pk).status == CallbackStatus.PENDING


def test_it_cancels_a_pending_callback_and_refuses_a_finished_one(django_capture_on_commit_callbacks) -> None:
    queue = make_queue()
    callback = services.request_callback(queue_id=queue.pk, number=NUMBER)
    with django_capture_on_commit_callbacks(execute=True):
        done = services.cancel_callback(callback_id=callback.pk, user=None, by="sue")
    assert (done.status, done.result) == (CallbackStatus.CANCELLED, CallbackResult.CANCELLED)
    with pytest.raises(Conflict):
        services.cancel_callback(callback_id=callback.pk, user=None)


def test_a_stopped_workers_attempt_is_pending_again() -> None:
    queue = make_queue()
    agent = make_agent(queue)
    callback = services.request_callback(queue_id=queue.pk, number=NUMBER)
    claim, _ = services.start_callback_attempt(callback_id=callback.pk, agent_id=agent.pk)
    assert services.recover_callbacks() == 0  # its call is still live
    services.finish_call(call_id=claim.call_id, outcome="failed")
    assert services.recover_callbacks() == 1
    assert CallbackRequest.objects.get(pk=callback.pk).status == CallbackStatus.PENDING


@pytest.fixture
def supervisor() -> Client:
    make_user("sue", "supervisor")
    client = Client()
    client.login(username="sue", password=PASSWORD)
    return client


def post(client: Client, path: str, data: dict | None = None):
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def test_the_api_schedules_and_cancels_callbacks_and_says_what_was_wrong(supervisor) -> None:
    queue = make_queue()
    when = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    created = post(
        supervisor, "/api/callbacks/", {"queue": queue.pk, "number": NUMBER, "scheduled_for": when}
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending"
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    refused = post(
        supervisor, "/api/callbacks/", {"queue": queue.pk, "number": NUMBER, "scheduled_for": past}
    )
    assert (refused.status_code, refused.json()["error_id"]) == (400, "callback_in_past")
    invalid = post(supervisor, "/api/callbacks/", {"queue": queue.pk, "number": "12"})
    assert (invalid.status_code, invalid.json()["error_id"]) == (400, "callback_invalid_number")
    cancel = post(supervisor, f"/api/callbacks/{created.json()['id']}/cancel/")
    assert (cancel.status_code, cancel.json()["result"]) == (200, "cancelled")
    again = post(supervisor, f"/api/callbacks/{created.json()['id']}/cancel/")
    assert (again.status_code, again.json()["error_id"]) == (409, "callback_closed")
    assert CallbackRequest.objects.count() == 1


def test_an_agent_may_not_create_callbacks_by_api_and_sees_only_their_queues() -> None:
    queue, other = make_queue("mine"), make_queue("theirs")
    agent = make_agent(queue)
    agent.user.set_password(PASSWORD)
    agent.user.save()
    ensure_roles()
    agent.user.groups.add(Group.objects.get(name="agent"))
    services.request_callback(queue_id=queue.pk, number=NUMBER)
    services.request_callback(queue_id=other.pk, number=NUMBER)
    client = Client()
    client.login(username=agent.user.username, password=PASSWORD)
    assert post(client, "/api/callbacks/", {"queue": queue.pk, "number": NUMBER}).status_code == 403
    listed = client.get("/api/callbacks/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["queue"] for r in rows] == [queue.pk]
