"""The customer side of a call, through the CRM's own selectors (never its models)."""

from __future__ import annotations

import logging
from typing import Any

from ccapp.models import Call

log = logging.getLogger(__name__)
HISTORY_LENGTH = 5


def find_customer(e164: str) -> Any | None:
    """The CRM customer owning a number, or None (also when the CRM is unavailable)."""
    try:
        from crm.selectors import customer_for_number
    except ImportError:
        return None
    try:
        found = customer_for_number(e164)
    except Exception:  # the screen pop is a convenience: a CRM failure must not stop the call
        log.exception("customer lookup failed for a caller")
        return None
    # Only a model instance can go on Call.customer; a plain card (no pk) is not linked.
    return found if found is not None and hasattr(found, "pk") else None


def customer_card(call: Call) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Screen-pop data: the customer card and the caller's last calls."""
    card = None
    if call.customer_id:
        customer = call.customer
        card = {"id": customer.pk, "name": str(customer), "vip_level": getattr(customer, "vip_level", 0)}
    history: list[dict[str, Any]] = []
    if call.caller:
        previous = (
            Call.objects.filter(caller=call.caller, ended_at__isnull=False)
            .exclude(pk=call.pk)
            .order_by("-arrived_at")
            .values("id", "arrived_at", "outcome", "agent_id", "queue_id")[:HISTORY_LENGTH]
        )
        history = [{**row, "arrived_at": row["arrived_at"].isoformat()} for row in previous]
    return card, history
