"""Erlang B and C: queueing formulas for staffing (M/M/c), stable for thousands of agents.

Everything comes from the Erlang B recursion ``B(k) = a B(k-1) / (k + a B(k-1))``, which stays in
[0, 1] and never forms a factorial or a power of ``a``, so 5,000 agents are as safe as 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def offered_load(calls_per_hour: float, aht_seconds: float) -> float:
    """Traffic in Erlangs: arrival rate times mean handle time."""
    return calls_per_hour * aht_seconds / 3600.0


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of an M/M/c/c system with ``agents`` servers and ``load`` Erlangs."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load must not be negative")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability that a caller waits (M/M/c); 1.0 when the load reaches the number of agents."""
    if agents <= load:
        return 1.0
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1.0 - b))


def _c_from_b(agents: int, load: float, b: float) -> float:
    return 1.0 if agents <= load else agents * b / (agents - load * (1.0 - b))


def service_level(agents: int, load: float, aht_seconds: float, within_seconds: float) -> float:
    """Fraction of callers answered within ``within_seconds``."""
    return _sl(agents, load, aht_seconds, within_seconds, erlang_c(agents, load))


def _sl(agents: int, load: float, aht: float, t: float, pw: float) -> float:
    if agents <= load:
        return 0.0
    return max(0.0, 1.0 - pw * math.exp(-(agents - load) * t / aht))


def asa(agents: int, load: float, aht_seconds: float) -> float:
    """Average speed of answer in seconds (over all callers, those who did not wait count as 0)."""
    if agents <= load:
        return math.inf
    return erlang_c(agents, load) * aht_seconds / (agents - load)


def occupancy(agents: int, load: float) -> float:
    """Fraction of logged-in time agents spend handling calls."""
    return min(1.0, load / agents) if agents > 0 else 1.0


@dataclass(frozen=True, slots=True)
class ErlangCResult:
    agents: int
    load: float
    probability_of_waiting: float
    service_level: float
    asa: float
    occupancy: float


def evaluate(agents: int, calls_per_hour: float, aht_seconds: float, sl_seconds: float) -> ErlangCResult:
    """All Erlang C figures for one staffing level."""
    load = offered_load(calls_per_hour, aht_seconds)
    pw = erlang_c(agents, load)
    return ErlangCResult(
        agents=agents,
        load=load,
        probability_of_waiting=pw,
        service_level=_sl(agents, load, aht_seconds, sl_seconds, pw),
        asa=pw * aht_seconds / (agents - load) if agents > load else math.inf,
        occupancy=occupancy(agents, load),
    )


def agents_needed(
    calls_per_hour: float,
    aht_seconds: float,
    *,
    sl_target: float = 0.8,
    sl_seconds: float = 20.0,
    max_asa: float | None = None,
    max_occupancy: float | None = None,
) -> int:
    """Fewest agents on the phones that meet the service level (and ASA / occupancy caps if given)."""
    if not 0 < sl_target < 1:
        raise ValueError("sl_target is a fraction strictly between 0 and 1")
    load = offered_load(calls_per_hour, aht_seconds)
    if load <= 0:
        return 0
    # One pass of the B recursion: each step gives B(c) from B(c-1), so the search is O(answer).
    b, c = 1.0, 0
    while True:
        c += 1
        b = load * b / (c + load * b)
        if c <= load:
            continue
        pw = _c_from_b(c, load, b)
        ok = _sl(c, load, aht_seconds, sl_seconds, pw) >= sl_target
        if ok and max_asa is not None:
            ok = pw * aht_seconds / (c - load) <= max_asa
        if ok and max_occupancy is not None:
            ok = load / c <= max_occupancy
        if ok:
            return c


def with_shrinkage(agents_on_phones: float, shrinkage: float) -> int:
    """Agents to schedule so that ``agents_on_phones`` remain after breaks, training, absence (shrinkage)."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage is a fraction in [0, 1)")
    return math.ceil(agents_on_phones / (1.0 - shrinkage) - 1e-9)
