"""Ticket notifications: emails to customers and staff, through the core's email seam (ccapp.notify).

Templates live in templates/tickets/email/<name>.<lang>.txt; their first line is "Subject: ...".
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.urls import reverse

from ccapp import notify
from tickets.models import Comment, Ticket


def base_url() -> str:
    """Where links in emails point (settings.TICKETS_BASE_URL, no trailing slash)."""
    return getattr(settings, "TICKETS_BASE_URL", "http://localhost:8000").rstrip("/")


def render(name: str, lang: str, context: dict) -> tuple[str, str]:
    """Subject and body of one ticket email template in one language (English if that one is missing)."""
    return notify.render(f"tickets/email/{name}", lang, context)


def _send(name: str, to: list[str], lang: str, context: dict) -> None:
    notify.send_email(f"tickets/email/{name}", to, lang, context)


def _context(ticket: Ticket, **extra) -> dict:
    return {
        "ticket": ticket,
        "name": ticket.customer.name if ticket.customer_id else ticket.requester_name,
        "url": base_url() + reverse("tickets:detail", args=[ticket.pk]),
        **extra,
    }


def _staff(users: Iterable[AbstractBaseUser], name: str, ticket: Ticket, **extra) -> None:
    for user in users:
        if user.is_active and user.email:
            _send(name, [user.email], settings.LANGUAGE_CODE, _context(ticket, user=user, **extra))


def supervisors(ticket: Ticket) -> list[AbstractBaseUser]:
    """Who hears about escalations: the policy's supervisor, else everyone allowed to supervise tickets."""
    if ticket.sla_policy and ticket.sla_policy.supervisor:
        return [ticket.sla_policy.supervisor]
    perm = Q(user_permissions__codename="supervise_ticket") | Q(
        groups__permissions__codename="supervise_ticket"
    )
    users = get_user_model().objects.filter(Q(is_superuser=True) | perm, is_active=True).distinct()
    return list(users.order_by("pk"))


def ticket_created(ticket: Ticket) -> None:
    """Tell the customer their request was received, with its number."""
    _send("created", [ticket.contact_email], ticket.language, _context(ticket))


def public_reply(comment: Comment) -> None:
    """Send a public comment to the customer."""
    ticket = comment.ticket
    _send("reply", [ticket.contact_email], ticket.language, _context(ticket, comment=comment))


def ticket_resolved(ticket: Ticket) -> None:
    """Tell the customer the ticket is resolved and ask for their satisfaction."""
    link = base_url() + reverse("tickets:satisfaction", args=[ticket.satisfaction_token])
    _send("resolved", [ticket.contact_email], ticket.language, _context(ticket, satisfaction_url=link))


def ticket_assigned(ticket: Ticket, user: AbstractBaseUser) -> None:
    """Tell an agent a ticket is now theirs."""
    _staff([user], "assigned", ticket)


def mentioned(comment: Comment, users: Iterable[AbstractBaseUser]) -> None:
    """Tell colleagues they were @mentioned in a comment."""
    _staff(users, "mentioned", comment.ticket, comment=comment)


def sla_warning(ticket: Ticket, clock: str, due) -> None:
    """Warn the assignee (or the supervisors when nobody is assigned) that a clock is about to breach."""
    users = [ticket.assignee] if ticket.assignee else supervisors(ticket)
    _staff(users, "sla_warning", ticket, clock=clock, due=due)


def escalated(ticket: Ticket, clock: str, due) -> None:
    """Tell the supervisors a ticket breached its SLA and was escalated."""
    _staff(supervisors(ticket), "escalated", ticket, clock=clock, due=due)
