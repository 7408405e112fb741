"""SLA clocks: which policy applies, when the first response and the resolution are due, pausing.

The arithmetic is business time from `ccapp.hours`; this module only reads models and sets fields on
a ticket instance (the caller saves it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ccapp.hours import AlwaysOpen, Calendar, calendar_for
from tickets.models import SLAPolicy, Ticket


class SLAState(StrEnum):
    NONE = "none"
    PAUSED = "paused"
    ON_TRACK = "on_track"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"


SLA_STATE_LABELS = {
    SLAState.NONE: _("No SLA"),
    SLAState.PAUSED: _("Paused"),
    SLAState.ON_TRACK: _("On track"),
    SLAState.WARNING: _("Due soon"),
    SLAState.BREACHED: _("Breached"),
    SLAState.MET: _("Met"),
}


def policy_for(ticket: Ticket) -> SLAPolicy | None:
    """The most specific active policy for the ticket's priority, category (or ancestor) and VIP level."""
    lineage = ticket.category.lineage_ids() if ticket.category_id else []
    vip = ticket.customer.vip_level if ticket.customer_id else 0
    candidates = SLAPolicy.objects.filter(active=True).filter(
        Q(priority__isnull=True) | Q(priority=ticket.priority),
        Q(category__isnull=True) | Q(category__in=lineage),
        Q(min_vip_level__isnull=True) | Q(min_vip_level__lte=vip),
    )

    def specificity(policy: SLAPolicy) -> tuple:
        depth = lineage.index(policy.category_id) if policy.category_id else len(lineage) + 1
        return (
            policy.category_id is None,
            depth,
            -(policy.min_vip_level or 0),
            policy.priority is None,
            policy.order,
            policy.pk,
        )

    return min(candidates.select_related("calendar"), key=specificity, default=None)


def calendar_of(ticket: Ticket) -> Calendar | AlwaysOpen:
    """The business-hours calendar the ticket's clocks run on."""
    policy = ticket.sla_policy
    return calendar_for(policy.calendar if policy else None)


def compute_due(ticket: Ticket) -> None:
    """Set the due times: the policy's targets plus the time spent paused, counted from creation."""
    policy = ticket.sla_policy
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    calendar = calendar_of(ticket)
    extra = ticket.sla_paused_seconds
    if ticket.first_responded_at is None:
        due = calendar.add_business_seconds(ticket.created_at, policy.first_response_minutes * 60 + extra)
        if due != ticket.first_response_due_at:
            ticket.first_response_due_at, ticket.first_response_warned_at = due, None
    due = calendar.add_business_seconds(ticket.created_at, policy.resolution_minutes * 60 + extra)
    if due != ticket.resolution_due_at:
        ticket.resolution_due_at, ticket.resolution_warned_at = due, None


def apply_policy(ticket: Ticket) -> None:
    """Choose the ticket's policy (again, after priority, category or customer changed) and its due times."""
    ticket.sla_policy = policy_for(ticket)
    compute_due(ticket)


def pause(ticket: Ticket, *, now: datetime) -> None:
    """Stop the clocks (waiting on the customer, or resolved)."""
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now


def resume(ticket: Ticket, *, now: datetime) -> None:
    """Restart the clocks: the due times move by the business time spent paused."""
    if ticket.sla_paused_at is None:
        return
    paused = calendar_of(ticket).business_seconds_between(ticket.sla_paused_at, now)
    ticket.sla_paused_seconds += max(0.0, paused)
    ticket.sla_paused_at = None
    compute_due(ticket)


def _clock_state(
    due: datetime | None, done_at: datetime | None, *, now: datetime, warn: timedelta
) -> SLAState:
    if due is None:
        return SLAState.NONE
    if done_at is not None:
        return SLAState.MET if done_at <= due else SLAState.BREACHED
    if now >= due:
        return SLAState.BREACHED
    return SLAState.WARNING if now >= due - warn else SLAState.ON_TRACK


def clocks(ticket: Ticket, *, now: datetime) -> dict[str, dict]:
    """Both clocks of a ticket as shown on it: due time, state, when met or breached."""
    warn = timedelta(minutes=ticket.sla_policy.warn_before_minutes if ticket.sla_policy else 0)
    # A paused clock cannot breach meanwhile: judge it as of the moment it was paused.
    at = ticket.sla_paused_at or now
    out = {}
    for name, due, done, breached in (
        (
            "first_response",
            ticket.first_response_due_at,
            ticket.first_responded_at,
            ticket.first_response_breached_at,
        ),
        ("resolution", ticket.resolution_due_at, ticket.resolved_at, ticket.resolution_breached_at),
    ):
        state = _clock_state(due, done, now=at, warn=warn)
        if ticket.sla_paused_at and state in (SLAState.ON_TRACK, SLAState.WARNING):
            state = SLAState.PAUSED
        out[name] = {
            "due_at": due,
            "done_at": done,
            "state": state.value,
            "breached_at": breached or (due if state == SLAState.BREACHED else None),
        }
    return out


def sla_state(ticket: Ticket, *, now: datetime) -> SLAState:
    """The ticket's overall SLA state: the worse of its two clocks."""
    order = [
        SLAState.BREACHED,
        SLAState.WARNING,
        SLAState.PAUSED,
        SLAState.ON_TRACK,
        SLAState.MET,
        SLAState.NONE,
    ]
    states = {SLAState(c["state"]) for c in clocks(ticket, now=now).values()}
    return next(s for s in order if s in states)
