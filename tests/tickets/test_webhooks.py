"""Webhooks against a real HTTP receiver on 127.0.0.1: signatures, 500s, timeouts, retries, the log."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings as django_settings

from tickets import services, tasks, webhooks
from tickets.models import DeliveryStatus, Status, WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


class Receiver:
    """A local webhook receiver answering with the scripted statuses in turn ("sleep" = too slow)."""

    def __init__(self) -> None:
        self.script: list[int | str] = []
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                answer = receiver.script.pop(0) if receiver.script else 200
                if answer == "sleep":
                    time.sleep(1.0)
                    answer = 200
                try:
                    self.send_response(int(answer))
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def endpoint(receiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="erp", url=receiver.url, secret="s3cret", events=[WebhookEvent.CREATED, WebhookEvent.RESOLVED]
    )


def test_a_delivery_is_signed_and_logged(
    frozen, endpoint, receiver, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.create_ticket(subject="Webhook me")
    (headers, body) = receiver.requests[0]
    expected = hmac.new(b"s3cret", headers["X-Ccapp-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-Ccapp-Signature"] == "sha256=" + expected.hexdigest()
    assert headers["X-Ccapp-Event"] == "ticket.created"
    payload = json.loads(body)
    assert payload["ticket"]["number"] == ticket.number and payload["event"] == "ticket.created"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )
    assert str(delivery.event_id) == headers["X-Ccapp-Event-Id"]


def test_only_subscribed_events_are_sent(frozen, endpoint, agent) -> None:
    ticket = services.create_ticket(subject="x")
    services.transition_ticket(ticket.pk, to=Status.OPEN, actor=agent)
    services.transition_ticket(ticket.pk, to=Status.RESOLVED, actor=agent)
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True)) == [
        "ticket.created",
        "ticket.resolved",
    ]


def test_500s_are_retried_until_delivered(frozen, endpoint, receiver) -> None:
    receiver.script = [500, 502, 200]
    services.create_ticket(subject="x")
    delivery = WebhookDelivery.objects.get()
    tasks.deliver_webhook.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert [entry["status"] for entry in delivery.log] == [500, 502, 200]
    ids = {headers["X-Ccapp-Event-Id"] for headers, _ in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1  # a retry is the same event


def test_a_timeout_is_retried_and_then_given_up(frozen, endpoint, receiver, settings, monkeypatch) -> None:
    settings.TICKETS_WEBHOOK_TIMEOUT = 0.2
    monkeypatch.setattr(webhooks, "MAX_ATTEMPTS", 2)
    receiver.script = ["sleep", "sleep"]
    services.create_ticket(subject="x")
    delivery = WebhookDelivery.objects.get()
    with pytest.raises(webhooks.RetryableFailure):
        webhooks.attempt(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING, "timeout")
    webhooks.attempt(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert webhooks.attempt(delivery.pk).attempts == 2  # given up: a late duplicate task does nothing


def test_a_4xx_is_not_retried(frozen, endpoint, receiver) -> None:
    receiver.script = [410]
    services.create_ticket(subject="x")
    delivery = webhooks.attempt(WebhookDelivery.objects.get().pk)
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (DeliveryStatus.FAILED, 410, 1)


def test_an_unreachable_receiver_is_retryable(frozen, receiver) -> None:
    WebhookEndpoint.objects.create(
        name="gone", url="http://127.0.0.1:9/none", secret="s", events=["ticket.created"]
    )
    services.create_ticket(subject="x")
    with pytest.raises(webhooks.RetryableFailure):
        webhooks.attempt(WebhookDelivery.objects.get().pk)


@pytest.mark.parametrize(("attempt", "seconds"), [(1, 30), (2, 60), (3, 120), (5, 480), (20, 3600)])
def test_backoff_doubles_up_to_an_hour(attempt: int, seconds: int) -> None:
    assert webhooks.backoff(attempt) == seconds


def test_a_delivery_goes_through_the_real_broker_when_not_eager(frozen, endpoint, monkeypatch) -> None:
    from ccapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete("celery")
    services.create_ticket(subject="x")
    delivery = WebhookDelivery.objects.get()
    tasks.deliver_webhook.delay(delivery.pk)
    (message,) = [json.loads(raw) for raw in client.lrange("celery", 0, -1)]
    client.delete("celery")
    assert message["headers"]["task"] == "tickets.tasks.deliver_webhook"
    assert message["headers"]["argsrepr"] == f"({delivery.pk},)"
