"""Tickets and other things: merge, links, watchers, tickets from calls and voicemails, satisfaction."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from ccapp.errors import Conflict, DomainError, NotFound
from ccapp.models import Call, Voicemail
from tickets import clock, workflow
from tickets.models import Channel, Comment, EventKind, LinkKind, Ticket, TicketLink
from tickets.services.core import apply_transition, create_ticket, lock_ticket, log_event, save_ticket
from tickets.services.timeline import record_timeline

RELATED = ("calls", "recordings", "voicemails", "callbacks", "watchers")


@transaction.atomic
def merge_tickets(
    source_id: int, *, into_id: int, actor: AbstractBaseUser | None, version: int | None = None
) -> Ticket:
    """Merge a duplicate into another ticket: comments, links and watchers move, the duplicate closes."""
    if source_id == into_id:
        raise DomainError(
            _("A ticket cannot be merged into itself."), field="into", error_id="merge_into_self"
        )
    # Lock both in id order so two opposite merges cannot deadlock.
    first, second = sorted([source_id, into_id])
    locked = {first: lock_ticket(first), second: lock_ticket(second)}
    source, target = locked[source_id], locked[into_id]
    if version is not None and source.version != version:
        lock_ticket(source_id, version=version)
    if source.status == workflow.CLOSED or target.status == workflow.CLOSED:
        raise Conflict(_("Closed tickets cannot be merged."), error_id="ticket_closed")
    Comment.objects.filter(ticket=source).update(ticket=target)
    source.attachments.update(ticket=target)
    for name in RELATED:
        getattr(target, name).add(*getattr(source, name).all())
    target.tags = sorted(set(target.tags) | set(source.tags))
    save_ticket(target, actor=actor, reason=f"merged {source.number}")
    note = _("Merged %(source)s into %(target)s.") % {"source": source.number, "target": target.number}
    now = clock.now()
    Comment.objects.create(ticket=target, author=actor, body=note, public=False, created_at=now)
    TicketLink.objects.get_or_create(source=source, target=target, defaults={"kind": LinkKind.DUPLICATES})
    source.merged_into = target
    apply_transition(source, workflow.CLOSED, actor=actor, reason=note)
    log_event(target, EventKind.MERGED, actor=actor, merged=source.number)
    log_event(source, EventKind.MERGED, actor=actor, into=target.number)
    return target


@transaction.atomic
def link_tickets(source_id: int, target_id: int, *, kind: str = LinkKind.RELATES) -> TicketLink:
    """Link two tickets (relates, duplicates, blocks)."""
    if source_id == target_id:
        raise DomainError(_("A ticket cannot be linked to itself."), field="target", error_id="link_to_self")
    if kind not in LinkKind.values:
        raise DomainError(_("Unknown link kind."), field="kind", error_id="invalid_link_kind")
    source, target = lock_ticket(source_id), Ticket.objects.filter(pk=target_id).first()
    if target is None:
        raise NotFound(_("Ticket %(id)s does not exist.") % {"id": target_id}, field="target")
    link, _created = TicketLink.objects.update_or_create(
        source=source, target=target, defaults={"kind": kind}
    )
    return link


def set_watching(ticket_id: int, *, user: AbstractBaseUser, watching: bool) -> None:
    """Start or stop watching a ticket."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("Ticket %(id)s does not exist.") % {"id": ticket_id})
    (ticket.watchers.add if watching else ticket.watchers.remove)(user)


def create_ticket_from_call(call_id: int, *, actor: AbstractBaseUser | None = None, **fields) -> Ticket:
    """One click from the wrap-up: a phone ticket with the caller's customer, the call and its recordings."""
    call = Call.objects.select_related("customer").filter(pk=call_id).first()
    if call is None:
        raise NotFound(_("Call %(id)s does not exist.") % {"id": call_id}, error_id="call_not_found")
    fields.setdefault(
        "subject", _("Call from %(caller)s") % {"caller": call.caller or call.caller_raw or "?"}
    )
    fields.setdefault("description", call.notes)
    fields.setdefault(
        "assignee", actor if actor is not None and actor.has_perm("tickets.change_ticket") else None
    )
    if call.queue_id:
        fields.setdefault("team", call.queue)
    return create_ticket(
        channel=Channel.PHONE,
        customer=call.customer,
        requester_phone=call.caller,
        calls=[call],
        recordings=list(call.recordings.all()),
        created_by=actor,
        **fields,
    )


@transaction.atomic
def create_ticket_from_voicemail(voicemail_id: int, *, actor: AbstractBaseUser | None = None) -> Ticket:
    """The ticket of a voicemail (created once: calling again returns the same ticket)."""
    voicemail = (
        Voicemail.objects.select_for_update(of=("self",))
        .select_related("customer", "call")
        .filter(pk=voicemail_id)
        .first()
    )
    if voicemail is None:
        raise NotFound(
            _("Voicemail %(id)s does not exist.") % {"id": voicemail_id}, error_id="voicemail_not_found"
        )
    existing = voicemail.tickets.order_by("pk").first()
    if existing is not None:
        return existing
    call = voicemail.call
    return create_ticket(
        subject=_("Voicemail from %(caller)s") % {"caller": voicemail.caller or "?"},
        description=_("Voicemail of %(seconds)s s.") % {"seconds": round(voicemail.duration_seconds)},
        channel=Channel.VOICEMAIL,
        customer=voicemail.customer,
        requester_phone=voicemail.caller,
        team=voicemail.queue,
        voicemails=[voicemail],
        calls=[call] if call else [],
        created_by=actor,
    )


@transaction.atomic
def record_satisfaction(token: str, *, rating: int, comment: str = "") -> Ticket:
    """Store the customer's answer to the satisfaction link on the ticket and their timeline (once)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(satisfaction_token=token)
        .first()
        if token
        else None
    )
    if ticket is None:
        raise NotFound(_("This satisfaction link is not valid."), error_id="satisfaction_link_invalid")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(_("Choose a rating from 1 to 5."), field="rating", error_id="invalid_rating")
    if ticket.satisfaction_at is not None:
        raise Conflict(
            _("Thank you, your answer was already recorded."), error_id="satisfaction_already_given"
        )
    ticket.satisfaction_rating, ticket.satisfaction_comment = rating, comment[:2000]
    ticket.satisfaction_at = clock.now()
    save_ticket(ticket, actor=None, reason="satisfaction")
    log_event(ticket, EventKind.SATISFACTION, rating=rating)
    record_timeline(
        ticket,
        kind="survey",
        summary=f"{ticket.number}: {rating}/5",
        obj=ticket,
        data={"rating": rating, "comment": comment[:500]},
    )
    return ticket
