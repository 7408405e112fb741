"""An email backend for tests whose mail server is down for the first few messages."""

from __future__ import annotations

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

OUTAGES = {"left": 0}  # how many more sends fail


class FlakyBackend(BaseEmailBackend):
    """Refuses the connection while `OUTAGES["left"]` is positive, then keeps mail in the outbox."""

    def send_messages(self, email_messages) -> int:
        if OUTAGES["left"] > 0:
            OUTAGES["left"] -= 1
            raise ConnectionRefusedError("the mail server is down")
        mail.outbox.extend(email_messages)
        return len(email_messages)
