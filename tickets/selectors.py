"""Reads of the tickets app: the work lists (mine, team, overdue, by SLA state) and a ticket's page data."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)

from tickets import sla, workflow
from tickets.models import Ticket
from tickets.sla import SLAState

VIEWS = ("all", "mine", "team", "unassigned", "overdue", "watching")


def _warn_from(field: str) -> ExpressionWrapper:
    # warn_before_minutes * interval '1 minute', subtracted in SQL so lists can filter on it.
    warn = ExpressionWrapper(
        F("sla_policy__warn_before_minutes") * Value(timedelta(minutes=1)), output_field=DurationField()
    )
    return ExpressionWrapper(F(field) - warn, output_field=DateTimeField())


def with_sla_state(queryset: QuerySet[Ticket], *, now: datetime) -> QuerySet[Ticket]:
    """Annotate `sla_state` (none, paused, on_track, warning, breached, met), computed in SQL."""
    fr_open = Q(first_responded_at__isnull=True, first_response_due_at__isnull=False)
    breached_done = (
        Q(first_response_breached_at__isnull=False)
        | Q(resolution_breached_at__isnull=False)
        | Q(resolved_at__gt=F("resolution_due_at"))
        | Q(first_responded_at__gt=F("first_response_due_at"))
    )
    breached_now = Q(resolution_due_at__lte=now) | (fr_open & Q(first_response_due_at__lte=now))
    warning_now = Q(resolution_warn_from__lte=now) | (fr_open & Q(first_response_warn_from__lte=now))
    return queryset.annotate(
        resolution_warn_from=_warn_from("resolution_due_at"),
        first_response_warn_from=_warn_from("first_response_due_at"),
    ).annotate(
        sla_state=Case(
            When(resolution_due_at__isnull=True, then=Value(SLAState.NONE.value)),
            When(Q(status__in=workflow.DONE) & breached_done, then=Value(SLAState.BREACHED.value)),
            When(status__in=workflow.DONE, then=Value(SLAState.MET.value)),
            When(
                Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False),
                then=Value(SLAState.BREACHED.value),
            ),
            When(sla_paused_at__isnull=False, then=Value(SLAState.PAUSED.value)),
            When(breached_now, then=Value(SLAState.BREACHED.value)),
            When(warning_now, then=Value(SLAState.WARNING.value)),
            default=Value(SLAState.ON_TRACK.value),
            output_field=CharField(),
        )
    )


def overdue(queryset: QuerySet[Ticket], *, now: datetime) -> QuerySet[Ticket]:
    """Running (not paused, not finished) tickets past a due time."""
    fr_open = Q(first_responded_at__isnull=True, first_response_due_at__lte=now)
    return (
        queryset.exclude(status__in=workflow.DONE)
        .filter(sla_paused_at__isnull=True)
        .filter(Q(resolution_due_at__lte=now) | fr_open)
    )


def ticket_list(
    user: AbstractBaseUser, *, view: str = "all", now: datetime, sla_state: str | None = None
) -> QuerySet[Ticket]:
    """The tickets of one work list for one user, with their SLA state, most urgent first."""
    qs = Ticket.objects.select_related("customer", "assignee", "team", "category", "sla_policy")
    if view == "mine":
        qs = qs.filter(assignee=user).exclude(status=workflow.CLOSED)
    elif view == "team":
        qs = (
            qs.filter(Q(team__members__user=user) | Q(group__in=user.groups.all()))
            .exclude(status__in=workflow.DONE)
            .distinct()
        )
    elif view == "unassigned":
        qs = qs.filter(assignee__isnull=True).exclude(status__in=workflow.DONE)
    elif view == "overdue":
        qs = overdue(qs, now=now)
    elif view == "watching":
        qs = qs.filter(watchers=user)
    qs = with_sla_state(qs, now=now)
    if sla_state:
        qs = qs.filter(sla_state=sla_state)
    return qs.order_by(F("resolution_due_at").asc(nulls_last=True), "-priority", "pk")


def ticket_page(ticket: Ticket, *, now: datetime) -> dict:
    """Everything a ticket's page shows: clocks, comments, events, history, links."""
    return {
        "ticket": ticket,
        "clocks": sla.clocks(ticket, now=now),
        "sla_state": sla.sla_state(ticket, now=now).value,
        "comments": ticket.comments.select_related("author").prefetch_related("attachments"),
        "events": ticket.events.select_related("actor"),
        "history": ticket.history.select_related("history_user").order_by("-history_date")[:100],
        "links": list(ticket.links_out.select_related("target"))
        + list(ticket.links_in.select_related("source")),
        "allowed": sorted(workflow.allowed_targets(ticket.status)),
    }


def open_tickets_for_customer(customer_id: int) -> list[dict]:
    """A customer's unfinished tickets for the CRM customer card (id, title, status, url)."""
    from django.urls import reverse

    rows = (
        Ticket.objects.filter(customer_id=customer_id)
        .exclude(status__in=workflow.DONE)
        .order_by("-created_at")
    )
    return [
        {
            "id": t.pk,
            "title": f"{t.number} {t.subject}",
            "status": t.get_status_display(),
            "url": reverse("tickets:detail", args=[t.pk]),
        }
        for t in rows[:50]
    ]


def customer_for_email(email: str):
    """The (unmerged) CRM customer with this email address, main or additional, if any."""
    from crm.models import Customer

    matches = Customer.objects.filter(Q(email__iexact=email) | Q(emails__email__iexact=email))
    if hasattr(Customer, "merged_into"):
        matches = matches.filter(merged_into__isnull=True)
    return matches.order_by("pk").first()
