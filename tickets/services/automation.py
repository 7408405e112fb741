"""Automation: assignment rules, SLA warnings and escalation, auto-close, bulk actions, beat schedules."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from ccapp.errors import DomainError
from tickets import notify, sla, webhooks, workflow
from tickets.models import AssignmentRule, EventKind, Priority, Status, Ticket, WebhookEvent
from tickets.services.core import (
    apply_transition,
    assign_ticket,
    lock_ticket,
    log_event,
    save_ticket,
    transition_ticket,
    update_ticket,
)

CLOCKS = ("first_response", "resolution")


def rule_matches(rule: AssignmentRule, ticket: Ticket) -> bool:
    """Whether every condition of the rule holds for the (unsaved) ticket."""
    if rule.category_id and (not ticket.category_id or rule.category_id not in ticket.category.lineage_ids()):
        return False
    if rule.channel and rule.channel != ticket.channel:
        return False
    keywords = rule.keyword_list()
    text = f"{ticket.subject}\n{ticket.description}".lower()
    return not keywords or any(k in text for k in keywords)


def apply_rules(ticket: Ticket) -> list[str]:
    """Apply the first matching rules ("when X then Y") to a new ticket; the names of the rules applied."""
    applied = []
    for rule in AssignmentRule.objects.filter(active=True).select_related("assign_to"):
        if not rule_matches(rule, ticket):
            continue
        if rule.assign_to and rule.assign_to.is_active and rule.assign_to.has_perm("tickets.change_ticket"):
            ticket.assignee = rule.assign_to
        if rule.team_id:
            ticket.team_id = rule.team_id
        if rule.set_priority:
            ticket.priority = rule.set_priority
        ticket.tags = sorted(set(ticket.tags) | set(rule.add_tags))
        applied.append(rule.name)
        if rule.stop:
            break
    return applied


def _clock_fields(name: str) -> tuple[str, str, str, str]:
    done = "first_responded_at" if name == "first_response" else "resolved_at"
    return f"{name}_due_at", done, f"{name}_warned_at", f"{name}_breached_at"


def tickets_needing_sla_action(now: datetime) -> list[int]:
    """Ids of running tickets whose clock is due soon (not yet warned) or past due (not yet escalated)."""
    running = Ticket.objects.exclude(status__in=workflow.DONE).filter(
        sla_paused_at__isnull=True, sla_policy__isnull=False
    )
    horizon = now + timedelta(
        minutes=max(running.values_list("sla_policy__warn_before_minutes", flat=True), default=0)
    )
    query = Q()
    for name in CLOCKS:
        due, done, warned, breached = _clock_fields(name)
        pending = Q(**{f"{done}__isnull": True, f"{due}__isnull": False})
        query |= pending & Q(**{f"{due}__lte": horizon, f"{warned}__isnull": True})
        query |= pending & Q(**{f"{due}__lte": now, f"{breached}__isnull": True})
    return list(
        running.filter(query)
        .order_by(F("resolution_due_at").asc(nulls_last=True))
        .values_list("pk", flat=True)
    )


@transaction.atomic
def process_sla(ticket_id: int, *, now: datetime) -> list[str]:
    """Warn before and escalate on a breach of either clock, each at most once; what was done."""
    ticket = lock_ticket(ticket_id)
    if ticket.is_done or ticket.sla_paused_at or ticket.sla_policy is None:
        return []
    warn = timedelta(minutes=ticket.sla_policy.warn_before_minutes)
    actions = []
    for name in CLOCKS:
        due_f, done_f, warned_f, breached_f = _clock_fields(name)
        due = getattr(ticket, due_f)
        if due is None or getattr(ticket, done_f) is not None:
            continue
        if now >= due and getattr(ticket, breached_f) is None:
            setattr(ticket, breached_f, now)
            setattr(ticket, warned_f, getattr(ticket, warned_f) or now)
            escalate(ticket, clock_name=name, due=due)
            actions.append(f"escalated:{name}")
        elif now >= due - warn and getattr(ticket, warned_f) is None:
            setattr(ticket, warned_f, now)
            save_ticket(ticket, actor=None, reason=f"SLA warning {name}")
            log_event(ticket, EventKind.SLA_WARNING, clock=name, due=due.isoformat())
            notify.sla_warning(ticket, name, due)
            actions.append(f"warned:{name}")
    return actions


def escalate(ticket: Ticket, *, clock_name: str, due: datetime) -> None:
    """On a breach: raise the priority, reassign if the policy says to whom, tell the supervisors."""
    policy = ticket.sla_policy
    previous = ticket.assignee
    ticket.priority = min(ticket.priority + 1, Priority.URGENT)
    ticket.escalation_level += 1
    target = policy.escalate_to if policy else None
    if target and target.is_active and target.has_perm("tickets.change_ticket"):
        ticket.assignee = target
    save_ticket(ticket, actor=None, reason=f"SLA breach {clock_name}")
    log_event(ticket, EventKind.SLA_BREACH, clock=clock_name, due=due.isoformat())
    log_event(
        ticket,
        EventKind.ESCALATED,
        level=ticket.escalation_level,
        priority=ticket.priority,
        assignee=ticket.assignee.get_username() if ticket.assignee else None,
    )
    notify.escalated(ticket, clock_name, due)
    if ticket.assignee and ticket.assignee != previous:
        notify.ticket_assigned(ticket, ticket.assignee)
    webhooks.enqueue(WebhookEvent.UPDATED, ticket)


def autoclose_days() -> int:
    return int(getattr(settings, "TICKETS_AUTOCLOSE_DAYS", 3))


def resolved_to_close(now: datetime) -> list[int]:
    """Ids of tickets resolved longer ago than the auto-close delay."""
    cutoff = now - timedelta(days=autoclose_days())
    return list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff).values_list("pk", flat=True)
    )


@transaction.atomic
def autoclose_ticket(ticket_id: int, *, now: datetime) -> bool:
    """Close one ticket if it is still resolved past the delay (re-checked under the lock)."""
    ticket = lock_ticket(ticket_id)
    if ticket.status != Status.RESOLVED or ticket.resolved_at > now - timedelta(days=autoclose_days()):
        return False
    apply_transition(ticket, workflow.CLOSED, actor=None, reason="auto-closed")
    return True


BULK_ACTIONS = ("assign", "transition", "priority", "add_tags")


def bulk_update(
    ticket_ids: list[int], *, action: str, actor: AbstractBaseUser, params: dict[str, Any]
) -> dict[int, dict]:
    """Apply one action to many tickets, each in its own transaction; per-ticket result or error."""
    if action not in BULK_ACTIONS:
        raise DomainError(_("Unknown bulk action."), field="action", error_id="invalid_bulk_action")
    results: dict[int, dict] = {}
    for ticket_id in ticket_ids:
        try:
            ticket = _bulk_one(ticket_id, action=action, actor=actor, params=params)
        except DomainError as exc:
            results[ticket_id] = {"ok": False, "error_id": exc.error_id, "detail": exc.message}
        else:
            results[ticket_id] = {"ok": True, "version": ticket.version}
    return results


def _bulk_one(ticket_id: int, *, action: str, actor, params: dict[str, Any]) -> Ticket:
    if action == "assign":
        return assign_ticket(ticket_id, assignee=params.get("assignee"), actor=actor)
    if action == "transition":
        return transition_ticket(ticket_id, to=params.get("status", ""), actor=actor, reason="bulk")
    with transaction.atomic():
        current = lock_ticket(ticket_id)
        if action == "priority":
            return update_ticket(
                ticket_id, version=current.version, actor=actor, priority=params.get("priority")
            )
        tags = sorted(set(current.tags) | set(params.get("tags") or []))
        return update_ticket(ticket_id, version=current.version, actor=actor, tags=tags)


SCHEDULES = {
    "tickets: SLA warnings and escalation": ("tickets.tasks.check_sla", 1),
    "tickets: auto-close resolved tickets": ("tickets.tasks.autoclose_resolved", 60),
}


def ensure_schedules() -> list[str]:
    """Create or update the beat entries (django-celery-beat) of the tickets app; their names."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for name, (task, minutes) in SCHEDULES.items():
        every, _created = IntervalSchedule.objects.get_or_create(
            every=minutes, period=IntervalSchedule.MINUTES
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "interval": every, "enabled": True, "args": json.dumps([])}
        )
    return list(SCHEDULES)


def sla_clocks(ticket: Ticket, *, now: datetime) -> dict:
    """Both clocks of a ticket (re-exported for views)."""
    return sla.clocks(ticket, now=now)
