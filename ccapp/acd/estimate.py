"""Estimated waiting time of a queued caller, from the live state.

With ``n`` agents working the queue and exponential handle times of mean ``h``, departures from the
busy agents form a Poisson stream of rate ``n / h``; the caller at position ``k`` (1 = next) starts
being served after ``k`` departures, so the expected wait is ``k * h / n``. ``h`` is a moving average
(EWMA) of talk + wrap-up over the queue's recent calls. Agents shared with other queues are counted
fully, which makes the estimate optimistic when they are busy elsewhere. Counting an agent of k queues
as 1/k in each was tried and overshoots (see docs/acd.md), so the plain count stays.
"""

from __future__ import annotations

import math
from typing import Any

from ccapp.acd.routing import queue_order


def estimated_wait(state: Any, queue_id: str, position: int) -> float:
    """Expected seconds of waiting at ``position`` (1 = next); ``inf`` if nobody serves the queue."""
    serving: int = state.serving.get(queue_id, 0)
    if serving <= 0:
        return math.inf
    if any(state.ready.get(queue_id, {}).values()) and position <= 1:
        return 0.0
    return position * state.handle_ewma[queue_id] / serving


def queue_waits(state: Any, queue_id: str, *, now: float) -> list[tuple[str, int, float]]:
    """``(call id, position, estimated wait)`` for every waiting call of a queue, next first."""
    calls = queue_order(state, queue_id, now)
    return [(c.call_id, i, estimated_wait(state, queue_id, i)) for i, c in enumerate(calls, start=1)]
