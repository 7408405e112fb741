"""Comments (public replies and internal notes), attachments with limits, and @mentions."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ccapp.errors import Conflict, DomainError
from tickets import clock, notify, workflow
from tickets.models import Attachment, Comment, EventKind
from tickets.services.core import apply_transition, lock_ticket, log_event, save_ticket
from tickets.services.timeline import record_timeline

MENTION = re.compile(r"(?<![\w.])@([\w.+-]+)")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_FILES = 10
DEFAULT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".wav": "audio/x-wav",
    ".mp3": "audio/mpeg",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_attachments(files: Iterable[UploadedFile]) -> list[UploadedFile]:
    """Refuse too many, too large or forbidden files (judged by extension, not by the client's claim)."""
    files = list(files)
    limit = int(getattr(settings, "TICKETS_ATTACHMENT_MAX_FILES", DEFAULT_MAX_FILES))
    max_bytes = int(getattr(settings, "TICKETS_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))
    allowed = getattr(settings, "TICKETS_ATTACHMENT_TYPES", DEFAULT_TYPES)
    if len(files) > limit:
        raise DomainError(
            _("At most %(n)s attachments per comment.") % {"n": limit},
            field="files",
            error_id="too_many_files",
        )
    for f in files:
        if f.size > max_bytes:
            raise DomainError(
                _("%(name)s is larger than %(mb)s MB.")
                % {"name": f.name, "mb": max_bytes // (1024 * 1024) or 1},
                field="files",
                error_id="attachment_too_large",
            )
        if PurePath(f.name).suffix.lower() not in allowed:
            raise DomainError(
                _("%(name)s: this type of file is not allowed.") % {"name": f.name},
                field="files",
                error_id="attachment_type_forbidden",
            )
    return files


def mentioned_users(body: str) -> list[AbstractBaseUser]:
    """Active colleagues @mentioned by username who may see tickets."""
    names = {name.rstrip(".") for name in MENTION.findall(body)}  # "@li.na." ends a sentence
    if not names:
        return []
    perm = Q(user_permissions__codename="view_ticket") | Q(groups__permissions__codename="view_ticket")
    users = get_user_model().objects.filter(Q(is_superuser=True) | perm, username__in=names, is_active=True)
    return list(users.distinct().order_by("pk"))


@transaction.atomic
def add_comment(
    ticket_id: int,
    *,
    body: str,
    public: bool,
    author: AbstractBaseUser | None,
    files: Iterable[UploadedFile] = (),
    from_customer: bool = False,
) -> Comment:
    """Add a reply or note: public replies go to the customer and count as the first response."""
    if not body.strip():
        raise DomainError(_("The comment is empty."), field="body", error_id="comment_empty")
    files = check_attachments(files)
    ticket = lock_ticket(ticket_id)
    if ticket.status == workflow.CLOSED:
        raise Conflict(_("A closed ticket takes no comments; reopen it first."), error_id="ticket_closed")
    now = clock.now()
    comment = Comment.objects.create(
        ticket=ticket,
        author=author,
        body=body,
        public=public or from_customer,
        from_customer=from_customer,
        created_at=now,
    )
    for f in files:
        content_type = DEFAULT_TYPES.get(PurePath(f.name).suffix.lower()) or mimetypes.guess_type(f.name)[0]
        Attachment.objects.create(
            ticket=ticket,
            comment=comment,
            file=f,
            name=PurePath(f.name).name[:255],
            size=f.size,
            content_type=content_type or "application/octet-stream",
            uploaded_by=author,
        )
    mentions = [u for u in mentioned_users(body) if u != author]
    if mentions:
        comment.mentions.add(*mentions)
        ticket.watchers.add(*mentions)
        notify.mentioned(comment, mentions)
    changed = False
    if public and not from_customer and ticket.first_responded_at is None:
        ticket.first_responded_at = now
        changed = True
    if from_customer and ticket.status == workflow.PENDING_CUSTOMER:
        # The customer answered: the ball is back with us and the clocks run again.
        apply_transition(ticket, workflow.OPEN, actor=None, reason="customer replied")
    elif changed:
        save_ticket(ticket, actor=author, reason="first response")
    log_event(ticket, EventKind.COMMENTED, actor=author, comment=comment.pk, public=comment.public)
    if public and not from_customer:
        notify.public_reply(comment)
    if comment.public:
        record_timeline(ticket, kind="comment", summary=body[:120], obj=comment, actor=author)
    return comment
