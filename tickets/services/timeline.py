"""The customer timeline entry of ticket events, written through the CRM's service when it exists."""

from __future__ import annotations

from typing import Any

from django.db import models

from tickets import clock
from tickets.models import Ticket


def record_timeline(
    ticket: Ticket,
    *,
    kind: str,
    summary: str,
    obj: models.Model,
    actor=None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Add an entry to the ticket customer's timeline (crm.services.record_interaction); False if skipped."""
    if not ticket.customer_id:
        return False
    try:
        from crm.services import record_interaction
    except ImportError:
        # The CRM timeline service is optional: tickets work the same without it.
        return False
    record_interaction(
        customer=ticket.customer,
        kind=kind,
        at=clock.now(),
        summary=summary[:255],
        link=obj,
        data={"ticket": ticket.number, **(data or {})},
        user=actor,
    )
    return True
