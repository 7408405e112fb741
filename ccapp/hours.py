"""Business-time arithmetic over a weekly calendar with holidays and worked weekend days (调休).

Pure: no Django models, no clock. Times are aware datetimes; the calendar's zone decides what
"09:00 on Monday" means, so zones with daylight saving time get days of 23 or 25 hours right.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from ccapp.models import BusinessHours

# A calendar without a single open hour in this many days is treated as never open; it bounds
# every search so a misconfigured calendar cannot loop forever.
MAX_SEARCH_DAYS = 3 * 366

Range = tuple[time, time]


class NeverOpen(ValueError):
    """The calendar has no open time within the search horizon."""


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("Business-time arithmetic needs aware datetimes.")
    return at


@dataclass(frozen=True)
class Calendar:
    """Weekly opening ranges (weekday 0 = Monday), closed dates, weekend dates worked with Monday hours."""

    tz: ZoneInfo
    weekly: Mapping[int, tuple[Range, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls,
        *,
        tz: str,
        ranges: Iterable[tuple[int, time, time]],
        holidays: Iterable[date] = (),
        working_days: Iterable[date] = (),
    ) -> Calendar:
        """Build a calendar from (weekday, opens, closes) triples, merging overlapping ranges."""
        weekly: dict[int, list[Range]] = {d: [] for d in range(7)}
        for weekday, opens, closes in ranges:
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0..6, not {weekday}")
            if opens >= closes:
                raise ValueError(f"opens {opens} must be before closes {closes}")
            weekly[weekday].append((opens, closes))
        return cls(
            tz=ZoneInfo(tz),
            weekly={d: _merge(r) for d, r in weekly.items()},
            holidays=frozenset(holidays),
            working_days=frozenset(working_days),
        )

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        """The opening ranges of one local date: a worked weekend day has Monday's hours, a holiday none."""
        if day in self.working_days:
            return self.weekly.get(0, ())
        if day in self.holidays:
            return ()
        return self.weekly.get(day.weekday(), ())

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of one local date as UTC instants."""
        out = []
        for opens, closes in self.ranges_on(day):
            start = datetime.combine(day, opens, tzinfo=self.tz).astimezone(UTC)
            end = datetime.combine(day, closes, tzinfo=self.tz).astimezone(UTC)
            # A range that starts inside a spring-forward gap can map past its end; skip it.
            if start < end:
                out.append((start, end))
        return out

    def _intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        for offset in range(MAX_SEARCH_DAYS):
            yield from self.intervals_on(day + timedelta(days=offset))

    def is_open(self, at: datetime) -> bool:
        """Whether the calendar is open at this instant (ranges are [opens, closes))."""
        at = _aware(at).astimezone(UTC)
        day = at.astimezone(self.tz).date()
        return any(s <= at < e for d in (day - timedelta(days=1), day) for s, e in self.intervals_on(d))

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant at which `seconds` of open time have passed since `start`."""
        start = _aware(start).astimezone(UTC)
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if seconds == 0:
            return start
        remaining = timedelta(seconds=seconds)
        for s, e in self._intervals_from(start):
            if e <= start:
                continue
            s = max(s, start)
            if e - s >= remaining:
                return s + remaining
            remaining -= e - s
        raise NeverOpen("The calendar has no open hours in the search horizon.")

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Open seconds in [a, b); negative if b is before a."""
        a, b = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
        if b < a:
            return -self.business_seconds_between(b, a)
        total = timedelta()
        day = a.astimezone(self.tz).date() - timedelta(days=1)
        last = b.astimezone(self.tz).date()
        while day <= last:
            for s, e in self.intervals_on(day):
                lo, hi = max(s, a), min(e, b)
                if lo < hi:
                    total += hi - lo
            day += timedelta(days=1)
        return total.total_seconds()


class AlwaysOpen:
    """The 24x7 calendar: business time is wall-clock time."""

    def is_open(self, at: datetime) -> bool:
        _aware(at)
        return True

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return _aware(start) + timedelta(seconds=seconds)

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        return (_aware(b) - _aware(a)).total_seconds()


def _merge(ranges: list[Range]) -> tuple[Range, ...]:
    merged: list[Range] = []
    for opens, closes in sorted(ranges):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


def calendar_for(business_hours: BusinessHours | None) -> Calendar | AlwaysOpen:
    """Adapter: the calendar of a `BusinessHours` row (None means open around the clock)."""
    if business_hours is None:
        return AlwaysOpen()
    holidays = list(business_hours.holidays.all())
    return Calendar.build(
        tz=business_hours.timezone,
        ranges=[(r.weekday, r.opens, r.closes) for r in business_hours.ranges.all()],
        holidays=[h.date for h in holidays if not h.working_day],
        working_days=[h.date for h in holidays if h.working_day],
    )
