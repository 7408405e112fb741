"""Call volume forecasting per 15/30/60-minute interval: weekly profile x smoothed level with trend.

Method: the history is cut into whole weeks. Weekly totals go through Holt's linear exponential
smoothing (level + trend); the shape of a week (each interval's share of the weekly total) is an
exponentially weighted average of past weeks' shapes. The forecast of an interval is
``(level + h * trend) * share``. This is Holt-Winters with the seasonal part made multiplicative on the
week's total, which behaves well with the many empty night intervals that break a plain
multiplicative Holt-Winters (division by a zero seasonal index).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WEEK_SECONDS = 7 * 24 * 3600


def slots_per_week(interval_minutes: int) -> int:
    """Intervals in one week."""
    if interval_minutes not in (15, 30, 60):
        raise ValueError("interval_minutes is 15, 30 or 60")
    return 7 * 24 * 60 // interval_minutes


def interval_counts(
    timestamps: Iterable[float], *, start: float, interval_minutes: int, weeks: int
) -> list[int]:
    """Arrivals per interval for ``weeks`` whole weeks from ``start`` (epoch seconds); others are ignored."""
    size = interval_minutes * 60
    counts = [0] * (weeks * slots_per_week(interval_minutes))
    for t in timestamps:
        i = int((t - start) // size)
        if 0 <= i < len(counts):
            counts[i] += 1
    return counts


@dataclass(frozen=True, slots=True)
class WeeklyModel:
    """A fitted model: level and trend of the weekly total, and the share of each interval."""

    interval_minutes: int
    level: float
    trend: float
    shares: tuple[float, ...]

    def predict(self, weeks_ahead: int = 1) -> list[float]:
        """Expected calls per interval for the week ``weeks_ahead`` after the last fitted week."""
        total = max(0.0, self.level + weeks_ahead * self.trend)
        return [total * s for s in self.shares]


def fit(
    counts: Sequence[float],
    *,
    interval_minutes: int,
    alpha: float = 0.4,
    beta: float = 0.2,
    gamma: float = 0.3,
) -> WeeklyModel:
    """Fit the weekly model to whole weeks of interval counts (oldest first)."""
    per_week = slots_per_week(interval_minutes)
    weeks = len(counts) // per_week
    if weeks < 1:
        raise ValueError("need at least one whole week of history")
    totals = [float(sum(counts[w * per_week : (w + 1) * per_week])) for w in range(weeks)]
    level, trend = totals[0], 0.0
    if weeks > 1:
        trend = (totals[-1] - totals[0]) / (weeks - 1)
        level = totals[0]
    shares = _shares(counts[:per_week], totals[0], per_week)
    for w in range(1, weeks):
        previous = level
        level = alpha * totals[w] + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
        week = _shares(counts[w * per_week : (w + 1) * per_week], totals[w], per_week)
        shares = [gamma * new + (1 - gamma) * old for new, old in zip(week, shares, strict=True)]
    norm = sum(shares) or 1.0
    return WeeklyModel(interval_minutes, level, trend, tuple(s / norm for s in shares))


def _shares(week: Sequence[float], total: float, per_week: int) -> list[float]:
    if total <= 0:
        return [1.0 / per_week] * per_week
    return [c / total for c in week]


def wape(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Weighted absolute percentage error: sum |error| / sum actual (robust to empty intervals)."""
    denominator = sum(actual)
    if denominator <= 0:
        return math.nan
    return sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / denominator


def mape(actual: Sequence[float], predicted: Sequence[float], *, min_actual: float = 10.0) -> float:
    """Mean absolute percentage error over intervals with ``min_actual`` calls or more (explodes near 0)."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a >= min_actual]
    if not pairs:
        return math.nan
    return sum(abs(a - p) / a for a, p in pairs) / len(pairs)


@dataclass(frozen=True, slots=True)
class Backtest:
    interval_minutes: int
    train_weeks: int
    test_weeks: int
    wape: float
    mape: float


def backtest(counts: Sequence[float], *, interval_minutes: int, test_weeks: int) -> Backtest:
    """Rolling-origin test: forecast each of the last ``test_weeks`` weeks from the weeks before it."""
    per_week = slots_per_week(interval_minutes)
    weeks = len(counts) // per_week
    if weeks <= test_weeks:
        raise ValueError("need more history than held-out weeks")
    actual: list[float] = []
    predicted: list[float] = []
    for w in range(weeks - test_weeks, weeks):
        model = fit(counts[: w * per_week], interval_minutes=interval_minutes)
        predicted.extend(model.predict(1))
        actual.extend(counts[w * per_week : (w + 1) * per_week])
    return Backtest(
        interval_minutes, weeks - test_weeks, test_weeks, wape(actual, predicted), mape(actual, predicted)
    )
