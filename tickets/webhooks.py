"""Outgoing webhooks: HMAC-SHA256 signed POSTs, a delivery log, retries with exponential backoff.

Receivers verify `X-Ccapp-Signature: sha256=<hex>` = HMAC(secret, "<X-Ccapp-Timestamp>.<body>") and
may drop duplicates by `X-Ccapp-Event-Id` (a retried delivery keeps its id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from tickets import clock
from tickets.models import DeliveryStatus, Ticket, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


class RetryableFailure(Exception):
    """The receiver timed out, was unreachable or answered 5xx/408/429: try again later."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for one request body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempt: int) -> int:
    """Seconds to wait before retry number `attempt` (1-based): 30 s, 60 s, 120 s, ... capped at an hour."""
    return min(BACKOFF_BASE_SECONDS * 2 ** (max(attempt, 1) - 1), BACKOFF_CAP_SECONDS)


def ticket_payload(ticket: Ticket) -> dict:
    """The JSON body describing a ticket to outside systems."""
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": ticket.category.code if ticket.category_id else None,
        "customer_id": ticket.customer_id,
        "assignee": ticket.assignee.get_username() if ticket.assignee_id else None,
        "tags": list(ticket.tags),
        "first_response_due_at": ticket.first_response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "resolved_at": ticket.resolved_at,
        "version": ticket.version,
    }


def enqueue(event: str, ticket: Ticket) -> list[WebhookDelivery]:
    """Record one delivery per active endpoint subscribed to `event`; send them after commit."""
    from tickets.tasks import deliver_webhook

    deliveries = []
    for endpoint in WebhookEndpoint.objects.filter(active=True, events__contains=[event]):
        payload = {"event": event, "at": clock.now(), "ticket": ticket_payload(ticket)}
        payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, ticket=ticket, payload=payload
        )
        transaction.on_commit(lambda pk=delivery.pk: deliver_webhook.delay(pk))
        deliveries.append(delivery)
    return deliveries


def attempt(delivery_id: int) -> WebhookDelivery:
    """Try one delivery once and log it; raise RetryableFailure if another attempt should follow."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return delivery  # already delivered or given up: a duplicate task run does nothing
        delivery.attempts += 1
        # The row stays locked during the POST so two workers never send one delivery twice at once.
        code, error = _post(delivery)
        retryable = error is not None and (code is None or code >= 500 or code in (408, 429))
        delivery.last_status_code, delivery.last_error = code, (error or "")[:500]
        delivery.log = [*delivery.log, {"at": clock.now().isoformat(), "status": code, "error": error}]
        if error is None:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, clock.now()
        elif not retryable or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        delivery.save()
    if delivery.status == DeliveryStatus.PENDING:
        raise RetryableFailure(error)
    return delivery


def _post(delivery: WebhookDelivery) -> tuple[int | None, str | None]:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ccapp-webhooks/1",
        "X-Ccapp-Event": delivery.event,
        "X-Ccapp-Event-Id": str(delivery.event_id),
        "X-Ccapp-Timestamp": timestamp,
        "X-Ccapp-Signature": sign(delivery.endpoint.secret, timestamp, body),
    }
    timeout = float(getattr(settings, "TICKETS_WEBHOOK_TIMEOUT", 5.0))
    try:
        response = httpx.post(delivery.endpoint.url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return None, "timeout"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"
