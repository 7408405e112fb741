"""Business-time arithmetic: nights, lunch breaks, weekends, holidays, 调休 and daylight saving time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccapp.hours import AlwaysOpen, Calendar, NeverOpen

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")

# Mon-Fri 09:00-12:00 and 13:00-18:00; National Day 1-2 Oct closed; Saturday 10 Oct worked (调休).
SHANGHAI = Calendar.build(
    tz="Asia/Shanghai",
    ranges=[(d, time(9), time(12)) for d in range(5)] + [(d, time(13), time(18)) for d in range(5)],
    holidays=[date(2026, 10, 1), date(2026, 10, 2)],
    working_days=[date(2026, 10, 10)],
)
NEW_YORK = Calendar.build(
    tz="America/New_York",
    ranges=[(d, time(9), time(17)) for d in range(5)] + [(6, time(0), time(12))],
)


def sh(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


H = 3600


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        pytest.param(sh(5, 10), H, sh(5, 11), id="within-a-morning"),
        pytest.param(sh(5, 11, 30), H, sh(5, 13, 30), id="over-lunch"),
        pytest.param(sh(5, 17, 30), H, sh(6, 9, 30), id="over-a-night"),
        pytest.param(sh(5, 9), 3 * H, sh(5, 12), id="ends-exactly-at-closing"),
        pytest.param(sh(5, 12, 30), 60, sh(5, 13, 1), id="starts-at-lunch"),
        pytest.param(sh(4, 23), 30 * 60, sh(5, 9, 30), id="starts-on-sunday-night"),
        pytest.param(sh(16, 17), 2 * H, sh(19, 10), id="over-a-weekend"),
        pytest.param(sh(30, 17, month=9), 2 * H, sh(5, 10), id="over-holidays-and-weekend"),
        pytest.param(sh(9, 17), 2 * H, sh(10, 10), id="into-a-worked-saturday"),
        pytest.param(sh(3, 12), 0, sh(3, 12), id="zero-while-closed"),
        pytest.param(sh(5, 9), 8 * H * 6, sh(10, 18), id="a-full-week-incl-worked-saturday"),
        pytest.param(ny(3, 6, 16), 3 * H, ny(3, 8, 3), id="ny-into-spring-forward-sunday"),
        pytest.param(ny(3, 8, 1, 30), H, ny(3, 8, 3, 30), id="ny-across-the-missing-hour"),
        pytest.param(ny(3, 8, 11), 2 * H, ny(3, 9, 10), id="ny-over-a-night-after-the-change"),
        pytest.param(ny(10, 30, 16), 2 * H, ny(11, 1, 1), id="ny-into-fall-back-sunday"),
    ],
)
def test_add_business_seconds(start: datetime, seconds: float, expected: datetime) -> None:
    calendar = NEW_YORK if start.tzinfo is NY else SHANGHAI
    # Compare in UTC: instants in a repeated (fall-back) hour never compare equal across zones (PEP 495).
    assert calendar.add_business_seconds(start, seconds).astimezone(UTC) == expected.astimezone(UTC)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(sh(5, 10), sh(5, 11), H, id="within-a-morning"),
        pytest.param(sh(5, 8), sh(5, 20), 8 * H, id="a-whole-day"),
        pytest.param(sh(16, 17), sh(19, 10), 2 * H, id="over-a-weekend"),
        pytest.param(sh(30, 17, month=9), sh(5, 10), 2 * H, id="over-holidays"),
        pytest.param(sh(10, 0), sh(11, 0), 8 * H, id="worked-saturday"),
        pytest.param(sh(5, 11), sh(5, 10), -H, id="reversed"),
        pytest.param(ny(3, 8, 0), ny(3, 8, 12), 11 * H, id="ny-spring-forward-sunday-is-short"),
        pytest.param(ny(11, 1, 0), ny(11, 1, 12), 13 * H, id="ny-fall-back-sunday-is-long"),
    ],
)
def test_business_seconds_between(a: datetime, b: datetime, expected: float) -> None:
    calendar = NEW_YORK if a.tzinfo is NY else SHANGHAI
    assert calendar.business_seconds_between(a, b) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(5, 9), True),
        (sh(5, 8, 59), False),
        (sh(5, 12), False),
        (sh(5, 17, 59), True),
        (sh(5, 18), False),
        (sh(1, 10), False),  # holiday
        (sh(3, 10), False),  # Saturday
        (sh(10, 10), True),  # worked Saturday
        (datetime(2026, 10, 5, 1, 30, tzinfo=UTC), True),  # 09:30 in Shanghai
    ],
)
def test_is_open(at: datetime, expected: bool) -> None:
    assert SHANGHAI.is_open(at) is expected


def test_it_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        SHANGHAI.is_open(datetime(2026, 10, 5, 10))


def test_it_rejects_inverted_ranges() -> None:
    with pytest.raises(ValueError):
        Calendar.build(tz="Asia/Shanghai", ranges=[(0, time(18), time(9))])


def test_a_calendar_without_hours_is_never_open() -> None:
    with pytest.raises(NeverOpen):
        Calendar.build(tz="Asia/Shanghai", ranges=[]).add_business_seconds(sh(5, 10), 60)


def test_overlapping_ranges_are_merged() -> None:
    cal = Calendar.build(tz="UTC", ranges=[(0, time(9), time(12)), (0, time(11), time(13))])
    monday = datetime(2026, 10, 5, tzinfo=UTC)
    assert cal.business_seconds_between(monday, monday + timedelta(days=1)) == 4 * H


def test_always_open_is_wall_clock() -> None:
    start = datetime(2026, 10, 3, 23, tzinfo=UTC)
    assert AlwaysOpen().add_business_seconds(start, 2 * H) == start + timedelta(hours=2)
    assert AlwaysOpen().business_seconds_between(start, start + timedelta(hours=5)) == 5 * H


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)
    ),
    seconds=st.integers(min_value=0, max_value=40 * H),
    calendar=st.sampled_from([SHANGHAI, NEW_YORK]),
)
def test_adding_then_measuring_gives_back_the_seconds(
    start: datetime, seconds: int, calendar: Calendar
) -> None:
    end = calendar.add_business_seconds(start, seconds)
    assert end >= start
    assert calendar.business_seconds_between(start, end) == seconds


def test_the_arithmetic_stays_pure() -> None:
    import ast
    from pathlib import Path

    import ccapp.hours

    tree = ast.parse(Path(ccapp.hours.__file__).read_text())
    runtime_imports = {
        alias.name.split(".")[0]
        for node in tree.body  # module level only: the model type is imported under TYPE_CHECKING
        for alias in getattr(node, "names", [])
        if isinstance(node, ast.Import)
    } | {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert runtime_imports <= {"__future__", "collections", "dataclasses", "datetime", "typing", "zoneinfo"}
