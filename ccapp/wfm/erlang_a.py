"""Erlang A (M/M/n+M): Erlang C plus callers who hang up after an exponential patience.

Computed exactly, not approximated: the number of callers in the system is a birth-death chain
(birth ``lam``, death ``min(k, n) mu + max(0, k - n) theta``) whose stationary law we sum in log space
until its tail is negligible. The service level follows a tagged caller who arrives behind ``m``
others: each of them leaves at rate ``n mu + j theta`` (served or gone), the caller's own patience
runs at rate ``theta``; that absorbing chain is solved by uniformization up to ``t`` seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Stop the state space where probabilities fall below e^-40 of the largest one.
_LOG_CUTOFF = 40.0


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    agents: int
    load: float
    probability_of_waiting: float
    probability_of_abandon: float
    # Fraction of all arrivals answered within the target (abandons count as missed).
    service_level: float
    # Mean time in queue over all arrivals (answered or abandoned), by Little's law.
    average_wait: float
    occupancy: float


def _stationary(n: int, lam: float, mu: float, theta: float) -> list[float]:
    logs = [0.0]
    k = 0
    peak = 0.0
    while True:
        k += 1
        death = min(k, n) * mu + max(0, k - n) * theta
        if death <= 0:
            raise ValueError("with zero patience rate and load >= agents the queue never settles")
        logs.append(logs[-1] + math.log(lam) - math.log(death))
        peak = max(peak, logs[-1])
        if k > n and logs[-1] < peak - _LOG_CUTOFF and logs[-1] < logs[-2]:
            break
    weights = [math.exp(x - peak) for x in logs]
    total = sum(weights)
    return [x / total for x in weights]


def _served_within(n: int, mu: float, theta: float, queued: list[float], t: float) -> float:
    """Probability mass of the waiting callers (``queued[m]``: m ahead) that is answered within t."""
    if t <= 0 or not queued:
        return 0.0
    rates = [n * mu + j * theta for j in range(len(queued))]  # leave rate of those ahead, j ahead
    big = max(rates) + theta
    p = list(queued)
    served = 0.0
    lt = big * t
    # Poisson(lt) weights in log space: e^-lt underflows for long windows with many agents.
    steps = int(lt + 12 * math.sqrt(lt) + 30)
    cumulative_served = 0.0
    for s in range(steps + 1):
        weight = math.exp(-lt + s * math.log(lt) - math.lgamma(s + 1)) if lt > 0 else float(s == 0)
        served += weight * cumulative_served
        # one uniformized step
        nxt = [0.0] * len(p)
        for j, mass in enumerate(p):
            if mass == 0.0:
                continue
            move = rates[j] / big
            stay = 1.0 - (rates[j] + theta) / big
            nxt[j] += mass * stay
            if j == 0:
                cumulative_served += mass * move
            else:
                nxt[j - 1] += mass * move
        p = nxt
    return served


def evaluate(
    agents: int, calls_per_hour: float, aht_seconds: float, patience_seconds: float, sl_seconds: float
) -> ErlangAResult:
    """Erlang A figures for one staffing level and a mean patience in seconds."""
    lam = calls_per_hour / 3600.0
    mu = 1.0 / aht_seconds
    theta = 1.0 / patience_seconds if patience_seconds > 0 else math.inf
    if math.isinf(theta):
        raise ValueError("patience must be positive")
    pi = _stationary(agents, lam, mu, theta)
    waiting = sum(pi[agents:])
    queue_length = sum((k - agents) * x for k, x in enumerate(pi) if k > agents)
    busy = sum(min(k, agents) * x for k, x in enumerate(pi))
    answered_now = 1.0 - waiting
    sl = answered_now + _served_within(agents, mu, theta, pi[agents:], sl_seconds)
    return ErlangAResult(
        agents=agents,
        load=lam / mu,
        probability_of_waiting=waiting,
        probability_of_abandon=theta * queue_length / lam if lam > 0 else 0.0,
        service_level=min(1.0, sl),
        average_wait=queue_length / lam if lam > 0 else 0.0,
        occupancy=busy / agents if agents else 1.0,
    )
