"""The tickets app's clock: the one seam tests freeze (patch `tickets.clock.now`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_travel: ContextVar[datetime | None] = ContextVar("tickets_clock_travel", default=None)


def now() -> datetime:
    """The current aware time (or the time travelled to, see `travel`)."""
    return _travel.get() or timezone.now()


@contextmanager
def travel(at: datetime) -> Iterator[None]:
    """Run the services as if it were `at` (demo data with a past; not for production paths)."""
    token = _travel.set(at)
    try:
        yield
    finally:
        _travel.reset(token)
