"""Celery tasks of the tickets app: thin, take ids, idempotent (a second run finds nothing to do)."""

from __future__ import annotations

import logging

from celery import shared_task

from tickets import clock, services, webhooks

log = logging.getLogger(__name__)


@shared_task(name="tickets.tasks.check_sla")
def check_sla() -> int:
    """Beat, every minute: warn before and escalate on SLA breaches; how many tickets were looked at."""
    now = clock.now()
    ids = services.tickets_needing_sla_action(now)
    for ticket_id in ids:
        services.process_sla(ticket_id, now=now)
    return len(ids)


@shared_task(name="tickets.tasks.process_ticket_sla")
def process_ticket_sla(ticket_id: int) -> list[str]:
    """Warn or escalate one ticket if its clocks call for it."""
    return services.process_sla(ticket_id, now=clock.now())


@shared_task(name="tickets.tasks.autoclose_resolved")
def autoclose_resolved() -> int:
    """Beat, hourly: close tickets resolved longer ago than TICKETS_AUTOCLOSE_DAYS; how many closed."""
    now = clock.now()
    return sum(services.autoclose_ticket(pk, now=now) for pk in services.resolved_to_close(now))


@shared_task(name="tickets.tasks.ticket_from_voicemail")
def ticket_from_voicemail(voicemail_id: int) -> int:
    """Open (once) the ticket of a voicemail; its id."""
    return services.create_ticket_from_voicemail(voicemail_id).pk


@shared_task(bind=True, name="tickets.tasks.deliver_webhook", max_retries=webhooks.MAX_ATTEMPTS - 1)
def deliver_webhook(self, delivery_id: int) -> str | None:
    """POST one webhook delivery; on a timeout or 5xx retry with exponential backoff."""
    try:
        delivery = webhooks.attempt(delivery_id)
    except webhooks.RetryableFailure as exc:
        raise self.retry(exc=exc, countdown=webhooks.backoff(self.request.retries + 1)) from exc
    return delivery.status if delivery else None
