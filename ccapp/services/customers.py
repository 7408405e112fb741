"""The customer side of a call, through the CRM's own selector (never its models)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection

from ccapp.models import Call, Voicemail

log = logging.getLogger(__name__)
HISTORY_LENGTH = 5
HISTORY_SQL = (
    f"SELECT id, arrived_at, outcome, agent_id, queue_id FROM {Call._meta.db_table} "
    "WHERE caller = %s AND ended_at IS NOT NULL AND id <> %s ORDER BY arrived_at DESC LIMIT %s"
)


@dataclass(frozen=True)
class CallerInfo:
    """Who is calling, as the CRM knows them: the customer id, VIP level and screen-pop card."""

    customer_id: int | None = None
    vip_level: int = 0
    card: dict[str, Any] | None = None


def find_customer(e164: str) -> CallerInfo:
    """The CRM's card for a number (an empty CallerInfo when unknown or the CRM fails)."""
    try:
        from crm.selectors import customer_for_number
    except ImportError:
        return CallerInfo()
    try:
        card = customer_for_number(e164)
    except Exception:  # the screen pop is a convenience: a CRM failure must not stop the call
        log.exception("customer lookup failed for a caller")
        return CallerInfo()
    if not getattr(card, "known", False):
        return CallerInfo()
    data = card.as_dict() if hasattr(card, "as_dict") else None
    return CallerInfo(customer_id=card.customer_id, vip_level=int(card.vip_level or 0), card=data)


def customer_card(call: Call) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Screen-pop data: the CRM card (fresh) and the caller's last calls."""
    card = find_customer(call.caller).card if call.caller else None
    history: list[dict[str, Any]] = []
    if call.caller:
        with connection.cursor() as cursor:  # raw: this runs for every answered call
            cursor.execute(HISTORY_SQL, [call.caller, call.pk, HISTORY_LENGTH])
            previous = cursor.fetchall()
        history = [
            {"id": pk, "arrived_at": at.isoformat(), "outcome": outcome, "agent_id": agent, "queue_id": queue}
            for pk, at, outcome, agent, queue in previous
        ]
    return card, history


def call_to_timeline(call: Call) -> None:
    """Put a finished call of a known customer on the CRM timeline (with its recordings)."""
    if not call.customer_id:
        return
    from crm.services import record_interaction

    recordings = list(call.recordings.values_list("pk", flat=True))
    record_interaction(
        customer=call.customer_id,
        kind="call",
        summary=f"{call.get_direction_display()} · {call.get_outcome_display()}",
        at=call.arrived_at,
        link=call,
        data={
            "call": call.pk,
            "direction": call.direction,
            "outcome": call.outcome,
            "queue_id": call.queue_id,
            "agent_id": call.agent_id,
            "wait_seconds": round(call.wait_seconds or 0.0, 1),
            "talk_seconds": round(call.talk_seconds or 0.0, 1),
            "recordings": recordings,
            "csat": call.csat,
        },
    )


def voicemail_to_timeline(voicemail: Voicemail) -> None:
    """Put a voicemail of a known customer on the CRM timeline."""
    if not voicemail.customer_id:
        return
    from crm.services import record_interaction

    record_interaction(
        customer=voicemail.customer_id,
        kind="voicemail",
        summary=f"{voicemail.caller} · {round(voicemail.duration_seconds)} s",
        at=voicemail.created_at,
        link=voicemail,
        data={"call": voicemail.call_id, "queue_id": voicemail.queue_id, "voicemail": voicemail.pk},
    )
