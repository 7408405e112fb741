"""The live screens' clock and the center's day: the one seam tests freeze (patch `ccapp.clock.now`).

"Today" on the desk's counters and the wallboard is the center's local day (settings.TIME_ZONE),
not the browser's and not UTC's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


def now() -> dt.datetime:
    """The current aware time."""
    return timezone.now()


@dataclass(frozen=True)
class Day:
    """One local day of the center: its date and the instants it starts and ends (next midnight)."""

    date: dt.date
    start: dt.datetime
    end: dt.datetime


def _midnight(date: dt.date) -> dt.datetime:
    # Built from the date, not by replacing the hour of a local time: on a day with a daylight-saving
    # change the offset at midnight is not the offset at the time of day.
    return dt.datetime.combine(date, dt.time(0), tzinfo=timezone.get_default_timezone())


def day_of(at: dt.datetime) -> Day:
    """The center's local day that `at` falls in."""
    date = timezone.localtime(at, timezone.get_default_timezone()).date()
    return Day(date=date, start=_midnight(date), end=_midnight(date + dt.timedelta(days=1)))


def today() -> Day:
    """The center's local day now."""
    return day_of(now())
