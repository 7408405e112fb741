"""The one seam for email to customers and staff: templates per language, sent after commit.

A template is a text file per language, `<name>.<lang>.txt` (lang `zh-hans` or `en`), whose first
line is "Subject: ...". Emails leave after the transaction commits, so a rolled-back change never
notifies anyone; a mail server outage is logged and never undoes the committed change.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import select_template
from django.utils import translation

log = logging.getLogger(__name__)

LANGUAGES = {"zh": "zh-hans", "zh-hans": "zh-hans", "en": "en"}


def email_language(code: str | None) -> str:
    """The template language for a customer's or ticket's language code (the site's by default)."""
    return LANGUAGES.get((code or "").lower(), LANGUAGES.get(settings.LANGUAGE_CODE.lower(), "zh-hans"))


def site_url() -> str:
    """Where links in emails point (settings.SITE_URL, no trailing slash)."""
    return getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")


def render(name: str, lang: str, context: dict) -> tuple[str, str]:
    """Subject and body of the template `name` (a path without `.<lang>.txt`); English if missing."""
    lang = email_language(lang)
    template = select_template([f"{name}.{lang}.txt", f"{name}.en.txt"])
    with translation.override(lang):
        text = template.render(context)
    first, _, body = text.lstrip().partition("\n")
    return first.removeprefix("Subject:").strip(), body.strip() + "\n"


def send_email(name: str, to: list[str], lang: str, context: dict) -> None:
    """Render the template and send it to these addresses once the current transaction commits."""
    to = sorted({address for address in to if address})
    if not to:
        return
    subject, body = render(name, lang, context)

    def send() -> None:
        try:
            EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to).send()
        except Exception:
            log.exception("email %s to %s failed", name, to)

    transaction.on_commit(send)
