"""The tickets app's clock: the one seam tests freeze (patch `tickets.clock.now`)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current aware time."""
    return timezone.now()
