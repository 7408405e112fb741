"""Estimated waiting time of a queued caller, from the live state.

With ``n`` agents working the queue and exponential handle times of mean ``h``, departures from the
busy agents form a Poisson stream of rate ``n / h``; the caller at position ``k`` (1 = next) starts
being served after ``k`` departures, so the expected wait is ``k * h / n``. ``h`` is a moving average
(EWMA) of talk + wrap-up over the queue's recent calls. An agent who works k queues counts as 1/k of
an agent in each, a first-order correction for the time they spend on the other queues' calls.
"""

from __future__ import annotations

import math
from typing import Any

from ccapp.acd.routing import queue_order


def estimated_wait(state: Any, queue_id: str, position: int) -> float:
    """Expected seconds of waiting at ``position`` (1 = next); ``inf`` if nobody serves the queue."""
    serving: float = state.serving.get(queue_id, 0.0)
    if serving < 1e-6:
        return math.inf
    if any(state.ready.get(queue_id, {}).values()) and position <= 1:
        return 0.0
    return position * state.handle_ewma[queue_id] / serving


def queue_waits(state: Any, queue_id: str, *, now: float) -> list[tuple[str, int, float]]:
    """``(call id, position, estimated wait)`` for every waiting call of a queue, next first."""
    calls = queue_order(state, queue_id, now)
    return [(c.call_id, i, estimated_wait(state, queue_id, i)) for i, c in enumerate(calls, start=1)]
