"""Synthetic call history with a known shape: intraday curve x weekday factor x linear trend, Poisson noise.

Used to measure the forecaster on held-out weeks and by the tests; seeded, no clock.
"""

from __future__ import annotations

import math
import random

from ccapp.wfm.forecast import WEEK_SECONDS

# Monday first. Weekends are quiet, Monday busiest.
WEEKDAY_FACTORS = (1.25, 1.1, 1.0, 1.0, 0.95, 0.55, 0.35)


def intraday_rate(hour: float) -> float:
    """Relative call rate at a time of day: closed at night, peaks at 10:30 and 15:00."""
    if hour < 7 or hour >= 22:
        return 0.02
    return math.exp(-(((hour - 10.5) / 1.6) ** 2)) + 0.8 * math.exp(-(((hour - 15.0) / 2.0) ** 2)) + 0.15


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above 500)."""
    if mean <= 0:
        return 0
    if mean > 500:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def arrivals(
    *, weeks: int, calls_per_day: float, trend_per_week: float = 0.0, start: float = 0.0, seed: int = 1
) -> list[float]:
    """Arrival timestamps (epoch seconds, sorted) for ``weeks`` weeks starting on a Monday at ``start``."""
    rng = random.Random(seed)
    norm = sum(intraday_rate(m / 60.0) for m in range(0, 1440))
    out: list[float] = []
    for minute in range(weeks * 7 * 1440):
        offset = minute * 60.0
        day = (minute // 1440) % 7
        growth = 1.0 + trend_per_week * offset / WEEK_SECONDS
        mean = calls_per_day * WEEKDAY_FACTORS[day] * intraday_rate((minute % 1440) / 60.0) / norm * growth
        for _ in range(poisson(rng, mean)):
            out.append(start + offset + 60.0 * rng.random())
    out.sort()
    return out


def expected_counts(
    *, weeks: int, interval_minutes: int, calls_per_day: float, trend_per_week: float = 0.0
) -> list[float]:
    """The true mean of every interval count: what an oracle forecaster would say (the noise floor)."""
    norm = sum(intraday_rate(m / 60.0) for m in range(0, 1440))
    out: list[float] = []
    for first in range(0, weeks * 7 * 1440, interval_minutes):
        total = 0.0
        for minute in range(first, first + interval_minutes):
            growth = 1.0 + trend_per_week * minute * 60.0 / WEEK_SECONDS
            day = (minute // 1440) % 7
            shape = WEEKDAY_FACTORS[day] * intraday_rate((minute % 1440) / 60.0) / norm
            total += calls_per_day * shape * growth
        out.append(total)
    return out
