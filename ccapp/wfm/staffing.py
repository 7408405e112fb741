"""Staffing per interval: from forecast call counts and a service target to agents to schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ccapp.wfm import erlang


@dataclass(frozen=True, slots=True)
class IntervalStaffing:
    """Staff needed in one interval: on the phones (Erlang C) and scheduled (after shrinkage)."""

    index: int
    calls: float
    load: float
    agents: int
    scheduled: int
    service_level: float
    asa: float
    occupancy: float


def staffing_plan(
    forecast: Sequence[float],
    *,
    interval_minutes: int,
    aht_seconds: float,
    sl_target: float = 0.8,
    sl_seconds: float = 20.0,
    shrinkage: float = 0.3,
    max_occupancy: float | None = 0.9,
    minimum_agents: int = 0,
) -> list[IntervalStaffing]:
    """Agents per interval for forecast call counts, meeting the service level (and occupancy cap)."""
    plan = []
    for i, calls in enumerate(forecast):
        calls_per_hour = calls * 60.0 / interval_minutes
        agents = max(
            minimum_agents,
            erlang.agents_needed(
                calls_per_hour,
                aht_seconds,
                sl_target=sl_target,
                sl_seconds=sl_seconds,
                max_occupancy=max_occupancy,
            ),
        )
        figures = erlang.evaluate(agents, calls_per_hour, aht_seconds, sl_seconds) if agents else None
        plan.append(
            IntervalStaffing(
                index=i,
                calls=calls,
                load=erlang.offered_load(calls_per_hour, aht_seconds),
                agents=agents,
                scheduled=erlang.with_shrinkage(agents, shrinkage),
                service_level=figures.service_level if figures else 1.0,
                asa=figures.asa if figures else 0.0,
                occupancy=figures.occupancy if figures else 0.0,
            )
        )
    return plan
