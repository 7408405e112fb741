"""The one seam for email to customers and staff: templates per language, sent after commit.

A template is a text file per language, `<name>.<lang>.txt` (lang `zh-hans` or `en`), or one
`<name>.txt` whose text goes through gettext (the catalogue in locale/); its first line is
"Subject: ...". `send_email` sends after the transaction commits, so a rolled-back change never
notifies anyone, and a mail server outage is logged and never undoes the committed change.
`send_email_now` is for a task that retries: it sends at once and lets the outage raise (OSError).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import select_template
from django.utils import translation

log = logging.getLogger(__name__)

LANGUAGES = {"zh": "zh-hans", "zh-hans": "zh-hans", "en": "en"}


@dataclass(frozen=True)
class Attachment:
    """A file carried by an email."""

    filename: str
    content: bytes
    mimetype: str


def email_language(code: str | None) -> str:
    """The template language for a customer's or ticket's language code (the site's by default)."""
    return LANGUAGES.get((code or "").lower(), LANGUAGES.get(settings.LANGUAGE_CODE.lower(), "zh-hans"))


def site_url() -> str:
    """Where links in emails point (settings.SITE_URL, no trailing slash)."""
    return getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")


def render(name: str, lang: str, context: dict) -> tuple[str, str]:
    """Subject and body of the template `name` (a path without `.<lang>.txt`); English if missing."""
    lang = email_language(lang)
    template = select_template([f"{name}.{lang}.txt", f"{name}.txt", f"{name}.en.txt"])
    with translation.override(lang):
        text = template.render(context)
    first, _, body = text.lstrip().partition("\n")
    return first.removeprefix("Subject:").strip(), body.strip() + "\n"


def _message(
    name: str, to: list[str], lang: str, context: dict, attachments: Sequence[Attachment]
) -> EmailMessage | None:
    to = sorted({address for address in to if address})
    if not to:
        return None
    subject, body = render(name, lang, context)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def send_email(
    name: str, to: list[str], lang: str, context: dict, *, attachments: Sequence[Attachment] = ()
) -> None:
    """Render the template and send it to these addresses once the current transaction commits."""
    message = _message(name, to, lang, context, attachments)
    if message is None:
        return

    def send() -> None:
        try:
            message.send()
        except Exception:
            log.exception("email %s to %s failed", name, message.to)

    transaction.on_commit(send)


def send_email_now(
    name: str, to: list[str], lang: str, context: dict, *, attachments: Sequence[Attachment] = ()
) -> bool:
    """Render and send at once (True if anyone was addressed); a mail server outage raises OSError.

    For a task that retries on OSError and records the sending in the same transaction, so an
    outage leaves nothing recorded and the retry sends again.
    """
    message = _message(name, to, lang, context, attachments)
    if message is None:
        return False
    message.send()
    return True
