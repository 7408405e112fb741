"""Ticket writes: numbering, creation, edits under optimistic concurrency, transitions, assignment."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ccapp.errors import Conflict, DomainError, NotFound
from tickets import clock, notify, sla, webhooks, workflow
from tickets.models import (
    Category,
    Channel,
    CustomField,
    CustomFieldKind,
    EventKind,
    Priority,
    Ticket,
    TicketEvent,
    WebhookEvent,
)
from tickets.services.timeline import record_timeline

EDITABLE_FIELDS = {
    "subject",
    "description",
    "category",
    "priority",
    "tags",
    "custom",
    "team",
    "group",
    "customer",
}
SLA_FIELDS = {"category", "priority", "customer"}


def reopen_days() -> int:
    return int(getattr(settings, "TICKETS_REOPEN_DAYS", 7))


def next_number(year: int) -> str:
    """The next ticket number of `year`, e.g. T-2026-000123 (one atomic upsert: no two tickets share one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketcounter (year, last) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = tickets_ticketcounter.last + 1 RETURNING last",
            [year],
        )
        (last,) = cursor.fetchone()
    return f"T-{year}-{last:06d}"


def lock_ticket(ticket_id: int, *, version: int | None = None) -> Ticket:
    """The ticket under a row lock; Conflict if the caller edited an older version."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "sla_policy")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(_("Ticket %(id)s does not exist.") % {"id": ticket_id}, error_id="ticket_not_found")
    if version is not None and ticket.version != version:
        raise Conflict(
            _("Ticket %(number)s was changed by someone else (now version %(current)s, yours %(yours)s).")
            % {"number": ticket.number, "current": ticket.version, "yours": version},
            field="version",
            error_id="stale_version",
        )
    return ticket


def save_ticket(ticket: Ticket, *, actor: AbstractBaseUser | None, reason: str = "") -> None:
    """Save with a new version and attribute the history row."""
    ticket.version += 1
    ticket._history_user = actor
    ticket._change_reason = reason[:100] or None
    ticket.save()


def log_event(
    ticket: Ticket, kind: str, *, actor=None, source: str = "", target: str = "", **data: Any
) -> None:
    TicketEvent.objects.create(
        ticket=ticket, at=clock.now(), kind=kind, actor=actor, from_status=source, to_status=target, data=data
    )


def check_assignee(user: AbstractBaseUser | None) -> None:
    """Refuse an assignee who may not work tickets."""
    if user is not None and not (user.is_active and user.has_perm("tickets.change_ticket")):
        raise DomainError(
            _("%(user)s may not work on tickets.") % {"user": user.get_username()},
            field="assignee",
            error_id="assignee_not_allowed",
        )


def clean_custom(values: dict, *, creating: bool) -> dict:
    """Validate custom field values against the active definitions."""
    if not isinstance(values, dict):
        raise DomainError(_("Custom fields must be an object."), field="custom", error_id="invalid_custom")
    fields = {f.key: f for f in CustomField.objects.filter(active=True)}
    for key, value in values.items():
        field = fields.get(key)
        if field is None:
            raise DomainError(
                _("Unknown custom field %(key)s.") % {"key": key}, field="custom", error_id="invalid_custom"
            )
        if not _custom_ok(field, value):
            raise DomainError(
                _("Invalid value for %(label)s.") % {"label": field.label},
                field="custom",
                error_id="invalid_custom",
            )
    missing = [f.label for f in fields.values() if f.required and values.get(f.key) in (None, "")]
    if creating and missing:
        raise DomainError(
            _("Required: %(fields)s.") % {"fields": ", ".join(missing)},
            field="custom",
            error_id="invalid_custom",
        )
    return values


def _custom_ok(field: CustomField, value: Any) -> bool:
    if value is None:
        return not field.required
    match field.kind:
        case CustomFieldKind.NUMBER:
            return isinstance(value, int | float) and not isinstance(value, bool)
        case CustomFieldKind.BOOLEAN:
            return isinstance(value, bool)
        case CustomFieldKind.DATE:
            return isinstance(value, str) and _iso(value)
        case CustomFieldKind.CHOICE:
            return value in field.choices
    return isinstance(value, str)


def _iso(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@transaction.atomic
def create_ticket(
    *,
    subject: str,
    channel: str = Channel.API,
    description: str = "",
    customer=None,
    category: Category | None = None,
    priority: int = Priority.NORMAL,
    assignee: AbstractBaseUser | None = None,
    team=None,
    tags: Iterable[str] = (),
    custom: dict | None = None,
    requester_name: str = "",
    requester_email: str = "",
    requester_phone: str = "",
    language: str | None = None,
    calls: Iterable = (),
    recordings: Iterable = (),
    voicemails: Iterable = (),
    callbacks: Iterable = (),
    created_by: AbstractBaseUser | None = None,
) -> Ticket:
    """Open a ticket from any channel: numbered, routed by the rules, SLA clocks started, everyone told."""
    from tickets.services.automation import apply_rules

    if not subject.strip():
        raise DomainError(_("A subject is required."), field="subject", error_id="subject_required")
    if channel not in Channel.values:
        raise DomainError(_("Unknown channel."), field="channel", error_id="invalid_channel")
    check_assignee(assignee)
    now = clock.now()
    ticket = Ticket(
        number=next_number(timezone.localtime(now).year),
        subject=subject.strip()[:200],
        description=description,
        channel=channel,
        customer=customer,
        category=category,
        priority=priority,
        assignee=assignee,
        team=team,
        tags=sorted(set(tags)),
        # Required custom fields bind staff; the public form and system sources (voicemail) cannot fill them.
        custom=clean_custom(custom or {}, creating=created_by is not None),
        requester_name=requester_name,
        requester_email=requester_email,
        requester_phone=requester_phone,
        language=(customer.language if customer else language) or "zh",
        created_by=created_by,
        created_at=now,
    )
    applied = apply_rules(ticket) if assignee is None else []
    if ticket.team is None and category is not None and category.default_team_id:
        ticket.team_id = category.default_team_id
    sla.apply_policy(ticket)
    ticket._history_user = created_by
    ticket.save()
    for name, items in (
        ("calls", calls),
        ("recordings", recordings),
        ("voicemails", voicemails),
        ("callbacks", callbacks),
    ):
        if items:
            getattr(ticket, name).add(*items)
    log_event(ticket, EventKind.CREATED, actor=created_by, target=ticket.status, channel=channel)
    for rule in applied:
        log_event(ticket, EventKind.RULE, rule=rule)
    record_timeline(
        ticket, kind="ticket", summary=f"{ticket.number} {ticket.subject}", obj=ticket, actor=created_by
    )
    notify.ticket_created(ticket)
    if ticket.assignee:
        notify.ticket_assigned(ticket, ticket.assignee)
    webhooks.enqueue(WebhookEvent.CREATED, ticket)
    return ticket


@transaction.atomic
def update_ticket(ticket_id: int, *, version: int, actor: AbstractBaseUser | None, **changes: Any) -> Ticket:
    """Edit a ticket's fields; the caller names the version it saw (a stale one gets a Conflict)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(
            _("These fields cannot be changed here: %(f)s.") % {"f": ", ".join(sorted(unknown))}
        )
    ticket = lock_ticket(ticket_id, version=version)
    if ticket.status == workflow.CLOSED:
        raise Conflict(_("A closed ticket cannot be edited; reopen it first."), error_id="ticket_closed")
    if "custom" in changes:
        changes["custom"] = clean_custom({**ticket.custom, **changes["custom"]}, creating=False)
    if "tags" in changes:
        changes["tags"] = sorted(set(changes["tags"]))
    changed = {k: v for k, v in changes.items() if getattr(ticket, k) != v}
    for key, value in changed.items():
        setattr(ticket, key, value)
    if not changed:
        return ticket
    if SLA_FIELDS & set(changed):
        sla.apply_policy(ticket)
    save_ticket(ticket, actor=actor, reason="edited")
    log_event(ticket, EventKind.UPDATED, actor=actor, fields=sorted(changed))
    webhooks.enqueue(WebhookEvent.UPDATED, ticket)
    return ticket


def apply_transition(ticket: Ticket, target: str, *, actor, reason: str = "") -> None:
    """Move a locked ticket to `target` (checked by the workflow) with its SLA and notification effects."""
    now, source = clock.now(), ticket.status
    try:
        workflow.check_transition(
            source,
            target,
            resolved_at=ticket.resolved_at or ticket.closed_at,
            now=now,
            reopen_days=reopen_days(),
        )
    except workflow.IllegalTransition as exc:
        raise Conflict(
            _("A ticket cannot go from %(source)s to %(target)s (%(reason)s).")
            % {"source": source, "target": target, "reason": exc.reason},
            field="status",
            error_id="illegal_transition",
        ) from None
    if source in workflow.DONE and target == workflow.OPEN:
        # Reopened: the time spent resolved or closed does not count against the resolution target.
        ticket.sla_paused_at = ticket.sla_paused_at or ticket.resolved_at or ticket.closed_at
        ticket.resolved_at = ticket.closed_at = None
    ticket.status = target
    if workflow.is_paused(target) or target in workflow.DONE:
        sla.pause(ticket, now=now)
    else:
        sla.resume(ticket, now=now)
    if target == workflow.RESOLVED:
        ticket.resolved_at = now
        ticket.satisfaction_token = ticket.satisfaction_token or secrets.token_urlsafe(24)
    if target == workflow.CLOSED:
        ticket.closed_at = now
    save_ticket(ticket, actor=actor, reason=f"{source} → {target}")
    log_event(ticket, EventKind.TRANSITION, actor=actor, source=source, target=target, reason=reason)
    if target == workflow.RESOLVED:
        notify.ticket_resolved(ticket)
        webhooks.enqueue(WebhookEvent.RESOLVED, ticket)
    else:
        webhooks.enqueue(WebhookEvent.UPDATED, ticket)


@transaction.atomic
def transition_ticket(
    ticket_id: int, *, to: str, actor: AbstractBaseUser | None, version: int | None = None, reason: str = ""
) -> Ticket:
    """Change a ticket's status through the workflow; every transition is recorded."""
    ticket = lock_ticket(ticket_id, version=version)
    apply_transition(ticket, to, actor=actor, reason=reason)
    return ticket


@transaction.atomic
def assign_ticket(
    ticket_id: int,
    *,
    assignee: AbstractBaseUser | None,
    actor: AbstractBaseUser | None,
    version: int | None = None,
    team: Any = ...,
) -> Ticket:
    """Give a ticket to an agent (who must be allowed to work tickets) and/or a team; a new ticket opens."""
    check_assignee(assignee)
    ticket = lock_ticket(ticket_id, version=version)
    if ticket.status == workflow.CLOSED:
        raise Conflict(_("A closed ticket cannot be assigned; reopen it first."), error_id="ticket_closed")
    previous = ticket.assignee
    ticket.assignee = assignee
    if team is not ...:
        ticket.team = team
    if ticket.status == workflow.NEW and assignee is not None:
        apply_transition(ticket, workflow.OPEN, actor=actor, reason="assigned")
    else:
        save_ticket(ticket, actor=actor, reason="assigned")
        webhooks.enqueue(WebhookEvent.UPDATED, ticket)
    log_event(
        ticket,
        EventKind.ASSIGNED,
        actor=actor,
        assignee=assignee.get_username() if assignee else None,
        previous=previous.get_username() if previous else None,
    )
    if assignee is not None and assignee != previous and assignee != actor:
        notify.ticket_assigned(ticket, assignee)
    return ticket
