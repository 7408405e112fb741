"""Forecasting on synthetic history with a known shape, and staffing from a forecast."""

from __future__ import annotations

import pytest

from ccapp.wfm import forecast, staffing, synthetic


@pytest.fixture(scope="module")
def history() -> list[float]:
    return synthetic.arrivals(weeks=8, calls_per_day=2000, trend_per_week=0.03, seed=11)


def test_interval_counts_bins_and_ignores_outside() -> None:
    counts = forecast.interval_counts(
        [0, 10, 899, 900, -5, 7 * 86400 + 1], start=0, interval_minutes=15, weeks=1
    )
    assert len(counts) == 672
    assert counts[:2] == [3, 1]
    assert sum(counts) == 4


def test_a_flat_history_forecasts_itself() -> None:
    week = [float(i % 7) for i in range(168)]
    model = forecast.fit(week * 4, interval_minutes=60)
    assert model.predict(1) == pytest.approx(week)
    assert model.trend == pytest.approx(0.0)


def test_trend_is_followed() -> None:
    weeks = [[10.0 * (1 + 0.1 * w)] * 168 for w in range(6)]
    model = forecast.fit([x for week in weeks for x in week], interval_minutes=60)
    # Next week is 1.6 times the first one; smoothing lags a little.
    assert sum(model.predict(1)) == pytest.approx(1680 * 1.6, rel=0.03)


@pytest.mark.parametrize("interval", [15, 30, 60])
def test_error_on_held_out_weeks_is_near_the_noise_floor(history: list[float], interval: int) -> None:
    counts = forecast.interval_counts(history, start=0, interval_minutes=interval, weeks=8)
    result = forecast.backtest(counts, interval_minutes=interval, test_weeks=2)
    truth = synthetic.expected_counts(
        weeks=8, interval_minutes=interval, calls_per_day=2000, trend_per_week=0.03
    )
    held_out = len(counts) // 4
    floor = forecast.wape(counts[-held_out:], truth[-held_out:])  # Poisson noise no forecast can remove
    assert result.wape < 1.3 * floor
    naive = forecast.wape(counts[-len(counts) // 4 :], counts[-len(counts) // 2 : -len(counts) // 4])
    assert result.wape < naive  # better than "same as last week"


def test_staffing_follows_the_forecast() -> None:
    plan = staffing.staffing_plan(
        [0, 20, 100, 400], interval_minutes=30, aht_seconds=180, sl_target=0.8, sl_seconds=20, shrinkage=0.25
    )
    assert plan[0].agents == 0 and plan[2].agents == 14  # the classic 100 calls / 30 min needs 14
    assert all(p.scheduled >= p.agents for p in plan)
    assert plan[2].service_level >= 0.8
    assert [p.agents for p in plan] == sorted(p.agents for p in plan)
